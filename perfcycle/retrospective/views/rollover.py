"""The roll-over page: HR sees what rolling a closed cycle over would do, edits the
name, dates and proposed targets, and creates the next cycle. Thin: the policy says
who, ``rollover`` computes and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import Action, require
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.numbers import plain
from perfcycle.cycles.models import Cycle
from perfcycle.retrospective import rollover

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RollOverForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the new cycle"), max_length=120)
    start_date = forms.DateField(label=gettext_lazy("Starts"), widget=DATE)
    end_date = forms.DateField(label=gettext_lazy("Ends"), widget=DATE)

    def __init__(self, *args: Any, groups: list[rollover.IndicatorGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target_fields: list[tuple[rollover.IndicatorGroup, str]] = []
        for group in groups:
            name = f"target_{group.indicator.pk}"
            # Free text: the service parses it, so its messages name the indicator's field.
            self.fields[name] = forms.CharField(
                label=gettext_lazy("Next target"),
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
            )
            self.target_fields.append((group, name))

    def targets(self) -> dict[int, str]:
        """Only the targets HR changed from the preview's proposal count as overrides."""
        chosen = {}
        for group, name in self.target_fields:
            raw = (self.cleaned_data.get(name) or "").strip()
            proposed = group.proposed
            if raw and (proposed is None or raw != _plain(proposed)):
                chosen[group.indicator.pk] = raw
        return chosen


def _plain(value: Any) -> str:
    return plain(value)


@login_required
@require_http_methods(["GET", "POST"])
def rollover_page(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.CYCLE_MANAGE)
    source = get_object_or_404(Cycle.objects.select_related("template", "grade_scale"), pk=cycle_id)
    error = None
    try:
        plan: rollover.RollOverPlan | None = rollover.rollover_preview(
            actor=request.user, source=source
        )
    except DomainError as exc:
        plan, error = None, exc.message
    groups = plan.indicators if plan else []
    initial: dict[str, Any] = {}
    if plan is not None:
        initial = {"name": plan.name, "start_date": plan.start_date, "end_date": plan.end_date}
        for group in groups:
            if group.proposed is not None:
                initial[f"target_{group.indicator.pk}"] = _plain(group.proposed)
    form = RollOverForm(
        request.POST if request.method == "POST" else None, initial=initial, groups=groups
    )
    if request.method == "POST" and plan is not None and form.is_valid():
        data = form.cleaned_data
        try:
            record = rollover.cycle_roll_over(
                actor=request.user,
                source=source,
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                targets=form.targets(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(cycle)s was created in planning from %(source)s.")
                % {"cycle": record.target.name, "source": source.name},
            )
            return redirect("cycles:detail", record.target_id)
    context = {
        "cycle": source,
        "plan": plan,
        "error": error,
        "form": form,
        "rows": [(group, form[name]) for group, name in form.target_fields],
        "others": [line for line in plan.lines if line.goal.indicator_id is None] if plan else [],
    }
    return render(
        request, "retrospective/rollover.html", context, status=200 if plan or not error else 400
    )


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_id>/roll-over/", rollover_page, name="rollover"),
]
