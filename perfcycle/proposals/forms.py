"""Forms of the proposal pages; the services validate, the forms only parse."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from perfcycle.cycles.models import Cycle
from perfcycle.proposals.models import RoundKind

DATE = forms.DateInput(attrs={"type": "date"})


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RoundForm(VersionForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    min_grade = forms.CharField(
        label=_("Minimum grade"),
        max_length=8,
        help_text=_("That grade or better, in the order of the cycle's grade scale."),
    )
    cycles_considered = forms.IntegerField(
        label=_("Cycles considered"),
        initial=1,
        help_text=_("The grade must be held in each of the last N cycles with results."),
    )
    min_tenure_months = forms.IntegerField(label=_("Minimum tenure (months)"), initial=0)
    max_increase_pct = forms.DecimalField(
        label=_("Maximum increase %"), initial=Decimal(15), required=False
    )
    increase_budget = forms.DecimalField(
        label=_("Monthly increase budget"),
        required=False,
        help_text=_("Salary reviews: the approved increases may not add up to more."),
    )
    nominations_close_on = forms.DateField(
        label=_("Nominations close on"), widget=DATE, required=False
    )


class RoundCreateForm(RoundForm):
    field_order = ["cycle", "kind", "name"]

    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=Cycle.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=RoundKind.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = Cycle.objects.filter(grade_scale__isnull=False).order_by(
            "-end_date"
        )


class NominationForm(VersionForm):
    """The fields of a nomination; the kind of round decides which are shown."""

    increase_pct = forms.DecimalField(label=_("Increase %"), required=False)
    proposed_title = forms.CharField(label=_("Proposed title"), max_length=120, required=False)
    proposed_level = forms.CharField(label=_("Proposed level"), max_length=32, required=False)
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At least 30 characters: what the person achieved and why now."),
    )
    exception_reason = forms.CharField(
        label=_("Exception reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when the person is not eligible (at least 20 characters)."),
    )

    def __init__(self, *args: Any, salary: bool, eligible: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if salary:
            del self.fields["proposed_title"]
            del self.fields["proposed_level"]
        else:
            del self.fields["increase_pct"]
        if eligible:
            del self.fields["exception_reason"]


class ReasonForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(VersionForm):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ApproveForm(NoteForm):
    field_order = ["effective_on", "note"]

    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)
