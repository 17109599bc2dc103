"""Forms of the cycle administration pages; services do the validation that matters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle, GradeScale, PeriodType, Phase, ReviewTemplate
from perfcycle.org.forms import VersionForm
from perfcycle.org.models import Department, Employee

DATE = {"type": "date"}

# Phases that carry a deadline on the cycle form, in the order they happen.
DEADLINE_PHASES: tuple[Phase, ...] = tuple(
    p for p in phases.ORDER if p not in (Phase.DRAFT, Phase.CLOSED)
)


def deadline_field_name(phase: str) -> str:
    return f"deadline_{phase}"


class CycleForm(VersionForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    period_type = forms.ChoiceField(label=_("Period type"), choices=PeriodType.choices)
    start_date = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs=DATE))
    end_date = forms.DateField(label=_("End"), widget=forms.DateInput(attrs=DATE))
    template = forms.ModelChoiceField(
        label=_("Review template"),
        queryset=ReviewTemplate.objects.order_by("name"),
        required=False,
        help_text=_("How people will be evaluated; fixed when the cycle opens."),
    )
    grade_scale = forms.ModelChoiceField(
        label=_("Grade scale"),
        queryset=GradeScale.objects.order_by("name"),
        required=False,
        help_text=_("How an overall score becomes a grade; fixed when the cycle opens."),
    )

    def __init__(self, *args: Any, instance: Cycle | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "period_type": instance.period_type,
                "start_date": instance.start_date,
                "end_date": instance.end_date,
                "template": instance.template_id,
                "grade_scale": instance.grade_scale_id,
                "version": instance.version,
                **{deadline_field_name(d.phase): d.due_date for d in instance.deadlines.all()},
            }
        super().__init__(*args, editing=instance is not None, **kwargs)
        for phase in DEADLINE_PHASES:
            self.fields[deadline_field_name(phase.value)] = forms.DateField(
                label=_("Deadline: %(phase)s") % {"phase": phase.label},
                required=False,
                widget=forms.DateInput(attrs=DATE),
            )
        self.fields[deadline_field_name(DEADLINE_PHASES[0].value)].help_text = _(
            "Leave a deadline empty to use the default for the cycle's dates."
        )
        if instance is not None and instance.phase != Phase.DRAFT:
            locked = _("Fixed when the cycle opened.")
            for name in ("template", "grade_scale", "period_type"):
                self.fields[name].disabled = True
                self.fields[name].help_text = locked

    def deadline_fields(self) -> list[forms.BoundField]:
        return [self[deadline_field_name(p.value)] for p in DEADLINE_PHASES]

    def main_fields(self) -> list[forms.BoundField]:
        names = ("name", "period_type", "start_date", "end_date", "template", "grade_scale")
        return [self[name] for name in names]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("name", "period_type", "start_date", "end_date", "template", "grade_scale")
        }

    def deadlines(self) -> dict[str, dt.date]:
        return {
            p.value: self.cleaned_data[deadline_field_name(p.value)]
            for p in DEADLINE_PHASES
            if self.cleaned_data.get(deadline_field_name(p.value))
        }


def job_family_choices() -> list[tuple[str, str]]:
    families = (
        Employee.objects.active()
        .exclude(job_family="")
        .values_list("job_family", flat=True)
        .distinct()
        .order_by("job_family")
    )
    return [(f, f) for f in families]


class ParticipantsForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments (with their sub-departments)"),
        queryset=Department.objects.order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    job_families = forms.MultipleChoiceField(
        label=_("Job families"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    hired_on_or_before = forms.DateField(
        label=_("Hired on or before"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text=_("People hired later (e.g. still on probation) are left out."),
    )
    employee_numbers = forms.CharField(
        label=_("Also these employee numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Separated by spaces, commas or new lines. Alone, the list is exactly who takes "
            "part; with other criteria, these people are added."
        ),
    )

    def __init__(self, *args: Any, cycle: Cycle | None = None, **kwargs: Any) -> None:
        if cycle is not None and "initial" not in kwargs:
            rule = cycle.participant_rule or {}
            kwargs["initial"] = {
                "departments": rule.get("department_ids", []),
                "job_families": rule.get("job_families", []),
                "hired_on_or_before": rule.get("hired_on_or_before"),
                "employee_numbers": "\n".join(rule.get("employee_numbers", [])),
            }
        super().__init__(*args, **kwargs)
        choices = job_family_choices()
        known = {value for value, _label in choices}
        for family in (kwargs.get("initial") or {}).get("job_families", []):
            if family not in known:
                choices.append((family, family))
        self.fields["job_families"].choices = choices

    def clean_employee_numbers(self) -> list[str]:
        raw = self.cleaned_data["employee_numbers"]
        return [n for n in re.split(r"[\s,;，；、]+", raw) if n]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(
            data.get(name)
            for name in ("departments", "job_families", "hired_on_or_before", "employee_numbers")
        ):
            raise forms.ValidationError(_("Choose at least one way to select participants."))
        return data

    def rule(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "department_ids": [d.pk for d in data["departments"]],
            "job_families": list(data["job_families"]),
            "hired_on_or_before": data["hired_on_or_before"],
            "employee_numbers": data["employee_numbers"],
        }


class TransitionForm(forms.Form):
    to_phase = forms.ChoiceField(label=_("Next phase"), choices=Phase.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
