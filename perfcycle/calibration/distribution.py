"""The distribution guideline (强制分布): target share per grade, a tolerance, strict or
advisory — and how a group's grades compare with it. The one place that says whether a
group is "off" the guideline; the distribution page, calibration sessions (sign-off) and
release (in strict mode) all ask here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, overload

from django.db import connections, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record, to_json_value
from perfcycle.calibration.models import CalibrationSettings
from perfcycle.core.errors import DomainError
from perfcycle.core.numbers import plain
from perfcycle.core.validation import field_error, full_clean
from perfcycle.cycles.models import Cycle, GradeBand
from perfcycle.org.models import Department

HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")

# Suggested guidelines for the common scales: S/A/B/C/D and the classic 20/70/10.
DEFAULT_SHARES = {
    "S": Decimal(10),
    "A": Decimal(20),
    "B": Decimal(50),
    "C": Decimal(15),
    "D": Decimal(5),
}


def settings_for(cycle: Cycle) -> CalibrationSettings:
    """The cycle's settings; unsaved defaults (no guideline) when none were set."""
    found = CalibrationSettings.objects.filter(cycle=cycle).first()
    return found or CalibrationSettings(cycle=cycle, shares={})


def grade_codes(cycle: Cycle) -> list[str]:
    """The cycle's grades, best first."""
    return list(
        GradeBand.objects.filter(scale_id=cycle.grade_scale_id)
        .order_by("-min_score")
        .values_list("code", flat=True)
    )


def _shares(raw: Mapping[str, Any], codes: list[str]) -> dict[str, Decimal]:
    shares: dict[str, Decimal] = {}
    problems = []
    for code, value in raw.items():
        if code not in codes:
            problems.append(_("“%(code)s” is not a grade of this cycle.") % {"code": code})
            continue
        if value in (None, ""):
            continue
        try:
            share = Decimal(str(value))
        except (InvalidOperation, ValueError):
            problems.append(_("The share of %(code)s is not a number.") % {"code": code})
            continue
        if not Decimal(0) <= share <= HUNDRED:
            problems.append(_("The share of %(code)s must lie between 0 and 100.") % {"code": code})
            continue
        shares[code] = share
    if problems:
        raise field_error("shares", " ".join(problems))
    if shares and sum(shares.values(), Decimal(0)) != HUNDRED:
        raise field_error(
            "shares",
            _("The target shares must total 100%%; they total %(total)s%%.")
            % {"total": format(sum(shares.values(), Decimal(0)).normalize(), "f")},
        )
    return shares


@transaction.atomic
def settings_set(
    *, actor: Any, cycle: Cycle, expected_version: int | None = None, **values: Any
) -> CalibrationSettings:
    """Set the guideline (``shares`` per grade code, ``tolerance``, ``strict``) and the
    appeal rules (``appeal_window_days``, ``appeal_decision_days``); audited."""
    from perfcycle.access.policy import Action, may
    from perfcycle.core.errors import Forbidden

    if not may(actor, Action.CALIBRATION_SETTINGS):
        raise Forbidden(_("Only HR sets the distribution guideline."))
    if cycle.is_closed:
        raise DomainError(_("A closed cycle cannot be changed."), code="cycle_closed")
    allowed = {"shares", "tolerance", "strict", "appeal_window_days", "appeal_decision_days"}
    unknown = set(values) - allowed
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown field."))
    current = CalibrationSettings.objects.select_for_update().filter(cycle=cycle).first()
    created = current is None
    current = current or CalibrationSettings(cycle=cycle, shares={})
    before = {name: to_json_value(getattr(current, name)) for name in sorted(allowed)}
    if "shares" in values:
        values["shares"] = {
            k: plain(v) for k, v in _shares(values["shares"] or {}, grade_codes(cycle)).items()
        }
    for name, value in values.items():
        setattr(current, name, value)
    full_clean(current)
    if created:
        current.save()
    else:
        current.save_versioned(expected_version=expected_version, update_fields=list(values))
    after = {name: to_json_value(getattr(current, name)) for name in sorted(allowed)}
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=current,
        before=None if created else before,
        after=after,
    )
    return current


@dataclass(frozen=True)
class GradeRow:
    code: str
    count: int
    share: Decimal  # actual, percent of the group
    target: Decimal | None  # guideline percent
    deviation: Decimal | None  # actual − target, percentage points
    off: bool  # beyond the tolerance


@dataclass(frozen=True)
class DistributionCheck:
    """A group's grades against the guideline."""

    label: str
    total: int
    rows: list[GradeRow]
    tolerance: Decimal
    strict: bool
    ungraded: int = 0
    has_guideline: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def off(self) -> list[GradeRow]:
        return [r for r in self.rows if r.off]

    @property
    def ok(self) -> bool:
        return not self.off


def check(
    settings: CalibrationSettings, codes: list[str], grades: Iterable[str], *, label: str = ""
) -> DistributionCheck:
    """Compare ``grades`` (one per person; '' for none) with the guideline."""
    return check_counts(settings, codes, Counter(grades), label=label)


def check_counts(
    settings: CalibrationSettings,
    codes: list[str],
    counts: Mapping[str, int],
    *,
    label: str = "",
    _rows: dict[tuple[int, ...], list[GradeRow]] | None = None,
) -> DistributionCheck:
    """``check`` from the number of people per grade ('' for those without one).
    ``_rows``: a cache of the grade rows by counts, for many groups of one guideline."""
    ungraded = counts.get("", 0)
    total, rows = _rows_for(settings, codes, counts, _rows)
    return DistributionCheck(
        label=label,
        total=total,
        rows=rows,
        tolerance=settings.tolerance,
        strict=settings.strict,
        ungraded=ungraded,
        has_guideline=bool(settings.shares),
    )


def _rows_for(
    settings: CalibrationSettings,
    codes: list[str],
    counts: Mapping[str, int],
    cache: dict[tuple[int, ...], list[GradeRow]] | None,
) -> tuple[int, list[GradeRow]]:
    total = sum(counts.values()) - counts.get("", 0)
    key = (total, *[counts.get(code, 0) for code in codes])
    rows = cache.get(key) if cache is not None else None
    if rows is None:
        rows = _grade_rows(settings, codes, counts, total)
        if cache is not None:
            cache[key] = rows
    return total, rows


def _grade_rows(
    settings: CalibrationSettings, codes: list[str], counts: Mapping[str, int], total: int
) -> list[GradeRow]:
    shares = {k: Decimal(str(v)) for k, v in (settings.shares or {}).items()}
    rows = []
    for code in codes:
        n = counts.get(code, 0)
        share = (
            (Decimal(n) * HUNDRED / total).quantize(ONE_PLACE, ROUND_HALF_UP)
            if total
            else Decimal(0)
        )
        target = shares.get(code) if shares else None
        deviation = None if target is None else (share - target).quantize(ONE_PLACE)
        rows.append(
            GradeRow(
                code=code,
                count=n,
                share=share,
                target=target,
                deviation=deviation,
                off=bool(total) and deviation is not None and abs(deviation) > settings.tolerance,
            )
        )
    return rows


# --- Suggestions and the distribution of a cycle's results --------------------------------


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    shares: dict[str, Decimal]


def presets(codes: list[str]) -> list[Preset]:
    """Suggested guidelines that fit the cycle's grades (best first): S10/A20/B50/C15/D5
    for S/A/B/C/D, and the classic 20/70/10 for three grades (or spread over five)."""
    found = []
    if [c.upper() for c in codes] == list(DEFAULT_SHARES):
        found.append(
            Preset(
                "sabcd",
                _("S 10 · A 20 · B 50 · C 15 · D 5"),
                dict(zip(codes, DEFAULT_SHARES.values(), strict=True)),
            )
        )
        found.append(
            Preset(
                "classic",
                _("20/70/10: S 5 · A 15 · B 70 · C 5 · D 5"),
                dict(zip(codes, (Decimal(v) for v in (5, 15, 70, 5, 5)), strict=True)),
            )
        )
    elif len(codes) == 3:
        found.append(
            Preset(
                "classic",
                _("20/70/10: the best 20%, the middle 70%, the lowest 10%"),
                dict(zip(codes, (Decimal(20), Decimal(70), Decimal(10)), strict=True)),
            )
        )
    return found


def off_message(result: DistributionCheck) -> str:
    """Each grade outside the tolerance as "A: 40% against 20% ±5", joined."""
    return "; ".join(
        _("%(code)s: %(share)s%% against %(target)s%% ±%(tolerance)s")
        % {
            "code": row.code,
            "share": plain(row.share),
            "target": plain(row.target or Decimal(0)),
            "tolerance": plain(result.tolerance),
        }
        for row in result.off
    )


class DepartmentChecks(Sequence[tuple[int | None, DistributionCheck]]):
    """The departments' checks in tree order, each made when it is read: a page shows a
    few dozen of a large company's thousands, and which are off the guideline is known
    from their counts alone."""

    def __init__(
        self,
        settings: CalibrationSettings,
        codes: list[str],
        entries: list[tuple[int | None, dict[str, int], str]],
    ) -> None:
        self._settings, self._codes, self._entries = settings, codes, entries
        self._rows: dict[tuple[int, ...], list[GradeRow]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _check(self, i: int) -> tuple[int | None, DistributionCheck]:
        pk, counts, label = self._entries[i]
        return pk, check_counts(self._settings, self._codes, counts, label=label, _rows=self._rows)

    @overload
    def __getitem__(self, index: int) -> tuple[int | None, DistributionCheck]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[int | None, DistributionCheck]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._check(i) for i in range(*index.indices(len(self)))]
        return self._check(range(len(self))[index])

    def off(self) -> list[DistributionCheck]:
        """The checks of the departments off the guideline."""
        found = []
        for i, (_pk, counts, _label) in enumerate(self._entries):
            total, rows = _rows_for(self._settings, self._codes, counts, self._rows)
            if total and any(r.off for r in rows):
                found.append(self._check(i)[1])
        return found


@dataclass(frozen=True)
class Overview:
    """A cycle's final grades against the guideline: everyone shown, and per department."""

    settings: CalibrationSettings
    codes: list[str]
    overall: DistributionCheck
    departments: DepartmentChecks

    @property
    def warnings(self) -> list[DistributionCheck]:
        return [c for c in (self.overall,) if c.off] + self.departments.off()


def overview(cycle: Cycle, results: Any, *, overall_label: str = "") -> Overview:
    """``results``: the ``Result`` rows to count (already narrowed to what the reader may
    see). Four queries whatever their number: settings, grade codes, the people per
    department and grade (a ``GROUP BY``), and those departments' names."""
    settings = settings_for(cycle)
    codes = grade_codes(cycle)
    counted = (
        results.order_by()
        .values("department_id", "grade")
        .annotate(n=Count("pk"))
        .values_list("department_id", "grade", "n")
    )
    by_department: dict[int | None, dict[str, int]] = {}
    overall: dict[str, int] = {}
    for department_id, grade, n in _fetch(counted):
        by_department.setdefault(department_id, {})[grade] = n
        overall[grade] = overall.get(grade, 0) + n
    # The departments counted: by id for a few, else all of them (one plain scan beats a
    # second pass over the results).
    ids = [pk for pk in by_department if pk is not None]
    departments = Department.objects.order_by()
    if len(ids) <= 500:
        departments = departments.filter(pk__in=ids)
    names: dict[int | None, tuple[str, str]] = {
        pk: (path or "", name or "")
        for pk, name, path in departments.values_list("pk", "name", "path")
    }
    no_department = _("No department")
    ordered = sorted(by_department, key=lambda pk: (pk is None, names.get(pk, ("", ""))))
    return Overview(
        settings=settings,
        codes=codes,
        overall=check_counts(settings, codes, overall, label=overall_label or _("Everyone shown")),
        departments=DepartmentChecks(
            settings,
            codes,
            [
                (
                    pk,
                    by_department[pk],
                    names.get(pk, ("", ""))[1] if pk is not None else no_department,
                )
                for pk in ordered
            ],
        ),
    )


def _fetch(rows: Any) -> list[tuple[Any, ...]]:
    """A values-list query's rows straight from the cursor: ids, text and counts need no
    conversion, and a large company's tens of thousands of rows come twice as fast."""
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def overall_check(cycle: Cycle, results: Any, *, label: str = "") -> DistributionCheck:
    """``results``' grades against the guideline, everyone together (three queries:
    settings, grade codes, the people per grade)."""
    counts = dict(
        results.order_by().values("grade").annotate(n=Count("pk")).values_list("grade", "n")
    )
    return check_counts(settings_for(cycle), grade_codes(cycle), counts, label=label)
