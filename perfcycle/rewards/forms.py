"""Forms of the reward pages; they parse, the services decide."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.core.numbers import plain
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import Course
from perfcycle.org.models import Department
from perfcycle.rewards.models import BonusPlan, Compensation, Method, Motivator, TrainingRule
from perfcycle.rewards.services import DepartmentInput


class PlanForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=gettext_lazy("Cycle"), queryset=Cycle.objects.order_by("-start_date")
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=Method.choices)
    budget = forms.DecimalField(
        label=gettext_lazy("Budget"), min_value=0, max_digits=14, decimal_places=2
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="CNY")
    rounding_unit = forms.DecimalField(
        label=gettext_lazy("Rounding unit"),
        initial=Decimal("0.01"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
    )
    adjustment_band = forms.DecimalField(
        label=gettext_lazy("Adjustment band %"),
        initial=Decimal(10),
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    coefficients = forms.CharField(
        label=gettext_lazy("Coefficient per grade"),
        initial="S=1.5\nA=1.2\nB=1.0\nC=0.5\nD=0",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One grade per line: grade=coefficient."),
    )
    departments = forms.CharField(
        label=gettext_lazy("Departments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Optional, one per line: department code, coefficient and (pool method) pool, "
            "separated by spaces, e.g. SALES 1.1 50000."
        ),
    )
    training_rule = forms.ChoiceField(
        label=gettext_lazy("Training rule"),
        choices=TrainingRule.choices,
        initial=TrainingRule.NONE,
        required=False,
    )
    required_courses = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Required courses"),
        queryset=Course.objects.filter(is_active=True).order_by("title"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    training_factor = forms.DecimalField(
        label=gettext_lazy("Training factor"),
        initial=Decimal("1.05"),
        required=False,
        max_digits=6,
        decimal_places=3,
        help_text=gettext_lazy("For the factor rule: applied to people who completed them all."),
    )
    training_deadline = forms.DateField(
        label=gettext_lazy("Training completed by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    domain_field_names = {"grade_coefficients": "coefficients"}

    def __init__(self, *args: Any, plan: BonusPlan | None = None, **kwargs: Any) -> None:
        """With ``plan``, the form edits it: its cycle is fixed, its values filled in."""
        if plan is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(plan)
        super().__init__(*args, **kwargs)
        if plan is not None:
            del self.fields["cycle"]
        else:
            del self.fields["version"]

    @staticmethod
    def initial_for(plan: BonusPlan) -> dict[str, Any]:
        rows = plan.departments.select_related("department").order_by("department__code")
        return {
            "name": plan.name,
            "method": plan.method,
            "budget": plan.budget,
            "currency": plan.currency,
            "rounding_unit": plan.rounding_unit,
            "adjustment_band": plan.adjustment_band,
            "coefficients": "\n".join(f"{g}={c}" for g, c in plan.grade_coefficients.items()),
            "departments": "\n".join(
                " ".join(
                    [r.department.code, plain(r.coefficient)]
                    + ([] if r.pool is None else [str(r.pool)])
                )
                for r in rows
            ),
            "training_rule": plan.training_rule,
            "required_courses": list(plan.required_courses.all()),
            "training_factor": plan.training_factor,
            "training_deadline": plan.training_deadline,
            "version": plan.version,
        }

    def settings(self) -> dict[str, Any]:
        """The cleaned values as ``plan_create``/``plan_update`` take them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "method": data["method"],
            "budget": data["budget"],
            "currency": data["currency"],
            "rounding_unit": data["rounding_unit"],
            "adjustment_band": data["adjustment_band"],
            "grade_coefficients": data["coefficients"],
            "departments": data["departments"],
            "training_rule": data["training_rule"] or TrainingRule.NONE,
            "required_courses": list(data["required_courses"] or []),
            "training_factor": (
                Decimal(1) if data["training_factor"] is None else data["training_factor"]
            ),
            "training_deadline": data["training_deadline"],
        }

    def clean_coefficients(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for raw in self.cleaned_data["coefficients"].splitlines():
            line = raw.strip()
            if not line:
                continue
            grade, sep, value = line.partition("=")
            if not sep:
                raise forms.ValidationError(_("Write each line as grade=coefficient."))
            table[grade.strip()] = value.strip()
        return table

    def clean_departments(self) -> list[DepartmentInput]:
        rows: list[DepartmentInput] = []
        text = self.cleaned_data.get("departments") or ""
        codes = {
            d.code: d
            for d in Department.objects.filter(
                code__in=[line.split()[0] for line in text.splitlines() if line.split()]
            )
        }
        for raw in text.splitlines():
            parts = raw.split()
            if not parts:
                continue
            department = codes.get(parts[0])
            if department is None:
                raise forms.ValidationError(
                    _("No department has the code %(code)s.") % {"code": parts[0]}
                )
            try:
                coefficient = Decimal(parts[1]) if len(parts) > 1 else Decimal(1)
                pool = Decimal(parts[2]) if len(parts) > 2 else None
            except InvalidOperation as exc:
                raise forms.ValidationError(
                    _("Line %(line)s: write numbers.") % {"line": raw.strip()}
                ) from exc
            rows.append(DepartmentInput(department, coefficient, pool))
        return rows


class CompensationForm(forms.Form):
    """One person's pay on record."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    base_monthly = forms.DecimalField(
        label=gettext_lazy("Base monthly pay"), min_value=0, max_digits=14, decimal_places=2
    )
    target_bonus_amount = forms.DecimalField(
        label=gettext_lazy("Target bonus amount"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Takes precedence over months if both are given."),
    )
    target_bonus_months = forms.DecimalField(
        label=gettext_lazy("Target bonus (months of base pay)"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="CNY")

    @staticmethod
    def initial_for(comp: Compensation | None) -> dict[str, Any]:
        if comp is None:
            return {"currency": "CNY"}
        return {
            "version": comp.version,
            "base_monthly": comp.base_monthly,
            "target_bonus_amount": comp.target_bonus_amount,
            "target_bonus_months": comp.target_bonus_months,
            "currency": comp.currency,
        }


class PayImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.PERFCYCLE_IMPORT_MAX_BYTES
        if upload.size > limit:
            # Refused before the file is read into memory.
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}
            )
        return upload


class AdjustForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    adjustment = forms.DecimalField(
        label=gettext_lazy("Adjustment"), max_digits=14, decimal_places=2
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MotivationForm(forms.Form):
    """One rank per motivator; each rank 1–6 used once."""

    def __init__(self, *args: Any, current: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ranks = [(str(i), str(i)) for i in range(1, len(Motivator.choices) + 1)]
        order = current or []
        for code, label in Motivator.choices:
            initial = str(order.index(code) + 1) if code in order else None
            self.fields[code] = forms.ChoiceField(label=label, choices=ranks, initial=initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ranks = [data.get(code) for code in Motivator.values]
        if None not in ranks and len(set(ranks)) != len(ranks):
            raise forms.ValidationError(_("Give each motivator a different rank."))
        return data

    def ordered(self) -> list[str]:
        return sorted(Motivator.values, key=lambda code: int(self.cleaned_data[code]))
