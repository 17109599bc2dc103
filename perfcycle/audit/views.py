"""The audit trail page (HR only): browse and filter; nothing here can change it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from perfcycle.access.policy import Action, may
from perfcycle.audit import selectors
from perfcycle.audit.models import AuditAction
from perfcycle.core.pages import page_of


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (login)"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False)
    text = forms.CharField(label=_("Object contains"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any")), *AuditAction.choices]
        self.fields["object_type"].choices = [("", _("Any"))] + [
            (t, t) for t in selectors.object_types()
        ]


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Action.AUDIT_VIEW):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        # A bad filter is shown with its error; the good ones still apply.
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    events = selectors.audit_events(**filters)
    page, query = page_of(request, events.select_related(None), 50)
    return render(request, "audit/list.html", {"form": form, "page": page, "query": query})
