"""Forms of the coaching pages; the services validate again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from perfcycle.monitoring.models import (
    Competency,
    Course,
    FeedbackKind,
    FeedbackVisibility,
    ObservationKind,
    ObservationVisibility,
    TrainingStatus,
)
from perfcycle.org.fields import PersonField
from perfcycle.org.models import Employee


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class DateInput(forms.DateInput):
    input_type = "date"


def _people(queryset: QuerySet[Employee]) -> forms.ModelChoiceField:
    return PersonField(queryset=queryset, label=_("Person"))


class ScheduleForm(forms.Form):
    employee = PersonField(queryset=Employee.objects.none(), label=_("With"))
    scheduled_for = forms.DateTimeField(label=_("When"), widget=DateTimeInput)
    agenda = forms.CharField(
        label=_("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One topic a line."),
    )

    def __init__(self, *args: Any, people: QuerySet[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = people  # type: ignore[attr-defined]

    def topics(self) -> list[str]:
        return [t for t in self.cleaned_data["agenda"].splitlines() if t.strip()]


class RequestForm(forms.Form):
    proposed_for = forms.DateTimeField(
        label=_("Proposed time"), required=False, widget=DateTimeInput
    )
    topic = forms.CharField(label=_("What about?"), max_length=500, required=False)


class ConfirmForm(forms.Form):
    scheduled_for = forms.DateTimeField(label=_("When"), widget=DateTimeInput)


class TopicForm(forms.Form):
    text = forms.CharField(label=_("Topic"), max_length=500)


class NotesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    shared_notes = forms.CharField(
        label=_("Shared notes"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class PrivateNotesForm(NotesForm):
    private_notes = forms.CharField(
        label=_("Private notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only managers and HR can read these."),
    )


class GoalNoteForm(forms.Form):
    comment = forms.CharField(label=_("Progress comment"), required=False, max_length=2000)
    confidence = forms.IntegerField(
        label=_("Confidence (0–10)"), required=False, min_value=0, max_value=10
    )


class ActionItemForm(forms.Form):
    text = forms.CharField(label=_("Action"), max_length=500)
    owner = forms.ModelChoiceField(queryset=Employee.objects.none(), label=_("Owner"))
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, owners: list[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        field.queryset = Employee.objects.filter(pk__in=[o.pk for o in owners])  # type: ignore[attr-defined]
        field.initial = owners[0].pk if owners else None


class ObservationForm(forms.Form):
    employee = PersonField(queryset=Employee.objects.none(), label=_("About"))
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=ObservationKind.choices)
    text = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}))
    goal_id = forms.IntegerField(label=_("Goal"), required=False, widget=forms.Select)
    competency = forms.ModelChoiceField(
        queryset=Competency.objects.all(), label=_("Competency"), required=False
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=ObservationVisibility.choices,
        initial=ObservationVisibility.PRIVATE,
    )
    domain_field_names = {"goal": "goal_id"}

    def __init__(
        self, *args: Any, people: QuerySet[Employee], goals: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = people  # type: ignore[attr-defined]
        self.offer_goals(goals)

    def offer_goals(self, goals: list[Any]) -> None:
        self.fields["goal_id"].widget.choices = [("", "—")] + [  # type: ignore[attr-defined]
            (g.pk, f"{g.employee.name}: {g.title}") for g in goals
        ]


class CompetencyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    job_family = forms.CharField(label=_("Job family"), max_length=64, required=False)


class FeedbackForm(forms.Form):
    receiver = PersonField(queryset=Employee.objects.none(), label=_("To"))
    kind = forms.ChoiceField(label=_("Kind"), choices=FeedbackKind.choices)
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=FeedbackVisibility.choices,
        initial=FeedbackVisibility.PUBLIC,
    )
    competency = forms.ModelChoiceField(
        queryset=Competency.objects.all(), label=_("Competency"), required=False
    )

    def __init__(self, *args: Any, people: QuerySet[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receiver"].queryset = people  # type: ignore[attr-defined]


class CourseForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    provider = forms.CharField(label=_("Provider"), max_length=120, required=False)
    link = forms.CharField(label=_("Where to find it"), max_length=300, required=False)
    hours = forms.DecimalField(label=_("Hours"), required=False, max_digits=6, decimal_places=1)
    competencies = forms.ModelMultipleChoiceField(
        queryset=Competency.objects.all(),
        label=_("Competencies"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["competencies"] = list(data["competencies"])
        return data


class RecommendForm(forms.Form):
    employee = PersonField(queryset=Employee.objects.none(), label=_("For"))
    course = forms.ModelChoiceField(
        queryset=Course.objects.filter(is_active=True), label=_("Course")
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=2000)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)
    observation = forms.IntegerField(required=False, widget=forms.HiddenInput)
    checkin = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: QuerySet[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = people  # type: ignore[attr-defined]


class TrainingStatusForm(forms.Form):
    status = forms.ChoiceField(choices=TrainingStatus.choices)
    version = forms.IntegerField()
