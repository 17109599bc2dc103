"""Sign in and out (audited), language choice, API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.accounts import services
from perfcycle.accounts.models import ApiToken
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        audit_record(actor=user, action=AuditAction.LOGIN, instance=user)
        if user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        username = (form.data.get("username") or "")[:150]
        audit_record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            object_type="accounts.user",
            object_repr=username,
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit_record(actor=request.user, action=AuditAction.LOGOUT, instance=request.user)
        return super().post(request, *args, **kwargs)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/"
    return target


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch language; for a signed-in user the choice is kept on their account."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = ""
    if request.user.is_authenticated:
        services.user_set_language(actor=request.user, language=language)
    response = HttpResponseRedirect(_safe_next(request))
    if language:
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 86400
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. “CRM sync”."),
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=gettext_lazy("Empty: never expires."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            form = TokenForm()
    response = render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
    )
    if new_token:
        # The raw token is on this page only: keep it out of every cache.
        patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:tokens")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/preferences.html", {"languages": settings.LANGUAGES})
