"""Forms of the plan stage's pages. They parse and present; the rules (weights, targets,
thresholds, who may change what when) are checked by ``planning.services``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle
from perfcycle.org.fields import DepartmentField
from perfcycle.org.forms import VersionForm
from perfcycle.org.models import Department, Employee
from perfcycle.planning.models import Goal, GoalKind, Indicator, OwnerType
from perfcycle.planning.scoring import Direction

DATE = {"type": "date"}
# Fields of the measurable standard: only quantitative KPIs have them.
STANDARD_FIELDS = (
    "unit",
    "baseline",
    "target",
    "threshold",
    "stretch",
    "direction",
    "measurement_period",
    "aggregation",
    "calculation_method",
    "quality_conditions",
    "data_source",
    "allow_negative",
)
RULE_FIELDS = ("rule_type", "rule_floor", "rule_cap", "threshold_points", "bands")
BASIC_FIELDS = ("title", "kind", "weight", "parent", "indicator", "due_date", "description", "ref")
SCORING_FIELDS = (
    "unit",
    "direction",
    "measurement_period",
    "aggregation",
    "calculation_method",
    "quality_conditions",
    "data_source",
    "allow_negative",
    *RULE_FIELDS,
)


def plain(value: Any) -> Any:
    """A stored decimal as a person types it: 20.0000 → 20, 0.9500 → 0.95."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return value
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _plain_initial(initial: dict[str, Any] | None) -> dict[str, Any]:
    return {k: plain(v) for k, v in (initial or {}).items()}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class BandsField(forms.CharField):
    """A banded table typed as ``from%:points`` pairs: ``100:100, 80:80, 60:60``."""

    default_error_messages = {
        "invalid": _(
            "Write each band as attainment:points, separated by commas, e.g. 100:100, 80:80."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("For a banded rule: attainment from % and points, e.g. 100:100, 80:80, 60:60."),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(f"{low}:{points}" for low, points in value)
        return value

    def to_python(self, value: Any) -> list[list[int | float]]:
        text = super().to_python(value)
        bands: list[list[int | float]] = []
        for part in re.split(r"[,;，；\n]+", text or ""):
            part = part.strip()
            if not part:
                continue
            pieces = re.split(r"\s*[:：=]\s*", part.replace("%", ""))
            if len(pieces) != 2:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            try:
                low, points = Decimal(pieces[0]), Decimal(pieces[1])
            except InvalidOperation as exc:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
            bands.append([_number(low), _number(points)])
        return bands


def _model_fields(model: type, names: tuple[str, ...]) -> dict[str, forms.Field]:
    fields = forms.fields_for_model(model, fields=names)
    for name, field in fields.items():
        if isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs=DATE)
        if isinstance(field.widget, forms.Textarea):
            field.widget.attrs["rows"] = 2
        if name == "bands":
            fields[name] = BandsField(label=field.label)
    return fields


class GoalParentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.owner_label} · {obj.title}"


def parent_choices(
    visible: QuerySet[Goal], *, employee: Employee | None, exclude: Goal | None
) -> QuerySet[Goal]:
    """Goals a goal may align to: company and department goals, and the goals of the
    owner's managers, among those the user may see (a short list at any company size)."""
    condition = ~Q(owner_type=OwnerType.EMPLOYEE)
    if employee is not None and employee.ancestor_ids:
        condition |= Q(employee_id__in=employee.ancestor_ids)
    if exclude is not None and exclude.parent_id:
        condition |= Q(pk=exclude.parent_id)
    qs = visible.filter(condition).select_related("employee", "department")
    if exclude is not None and exclude.pk:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("owner_type", "department__name", "employee__name", "title")


class GoalForm(VersionForm):
    """A goal of any kind; the fields of the measurable standard and the scoring rule
    apply to quantitative KPIs only."""

    def __init__(
        self,
        *args: Any,
        cycle: Cycle,
        parents: QuerySet[Goal],
        instance: Goal | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None and "initial" not in kwargs:
            initial = {
                name: getattr(instance, name)
                for name in (*BASIC_FIELDS, *STANDARD_FIELDS, *RULE_FIELDS)
                if name not in ("parent", "indicator")
            }
            initial.update(
                parent=instance.parent_id,
                indicator=instance.indicator_id,
                version=instance.version,
            )
            kwargs["initial"] = initial
        kwargs["initial"] = _plain_initial(kwargs.get("initial"))
        super().__init__(*args, editing=instance is not None, **kwargs)
        self.cycle = cycle
        fields = _model_fields(Goal, (*BASIC_FIELDS, *STANDARD_FIELDS, *RULE_FIELDS))
        fields["parent"] = GoalParentChoice(
            label=_("Aligned to"),
            queryset=parents,
            required=False,
            help_text=_("The company, department or manager goal this one contributes to."),
        )
        fields["indicator"].queryset = Indicator.objects.filter(
            Q(is_active=True) | Q(pk=getattr(instance, "indicator_id", None))
        )
        fields["title"].required = False
        fields["title"].help_text = _("Leave empty to use the indicator's name.")
        fields["weight"].help_text = _(
            "Share of this goal in the owner's score; all goals total 100."
        )
        fields["due_date"].help_text = _("Required for a milestone goal; within the cycle.")
        self.fields.update(fields)
        self.order_fields(["version", *BASIC_FIELDS, *STANDARD_FIELDS, *RULE_FIELDS])

    def basic_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in BASIC_FIELDS]

    def standard_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in STANDARD_FIELDS]

    def rule_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in RULE_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("title") and not data.get("indicator"):
            self.add_error("title", _("Give the goal a title, or choose an indicator."))
        return data

    def values(self) -> dict[str, Any]:
        """The service arguments; a goal that is not a KPI keeps no target or threshold."""
        data = self.cleaned_data
        values = {n: data[n] for n in BASIC_FIELDS}
        if not values["title"] and data.get("indicator"):
            values["title"] = data["indicator"].name
        if data["kind"] == GoalKind.KPI:
            values.update({n: data[n] for n in (*STANDARD_FIELDS, *RULE_FIELDS)})
        else:
            values.update(baseline=None, target=None, threshold=None, stretch=None)
        for name in ("unit", "calculation_method", "quality_conditions", "data_source", "ref"):
            if name in values and values[name] is None:
                values[name] = ""
        return values


class IndicatorPickForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("Start from an indicator"),
        queryset=Indicator.objects.filter(is_active=True).order_by("job_family", "name"),
        required=False,
    )


class DepartmentChoiceForm(forms.Form):
    department = DepartmentField(label=_("Department"), queryset=Department.objects.none())

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments.order_by("path")


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs=DATE))
    owner_number = forms.CharField(
        label=_("Owner's employee number"),
        max_length=32,
        required=False,
        help_text=_("Leave empty for the goal's owner."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "milestone")
        super().__init__(*args, **kwargs)

    def clean_owner_number(self) -> Employee | None:
        number = self.cleaned_data["owner_number"].strip()
        if not number:
            return None
        owner = Employee.objects.active().filter(employee_number=number).first()
        if owner is None:
            raise forms.ValidationError(_("No active employee has this number."))
        return owner


class KeyResultForm(forms.Form):
    title = forms.CharField(label=_("Key result"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=32, required=False)
    baseline = forms.DecimalField(
        label=_("Baseline"), max_digits=18, decimal_places=4, required=False
    )
    target = forms.DecimalField(label=_("Target"), max_digits=18, decimal_places=4)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    weight = forms.DecimalField(
        label=_("Weight %"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=0,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "kr")
        super().__init__(*args, **kwargs)

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["weight"] = data.get("weight") or Decimal(0)
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WhatIfForm(forms.Form):
    actual = forms.DecimalField(
        label=_("Suppose the actual were"), max_digits=18, decimal_places=4, required=False
    )


class IndicatorForm(VersionForm):
    def __init__(self, *args: Any, instance: Indicator | None = None, **kwargs: Any) -> None:
        names = ("code", "name", "job_family", "description", "is_active", *SCORING_FIELDS)
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {n: getattr(instance, n) for n in names} | {
                "version": instance.version
            }
        kwargs["initial"] = _plain_initial(kwargs.get("initial"))
        super().__init__(*args, editing=instance is not None, **kwargs)
        self.names = names
        self.fields.update(_model_fields(Indicator, names))
        self.order_fields(["version", *names])

    def about_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("code", "name", "job_family", "description", "is_active")]

    def standard_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in SCORING_FIELDS if n not in RULE_FIELDS]

    def rule_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in RULE_FIELDS]

    def values(self) -> dict[str, Any]:
        data = {n: self.cleaned_data[n] for n in self.names}
        for name in (
            "job_family",
            "description",
            "unit",
            "calculation_method",
            "quality_conditions",
            "data_source",
        ):
            data[name] = data[name] or ""
        return data


def editable_cycles() -> QuerySet[Cycle]:
    return Cycle.objects.filter(phase__in=phases.GOALS_EDITABLE).order_by("-start_date", "name")


def family_choices() -> list[tuple[str, str]]:
    families = (
        Employee.objects.active()
        .exclude(job_family="")
        .values_list("job_family", flat=True)
        .distinct()
        .order_by("job_family")
    )
    return [("", _("Any")), *((f, f) for f in families)]


class AssignForm(forms.Form):
    """Step one of assigning an indicator: the cycle, who, and the common target."""

    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=Cycle.objects.none())
    department = DepartmentField(
        label=_("Department (with sub-departments)"),
        queryset=Department.objects.order_by("path"),
        required=False,
    )
    job_family = forms.ChoiceField(label=_("Job family"), required=False)
    title = forms.CharField(
        label=_("Goal title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the indicator's name."),
    )
    target = forms.DecimalField(label=_("Target"), max_digits=18, decimal_places=4)
    threshold = forms.DecimalField(
        label=_("Threshold (minimum acceptable)"), max_digits=18, decimal_places=4, required=False
    )
    stretch = forms.DecimalField(
        label=_("Stretch"), max_digits=18, decimal_places=4, required=False
    )
    baseline = forms.DecimalField(
        label=_("Baseline"), max_digits=18, decimal_places=4, required=False
    )
    weight = forms.DecimalField(
        label=_("Weight %"), max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    parent = GoalParentChoice(
        label=_("Aligned to"),
        queryset=Goal.objects.none(),
        required=False,
        help_text=_("A company or department goal of the same cycle."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cycles = editable_cycles()
        self.fields["cycle"].queryset = cycles
        self.fields["job_family"].choices = family_choices()
        self.fields["parent"].queryset = (
            Goal.objects.filter(cycle__in=cycles)
            .exclude(owner_type=OwnerType.EMPLOYEE)
            .select_related("department", "cycle")
            .order_by("cycle__name", "owner_type", "department__name", "title")
        )
        self.fields["parent"].label_from_instance = lambda g: (
            f"{g.cycle.name} · {g.owner_label} · {g.title}"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("department") and not data.get("job_family"):
            raise forms.ValidationError(_("Choose a department, a job family, or both."))
        return data


class GoalsImportForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=Cycle.objects.none())
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = editable_cycles()

    def clean_file(self) -> Any:
        from django.conf import settings

        upload = self.cleaned_data["file"]
        limit = settings.PERFCYCLE_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}
            )
        return upload
