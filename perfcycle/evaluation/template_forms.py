"""Forms of the template, grade-scale, assignment and peer-nomination pages. They parse
and check types only; the rules (weights total 100, anchors on the scale, peers within
bounds) are the services', whose errors land on these forms through ``add_domain_error``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from perfcycle.cycles.models import ReviewTemplate
from perfcycle.evaluation.assignment import DEFAULT_MAX_PEER_FORMS
from perfcycle.evaluation.models import ReviewSource, TemplateCompetency
from perfcycle.monitoring.models import Competency
from perfcycle.org.models import Employee

MAX_SCALE_POINTS = 11
GRADE_ROWS = 8
WEIGHT = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal(0), "max_value": Decimal(100)}
TEMPLATE_FIELDS = (
    "name",
    "description",
    "rating_min",
    "rating_max",
    "goals_weight",
    "competencies_weight",
    "self_weight",
    "manager_weight",
    "peer_weight",
    "report_weight",
    "skip_weight",
    "peer_min",
    "peer_max",
    "anonymity_min",
)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class TemplateForm(forms.Form):
    """A template's name, scale (with a label per point), weights and peer rules."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rating_min = forms.IntegerField(label=_("Lowest rating"), min_value=0, max_value=10)
    rating_max = forms.IntegerField(label=_("Highest rating"), min_value=1, max_value=10)
    goals_weight = forms.DecimalField(label=_("Goals %"), **WEIGHT)
    competencies_weight = forms.DecimalField(label=_("Competencies %"), **WEIGHT)
    self_weight = forms.DecimalField(label=_("Self %"), **WEIGHT)
    manager_weight = forms.DecimalField(label=_("Manager %"), **WEIGHT)
    peer_weight = forms.DecimalField(label=_("Peers %"), **WEIGHT)
    report_weight = forms.DecimalField(label=_("Direct reports %"), **WEIGHT)
    skip_weight = forms.DecimalField(label=_("Skip-level manager %"), **WEIGHT)
    peer_min = forms.IntegerField(label=_("Fewest peers"), min_value=0, max_value=50)
    peer_max = forms.IntegerField(label=_("Most peers"), min_value=0, max_value=50)
    anonymity_min = forms.IntegerField(
        label=_("Anonymity minimum"),
        min_value=2,
        max_value=50,
        help_text=_("Peer answers are shown only once at least this many peers have answered."),
    )

    def __init__(
        self, data: Any = None, *, template: ReviewTemplate | None = None, **kwargs: Any
    ) -> None:
        initial = kwargs.pop("initial", None) or {}
        source = template or ReviewTemplate()
        initial = {**{f: getattr(source, f) for f in TEMPLATE_FIELDS}, **initial}
        if template is None:
            initial["name"] = initial.get("name") or ""
        labels = dict(source.rating_labels or {})
        low, high = source.rating_min, source.rating_max
        if data is not None:
            low = _int(data.get("rating_min"), low)
            high = _int(data.get("rating_max"), high)
        low = max(0, min(low, 10))
        high = max(low, min(high, low + MAX_SCALE_POINTS - 1, 10))
        self.points = list(range(low, high + 1))
        for point in self.points:
            initial.setdefault(f"label_{point}", labels.get(str(point), ""))
        super().__init__(data, initial=initial, **kwargs)
        for point in self.points:
            self.fields[f"label_{point}"] = forms.CharField(
                label=_("Label of rating %(point)s") % {"point": point},
                max_length=100,
                required=False,
            )

    @property
    def label_fields(self) -> list[forms.BoundField]:
        return [self[f"label_{p}"] for p in self.points]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in ("name", "description", "rating_min", "rating_max")]

    @property
    def section_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in ("goals_weight", "competencies_weight")]

    @property
    def source_fields(self) -> list[forms.BoundField]:
        return [
            self[f]
            for f in (
                "self_weight",
                "manager_weight",
                "peer_weight",
                "report_weight",
                "skip_weight",
            )
        ]

    @property
    def peer_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in ("peer_min", "peer_max", "anonymity_min")]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {f: data[f] for f in TEMPLATE_FIELDS}
        values["description"] = (values["description"] or "").strip()
        values["rating_labels"] = {
            str(p): (data.get(f"label_{p}") or "").strip() or str(p)
            for p in range(data["rating_min"], data["rating_max"] + 1)
        }
        return values


class CompetencyAddForm(forms.Form):
    competency = forms.ModelChoiceField(label=_("Competency"), queryset=Competency.objects.none())
    weight = forms.DecimalField(label=_("Weight %"), **WEIGHT)

    def __init__(self, *args: Any, template: ReviewTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competency"].queryset = Competency.objects.exclude(  # type: ignore[attr-defined]
            pk__in=template.competencies.values("competency_id")
        ).order_by("name")


class WeightsForm(forms.Form):
    """One weight per competency of the template, saved together."""

    def __init__(self, *args: Any, items: list[TemplateCompetency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"weight_{item.pk}"] = forms.DecimalField(
                label=str(item.competency), initial=item.weight, **WEIGHT
            )

    def weights(self) -> dict[int, Decimal]:
        return {item.pk: self.cleaned_data[f"weight_{item.pk}"] for item in self.items}


class AnchorsForm(forms.Form):
    """One behaviour text per point of the template's scale."""

    def __init__(self, *args: Any, item: TemplateCompetency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template = item.template
        existing = {a.rating: a.description for a in item.anchors.all()}
        labels = template.rating_labels or {}
        self.points = list(range(template.rating_min, template.rating_max + 1))
        for point in self.points:
            label = labels.get(str(point), "")
            self.fields[f"anchor_{point}"] = forms.CharField(
                label=f"{point} · {label}" if label and label != str(point) else str(point),
                required=False,
                initial=existing.get(point, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def anchors(self) -> dict[int, str]:
        return {p: self.cleaned_data.get(f"anchor_{p}") or "" for p in self.points}


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500)
    sources = forms.MultipleChoiceField(
        label=_("Asked of"),
        choices=ReviewSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to ask every reviewer."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)


class GradeScaleForm(forms.Form):
    """A company's own grade scale: up to eight grades, each with the score it starts at."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(GRADE_ROWS):
            self.fields[f"code_{i}"] = forms.CharField(
                label=_("Grade"), max_length=8, required=False
            )
            self.fields[f"label_{i}"] = forms.CharField(
                label=_("Label"), max_length=60, required=False
            )
            self.fields[f"min_{i}"] = forms.DecimalField(
                label=_("From score"), max_digits=6, decimal_places=2, required=False
            )

    @property
    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"code_{i}"], self[f"label_{i}"], self[f"min_{i}"]) for i in range(GRADE_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(GRADE_ROWS):
            code, floor = (data.get(f"code_{i}") or "").strip(), data.get(f"min_{i}")
            if code and floor is None:
                self.add_error(f"min_{i}", _("Say from which score this grade starts."))
            elif floor is not None and not code:
                self.add_error(f"code_{i}", _("Give this grade a code."))
        return data

    def bands(self) -> list[tuple[str, str, Decimal]]:
        data = self.cleaned_data
        return [
            (data[f"code_{i}"].strip(), (data.get(f"label_{i}") or "").strip(), data[f"min_{i}"])
            for i in range(GRADE_ROWS)
            if (data.get(f"code_{i}") or "").strip()
        ]


class GenerateForm(forms.Form):
    """The options of ``assignment_generate``."""

    peers_per_person = forms.IntegerField(
        label=_("Peers per person"), min_value=0, max_value=20, initial=3
    )
    max_forms_per_reviewer = forms.IntegerField(
        label=_("Most peer reviews per reviewer"),
        min_value=1,
        max_value=50,
        initial=DEFAULT_MAX_PEER_FORMS,
    )
    include_skip_level = forms.BooleanField(
        label=_("Skip-level managers review too"), required=False, initial=False
    )
    include_upward = forms.BooleanField(
        label=_("Direct reports review their manager (upward)"),
        required=False,
        initial=True,
        help_text=_("Only when the template gives direct reports a weight."),
    )


class FormAddForm(forms.Form):
    """HR adds one reviewer by hand."""

    reviewee = forms.ModelChoiceField(label=_("Reviewee"), queryset=Employee.objects.none())
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), queryset=Employee.objects.none())
    source = forms.ChoiceField(label=_("As"), choices=ReviewSource.choices)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewee"].queryset = people  # type: ignore[attr-defined]
        self.fields["reviewer"].queryset = Employee.objects.active().order_by("name")  # type: ignore[attr-defined]


class NominateForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Peers"),
        queryset=Employee.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = candidates  # type: ignore[attr-defined]


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ApproveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
