"""Sign in and out (audited, throttled), password change, language choice, API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.accounts import security, services, throttle
from perfcycle.accounts.models import ApiToken
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error


class LoginView(auth_views.LoginView):
    """Sign in, with the sign-in throttle (``perfcycle.accounts.throttle``): while a login
    name or an address is locked, no password is checked."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = (request.POST.get("username") or "")[:150]
        locked = throttle.lockout(username=username, ip_address=throttle.client_ip(request))
        if locked is not None:
            throttle.refusal_record(username=username, locked=locked)
            form = self.get_form_class()(request, initial={"username": username})
            context = self.get_context_data(form=form, throttled=locked.message())
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    @transaction.atomic
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security.session_start(self.request)
        user = form.get_user()
        throttle.failures_clear(username=form.cleaned_data.get("username") or user.username)
        audit_record(actor=user, action=AuditAction.LOGIN, instance=user)
        if user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        throttle.failure_record(
            username=(form.data.get("username") or "")[:150],
            ip_address=throttle.client_ip(self.request),
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit_record(actor=request.user, action=AuditAction.LOGOUT, instance=request.user)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password: the old one is checked under the sign-in throttle, the
    new one against ``AUTH_PASSWORD_VALIDATORS``; other sessions of the account end."""

    template_name = "accounts/password.html"
    success_url = reverse_lazy("accounts:preferences")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        locked = throttle.lockout(username=request.user.username, ip_address=None)
        if locked is not None:
            throttle.refusal_record(username=request.user.username, locked=locked)
            form = self.get_form_class()(user=request.user)
            context = self.get_context_data(form=form, throttled=locked.message())
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    @transaction.atomic
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            instance=user,
            after={"password": "changed"},
            reason=_("Password changed by its owner."),
        )
        messages.success(self.request, _("Your password has been changed."))
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            throttle.failure_record(
                username=self.request.user.username,
                ip_address=throttle.client_ip(self.request),
                after={"step": "password_change"},
            )
        return super().form_invalid(form)


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
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 86400,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
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
