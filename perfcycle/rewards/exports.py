"""A bonus plan as a spreadsheet (HR), streamed through the shared defensive writer
(``perfcycle.imports.writing``): a text that a spreadsheet would read as a formula stays
text, and the lines are read in chunks rather than all at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from perfcycle.imports.writing import xlsx_bytes
from perfcycle.rewards.models import BonusLine, BonusPlan


def plan_headers() -> list[str]:
    return [
        _("Employee number"),
        _("Name"),
        _("Department"),
        _("Grade"),
        _("Base monthly pay"),
        _("Target bonus"),
        _("Grade coefficient"),
        _("Department coefficient"),
        _("Training factor"),
        _("Required training completed"),
        _("Amount before scaling"),
        _("Scale factor"),
        _("Computed amount"),
        _("Adjustment"),
        _("Reason"),
        _("Final amount"),
        _("Currency"),
    ]


def _met(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def plan_rows(plan: BonusPlan, lines: QuerySet[BonusLine]) -> Iterator[list[Any]]:
    """One row per line, made as the lines are read in chunks; one query."""
    for r in (
        lines.order_by("employee__name", "pk")
        .values(
            "employee__employee_number",
            "employee__name",
            "department__name",
            "grade",
            "base",
            "target",
            "grade_coefficient",
            "department_coefficient",
            "training_factor",
            "training_met",
            "raw_amount",
            "scale_factor",
            "amount",
            "adjustment",
            "reason",
            "final_amount",
        )
        .iterator(chunk_size=2000)
    ):
        yield [
            r["employee__employee_number"],
            r["employee__name"],
            r["department__name"] or "",
            r["grade"],
            r["base"],
            r["target"] if r["target"] is not None else "",
            r["grade_coefficient"].normalize(),
            r["department_coefficient"].normalize(),
            "" if r["training_factor"] is None else r["training_factor"].normalize(),
            _met(r["training_met"]),
            r["raw_amount"],
            r["scale_factor"],
            r["amount"],
            r["adjustment"],
            r["reason"],
            r["final_amount"],
            plan.currency,
        ]


def plan_xlsx(plan: BonusPlan, lines: QuerySet[BonusLine]) -> bytes:
    return xlsx_bytes(plan_headers(), plan_rows(plan, lines), title=plan.name)
