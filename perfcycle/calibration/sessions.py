"""Calibration sessions (校准会): who is in scope, grade and potential changes with a
written reason, lock, unlock and sign-off — and what a session page shows (the people
with their reviewers' rater flags, the live distribution against the guideline, the
adjustments, the 9-box).

Decisions, for HR and for the next reader:

- A session may be created while the cycle is in manager review or calibration (the
  same phases as ``results.results_prepare``); grades and potential change only in those
  phases, while the session is open, and never after the result was released.
- Every change needs a written reason of at least ``MIN_REASON`` characters — for the
  potential too: the 9-box feeds promotion and development talks, so a change there is
  as worth explaining as a grade change. Each change is an ``Adjustment`` row plus an
  audit event (before, after, reason) in one transaction.
- Two calibrators changing the same person at once: each form carries the result's
  version; the second save finds a newer version and gets ``Conflict`` (409).
- The 9-box's performance axis maps the cycle's grade scale (best first) into thirds:
  the top ``round(n / 3)`` grades are "high", as many at the bottom are "low", the rest
  "medium" (S/A/B/C/D → S, A high; B medium; C, D low; a three-grade scale one each).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, is_hr, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.calibration import distribution
from perfcycle.calibration.models import (
    Adjustment,
    CalibrationSession,
    Potential,
    Result,
    SessionMember,
    SessionScope,
    SessionStatus,
)
from perfcycle.core.errors import Conflict, DomainError, Forbidden
from perfcycle.core.numbers import plain
from perfcycle.core.validation import field_error, full_clean
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.org.models import Department, Employee

SESSION_PHASES = (Phase.MANAGER_REVIEW, Phase.CALIBRATION)
MIN_REASON = 10

GRADE = "grade"
POTENTIAL = "potential"


# --- Rules shared by the services --------------------------------------------------------


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise field_error(
            "reason",
            _("Give a reason of at least %(n)d characters: it is kept with the change.")
            % {"n": MIN_REASON},
            code="no_reason",
        )
    return text


def _check_phase(cycle: Cycle) -> None:
    if cycle.phase not in SESSION_PHASES:
        raise DomainError(
            _("Calibration sessions run during manager review and calibration."),
            code="wrong_phase",
        )


def _locked_status(session: CalibrationSession) -> str:
    """The session's status as stored now, the row locked until the transaction ends (so a
    change and a lock cannot cross)."""
    status = (
        CalibrationSession.objects.select_for_update()
        .filter(pk=session.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        raise DomainError(_("This session no longer exists."), code="not_found")
    return status


def _require_open(session: CalibrationSession) -> None:
    if _locked_status(session) != SessionStatus.OPEN:
        raise DomainError(
            _("This session is locked: no more changes can be made."), code="session_locked"
        )


# --- Creating a session -------------------------------------------------------------------


def scope_results(
    cycle: Cycle, scope: str, *, department: Department | None = None, level: str = ""
) -> Any:
    """The results a session with this scope covers (a queryset)."""
    results = Result.objects.filter(cycle=cycle)
    if scope == SessionScope.DEPARTMENT:
        assert department is not None
        return results.filter(department__path__startswith=department.path)
    if scope == SessionScope.LEVEL:
        return results.filter(employee__level=level)
    return results


@transaction.atomic
def session_create(
    *,
    actor: Any,
    cycle: Cycle,
    name: str,
    scope: str,
    department: Department | None = None,
    level: str = "",
    calibrators: Iterable[Employee],
) -> CalibrationSession:
    """A session over the cycle's results in ``scope`` (the whole company, a department's
    subtree, or one job level), with its calibrators. A person may be in several
    sessions. Audited."""
    if not may(actor, Action.SESSION_MANAGE):
        raise Forbidden(_("Only HR sets up calibration sessions."))
    _check_phase(cycle)
    if scope not in SessionScope.values:
        raise field_error("scope", _("Choose a scope."))
    level = (level or "").strip()
    if scope == SessionScope.DEPARTMENT and department is None:
        raise field_error("department", _("Choose the department."))
    if scope == SessionScope.LEVEL and not level:
        raise field_error("level", _("Give the job level."))
    if scope != SessionScope.DEPARTMENT:
        department = None
    if scope != SessionScope.LEVEL:
        level = ""
    people = list(calibrators)
    if not people:
        raise field_error("calibrators", _("Choose at least one calibrator."))
    session = CalibrationSession(
        cycle=cycle,
        name=(name or "").strip(),
        scope=scope,
        department=department,
        level=level,
        created_by=actor,
    )
    full_clean(session)
    result_ids = list(
        scope_results(cycle, scope, department=department, level=level).values_list("pk", flat=True)
    )
    if not result_ids:
        raise DomainError(
            _("Nobody with a result is in this scope: prepare the results first or widen it."),
            code="empty_scope",
        )
    session.save()
    session.calibrators.set(people)
    SessionMember.objects.bulk_create(
        [SessionMember(session=session, result_id=pk) for pk in result_ids], batch_size=1000
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=session,
        after={
            "name": session.name,
            "scope": scope,
            "department": department.pk if department else None,
            "level": level,
            "calibrators": sorted(p.pk for p in people),
            "people": len(result_ids),
        },
    )
    return session


# --- Changes --------------------------------------------------------------------------------


def _change(
    *,
    actor: Any,
    session: CalibrationSession,
    result: Result,
    what: str,
    value: str,
    reason: str,
    expected_version: int | None,
) -> Adjustment:
    if not may(actor, Action.SESSION_ADJUST, session):
        raise Forbidden(_("Only HR and this session's calibrators change its results."))
    _require_open(session)
    _check_phase(session.cycle)
    reason = _reason(reason)
    current = Result.objects.select_for_update().filter(pk=result.pk).first()
    if (
        current is None
        or not SessionMember.objects.filter(session=session, result=current).exists()
    ):
        raise DomainError(_("This person is not in this session."), code="not_in_session")
    me = acting_employee(actor)
    if me is not None and me.pk == current.employee_id:
        # A calibrator in their own session's scope: the others decide about them.
        raise Forbidden(_("Nobody calibrates their own result."))
    if current.released_at is not None:
        raise DomainError(
            _("This result has been released; an appeal can still change it."), code="released"
        )
    expected = current.version if expected_version is None else expected_version
    if current.version != expected:
        raise Conflict(
            _("Somebody else changed this record in the meantime. Reload it and try again."),
            details={
                "expected_version": expected,
                "version": current.version,
                what: getattr(current, what),
            },
        )
    before = getattr(current, what)
    if before == value:
        raise field_error(what, _("That is already the value."), code="unchanged")
    setattr(current, what, value)
    current.save_versioned(expected_version=expected, update_fields=[what])
    setattr(result, what, value)
    result.version = current.version
    adjustment = Adjustment.objects.create(
        result=current,
        session=session,
        field=what,
        before=before,
        after=value,
        reason=reason,
        by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=current,
        before={what: before},
        after={what: value, "session": session.pk},
        reason=reason,
    )
    return adjustment


@transaction.atomic
def grade_adjust(
    *,
    actor: Any,
    session: CalibrationSession,
    result: Result,
    grade: str,
    reason: str,
    expected_version: int | None,
) -> Adjustment:
    """Change a person's final grade in an open session, with a written reason. A stale
    ``expected_version`` raises ``Conflict``."""
    grade = (grade or "").strip()
    if grade not in distribution.grade_codes(session.cycle):
        raise field_error("grade", _("Choose one of this cycle's grades."), code="unknown_grade")
    return _change(
        actor=actor,
        session=session,
        result=result,
        what=GRADE,
        value=grade,
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def potential_set(
    *,
    actor: Any,
    session: CalibrationSession,
    result: Result,
    potential: str,
    reason: str,
    expected_version: int | None,
) -> Adjustment:
    """Set a person's potential (low, medium, high) for the 9-box, with a written reason
    like a grade change."""
    potential = (potential or "").strip()
    if potential not in Potential.values:
        raise field_error("potential", _("Choose low, medium or high potential."))
    return _change(
        actor=actor,
        session=session,
        result=result,
        what=POTENTIAL,
        value=potential,
        reason=reason,
        expected_version=expected_version,
    )


# --- Lock, unlock, sign off -------------------------------------------------------------


def _set_status(
    *,
    actor: Any,
    session: CalibrationSession,
    status: str,
    fields: dict[str, Any],
    reason: str = "",
) -> CalibrationSession:
    before = session.status
    session.status = status
    for name, value in fields.items():
        setattr(session, name, value)
    session.save_versioned(expected_version=session.version, update_fields=["status", *fields])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=session,
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    return session


@transaction.atomic
def session_lock(*, actor: Any, session: CalibrationSession) -> CalibrationSession:
    """HR closes the session to changes (before sign-off)."""
    if not may(actor, Action.SESSION_MANAGE):
        raise Forbidden(_("Only HR locks a calibration session."))
    if _locked_status(session) != SessionStatus.OPEN:
        raise DomainError(_("This session is already locked."), code="session_locked")
    session.refresh_from_db()
    return _set_status(
        actor=actor,
        session=session,
        status=SessionStatus.LOCKED,
        fields={"locked_at": timezone.now()},
    )


@transaction.atomic
def session_unlock(*, actor: Any, session: CalibrationSession, reason: str) -> CalibrationSession:
    """HR reopens a locked session, with a reason. A signed-off session stays closed."""
    if not may(actor, Action.SESSION_MANAGE):
        raise Forbidden(_("Only HR unlocks a calibration session."))
    reason = _reason(reason)
    status = _locked_status(session)
    if status == SessionStatus.SIGNED_OFF:
        raise DomainError(
            _("This session has been signed off and cannot be reopened."), code="signed_off"
        )
    if status != SessionStatus.LOCKED:
        raise DomainError(_("This session is not locked."), code="not_locked")
    session.refresh_from_db()
    return _set_status(
        actor=actor,
        session=session,
        status=SessionStatus.OPEN,
        fields={"locked_at": None},
        reason=reason,
    )


def off_guideline_text(check: distribution.DistributionCheck) -> str:
    """ "S 30.0% (target 10%), D 0.0% (target 5%)": the grades outside the tolerance."""
    return ", ".join(
        _("%(code)s %(share)s%% (target %(target)s%%)")
        % {
            "code": row.code,
            "share": row.share,
            "target": plain(row.target) if row.target is not None else "—",
        }
        for row in check.off
    )


@transaction.atomic
def session_sign_off(*, actor: Any, session: CalibrationSession) -> CalibrationSession:
    """HR or a calibrator signs off a locked session. In strict mode the session's grades
    must lie within the guideline's tolerance."""
    if not may(actor, Action.SESSION_SIGN_OFF, session):
        raise Forbidden(_("Only HR and this session's calibrators sign it off."))
    status = _locked_status(session)
    if status == SessionStatus.SIGNED_OFF:
        raise DomainError(_("This session has already been signed off."), code="signed_off")
    if status != SessionStatus.LOCKED:
        raise DomainError(_("Lock the session before signing it off."), code="not_locked")
    session.refresh_from_db()
    found = session_distribution(session)
    if found.strict and found.has_guideline and not found.ok:
        raise DomainError(
            _(
                "The guideline is strict and this session is outside it: %(grades)s. "
                "Unlock the session and adjust, or change the guideline."
            )
            % {"grades": off_guideline_text(found)},
            code="off_guideline",
            details={"off": [row.code for row in found.off]},
        )
    return _set_status(
        actor=actor,
        session=session,
        status=SessionStatus.SIGNED_OFF,
        fields={"signed_off_at": timezone.now(), "signed_off_by": actor},
    )


# --- Selectors ------------------------------------------------------------------------------


def sessions_for(user: Any, cycle: Cycle) -> Any:
    """The cycle's sessions ``user`` may see, with their people counted and calibrators
    prefetched (three queries whatever the number of sessions)."""
    from perfcycle.access.policy import scope

    return (
        scope(
            user,
            Action.SESSION_VIEW,
            CalibrationSession.objects.filter(cycle=cycle),
            member="calibrators",
        )
        .select_related("department")
        .prefetch_related("calibrators")
        .annotate(people=Count("sessionmember", distinct=True))
        .order_by("name")
    )


def session_queryset() -> Any:
    """Sessions as the pages and the API read them: the cycle with its template and scale,
    the calibrators prefetched (the policy asks for them)."""
    return CalibrationSession.objects.select_related(
        "cycle__template", "cycle__grade_scale", "department", "signed_off_by"
    ).prefetch_related("calibrators")


@dataclass(frozen=True, slots=True)
class Named:
    """A person or department as a session row names them."""

    name: str
    employee_number: str = ""


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A person of a session as its pages and API show them: their result's fields, the
    changes this session made to it, their name and number, their department's name."""

    pk: int
    version: int
    cycle_id: int
    employee_id: int
    department_id: int | None
    computed_score: Decimal | None
    computed_grade: str
    grade: str
    potential: str
    changes: int
    employee: Named
    department: Named | None

    def get_potential_display(self) -> str:
        return str(_potential_labels().get(self.potential, self.potential))


@lru_cache(maxsize=1)
def _potential_labels() -> dict[str, Any]:
    return dict(Potential.choices)


def session_results(session: CalibrationSession) -> list[SessionRow]:
    """The session's people by name: each result with the person and department, counting
    this session's changes. Plain rows from one query: a session of 2,000 people came as
    6,000 model instances, ~100 ms of the page on a slow machine; these take ~5 ms."""
    changes = (
        Adjustment.objects.filter(result=OuterRef("pk"), session=session)
        .order_by()
        .values("result")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Result.objects.filter(sessionmember__session=session)
        .annotate(changes=Coalesce(Subquery(changes), 0))
        .order_by("employee__name", "pk")
        .values_list(*SESSION_RESULT_FIELDS, "changes", *SESSION_NAME_FIELDS)
    )
    return [
        SessionRow(
            *row[:10],
            employee=Named(row[10], row[11]),
            department=Named(row[12]) if row[4] is not None else None,
        )
        for row in rows
    ]


# In ``SessionRow``'s order, up to its changes (``department_id`` fifth).
SESSION_RESULT_FIELDS = (
    "pk",
    "version",
    "cycle_id",
    "employee_id",
    "department_id",
    "computed_score",
    "computed_grade",
    "grade",
    "potential",
)
SESSION_NAME_FIELDS = ("employee__name", "employee__employee_number", "department__name")


def session_distribution(
    session: CalibrationSession, grades: Sequence[str] | None = None
) -> distribution.DistributionCheck:
    """The session's final grades against the cycle's guideline (three queries; one fewer
    when ``grades`` are given)."""
    if grades is None:
        grades = list(
            Result.objects.filter(sessionmember__session=session).values_list("grade", flat=True)
        )
    return distribution.check(
        distribution.settings_for(session.cycle),
        distribution.grade_codes(session.cycle),
        grades,
        label=session.name,
    )


# Rater flags, as a reviewer's role may be shown to someone who is not HR: peers and
# direct reports (upward reviews) are anonymous, managers are not.
ANONYMOUS_SOURCES = frozenset({"peer", "report"})
SOURCE_WORDS = {
    "manager": gettext_lazy("manager"),
    "skip": gettext_lazy("skip-level manager"),
    "peer": gettext_lazy("a peer"),
    "report": gettext_lazy("a direct report"),
}


@dataclass(frozen=True)
class RaterNote:
    """One of a person's reviewers the rater analysis flagged."""

    flag: str
    source: str
    reviewer_id: int | None  # None when the viewer may not know who
    reviewer_name: str

    @property
    def text(self) -> str:
        return _note_text(
            get_language(), self.flag, self.source, self.reviewer_id is None, self.reviewer_name
        )


@lru_cache(maxsize=8192)
def _note_text(language: str | None, flag: str, source: str, anonymous: bool, name: str) -> str:
    """A note's sentence in ``language`` (the active one; a key of the cache): a session
    page repeats the same few thousand."""
    from perfcycle.evaluation.analysis import FLAG_LABELS

    label = str(FLAG_LABELS.get(flag, flag))
    if anonymous:
        return _("rated by a %(flag)s rater: %(who)s") % {
            "flag": label,
            "who": SOURCE_WORDS.get(source, source),
        }
    return _("rated by a %(flag)s rater: %(name)s (%(source)s)") % {
        "flag": label,
        "name": name,
        "source": SOURCE_WORDS.get(source, source),
    }


def rater_notes(session: CalibrationSession, *, viewer: Any) -> dict[int, list[RaterNote]]:
    """By employee: their submitted reviewers (self-reviews aside) whom the rater analysis
    flags lenient, harsh or central. Peer and upward reviewers are named to HR only.
    Two queries while the cycle's stored rater flags are current (the flags and the
    forms), four when they must be recomputed (``analysis.rater_flags``)."""
    from perfcycle.evaluation.analysis import rater_flags
    from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource

    flags = rater_flags(session.cycle)
    names_allowed = is_hr(viewer)
    notes: dict[int, list[RaterNote]] = defaultdict(list)
    # Every reviewer of the session's people, the unflagged ones skipped here rather than
    # in SQL: the flagged reviewers of a large cycle are too many for an IN list.
    forms = (
        ReviewForm.objects.filter(
            cycle=session.cycle,
            status=FormStatus.SUBMITTED,
            reviewee_id__in=SessionMember.objects.filter(session=session).values(
                "result__employee_id"
            ),
        )
        .exclude(source=ReviewSource.SELF)
        .order_by("reviewee_id", "source", "reviewer__name", "pk")
        .values_list("reviewee_id", "reviewer_id", "reviewer__name", "source")
    )
    for reviewee_id, reviewer_id, name, source in forms:
        found = flags.get(reviewer_id)
        if not found:
            continue
        anonymous = not names_allowed and source in ANONYMOUS_SOURCES
        for flag in found:
            notes[reviewee_id].append(
                RaterNote(
                    flag=flag,
                    source=source,
                    reviewer_id=None if anonymous else reviewer_id,
                    reviewer_name="" if anonymous else name,
                )
            )
    return notes


def session_adjustments(
    session: CalibrationSession, rows: Sequence[SessionRow] | None = None
) -> list[Adjustment]:
    """The session's changes, newest first, with who made them. Given the session's
    ``rows`` (which count each person's changes here), none without a query when they
    count none: a new session on a new company's database, whose statistics had the
    changes table empty, was planned as a read of every result of the cycle (~50 ms at
    100,000 people)."""
    if rows is not None and not any(row.changes for row in rows):
        return []
    return list(
        Adjustment.objects.filter(session=session)
        .select_related("result__employee", "by__employee")
        .order_by("-at", "-id")
    )


# --- The 9-box ------------------------------------------------------------------------------

LOW, MEDIUM, HIGH = "low", "medium", "high"
LEVELS = (HIGH, MEDIUM, LOW)


@dataclass(frozen=True)
class BoxKind:
    performance: str
    potential: str
    en: str  # English, translated through ``label``
    zh: str  # the Chinese term HR teams use

    @property
    def label(self) -> str:
        return _(self.en)


# Rows: potential high → low; columns: performance low → high.
BOX_KINDS: tuple[BoxKind, ...] = (
    BoxKind(LOW, HIGH, gettext_noop("Rough diamond"), "待发展"),
    BoxKind(MEDIUM, HIGH, gettext_noop("High potential"), "潜力之星"),
    BoxKind(HIGH, HIGH, gettext_noop("Star"), "明星"),
    BoxKind(LOW, MEDIUM, gettext_noop("Inconsistent player"), "待观察"),
    BoxKind(MEDIUM, MEDIUM, gettext_noop("Core player"), "中坚"),
    BoxKind(HIGH, MEDIUM, gettext_noop("High performer"), "骨干"),
    BoxKind(LOW, LOW, gettext_noop("Underperformer"), "待改进"),
    BoxKind(MEDIUM, LOW, gettext_noop("Effective"), "稳定贡献者"),
    BoxKind(HIGH, LOW, gettext_noop("Trusted professional"), "专业能手"),
)


def performance_levels(codes: Sequence[str]) -> dict[str, str]:
    """Grade code → "high", "medium" or "low": the top ``round(n / 3)`` grades (best first)
    are high, as many at the bottom low, the rest medium."""
    n = len(codes)
    k = round(n / 3)
    return {code: HIGH if i < k else LOW if i >= n - k else MEDIUM for i, code in enumerate(codes)}


@dataclass
class Box:
    kind: BoxKind
    people: list[SessionRow] = field(default_factory=list)


@dataclass
class NineBox:
    boxes: list[Box]  # in BOX_KINDS order: three rows of three
    unrated: list[SessionRow]  # no potential yet
    ungraded: list[SessionRow]  # no final grade
    levels: dict[str, str]

    @property
    def rows(self) -> list[list[Box]]:
        return [self.boxes[i : i + 3] for i in range(0, 9, 3)]

    def box(self, performance: str, potential: str) -> Box:
        return next(
            b
            for b in self.boxes
            if (b.kind.performance, b.kind.potential) == (performance, potential)
        )


def ninebox(session: CalibrationSession, results: Iterable[SessionRow] | None = None) -> NineBox:
    """The session's people placed by performance (final grade, in thirds) and potential."""
    levels = performance_levels(distribution.grade_codes(session.cycle))
    people = list(results) if results is not None else list(session_results(session))
    grid = NineBox([Box(kind) for kind in BOX_KINDS], [], [], levels)
    where = {(b.kind.performance, b.kind.potential): b for b in grid.boxes}
    for result in people:
        performance = levels.get(result.grade)
        if performance is None:
            grid.ungraded.append(result)
        elif not result.potential:
            grid.unrated.append(result)
        else:
            where[(performance, result.potential)].people.append(result)
    return grid
