"""Closing a cycle from the retrospective page: HR's one button that moves the cycle
from results to closed and opens its retrospective (``services.cycle_close``). Thin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from perfcycle.access.policy import Action, require
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle
from perfcycle.retrospective import services


class CloseForm(forms.Form):
    closes_on = forms.DateField(
        label=gettext_lazy("Retrospective open until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@login_required
@require_POST
def close_cycle(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.RETRO_MANAGE)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("retrospective:home")
    try:
        report = services.cycle_close(
            actor=request.user, cycle=cycle, closes_on=form.cleaned_data.get("closes_on")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        text = (
            _("%(cycle)s is closed and its retrospective is open until %(date)s.")
            if report.opened
            else _("%(cycle)s is closed; its retrospective stays open until %(date)s.")
        )
        messages.success(
            request, text % {"cycle": cycle.name, "date": report.settings.closes_on.isoformat()}
        )
    return redirect("retrospective:home")


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_id>/close/", close_cycle, name="close"),
]
