"""Who reviews whom: automatic assignment for a whole cycle, manual edits, and peer
nomination by the employee with the manager's approval.

``assignment_generate`` works on the whole cycle in a fixed number of queries whatever
its size: it reads the participants (with their managers' snapshots) and the existing
forms once, decides in memory, and writes the new forms in one bulk statement
(``core.bulk.insert_rows``: ``COPY`` on PostgreSQL, ``executemany`` on SQLite), with
no model instance per form. Peers come from the person's team (same manager first,
then same department), never the person, their manager, their skip-level manager or
their direct reports; a reviewer takes at most ``max_forms_per_reviewer`` peer forms,
chosen greedily by current load with ties broken by employee id, so the same input
always gives the same assignment.

Existing forms are kept as they are, so running the generation again creates only
what is missing; submitted forms, and forms added, removed or nominated by hand, are
never touched.

Audit: a generation is one action, recorded as **one summary event on the cycle**
(who, the settings, the forms before and after per source, what was created per
source, who is short of peers, and the ``created_at`` that every form it created
carries, so "the forms this generation made" is one query) instead of one event per
form: at 600,000 forms the per-form trail cost more than the forms themselves and said
nothing the summary does not. The hand edits (``review_form_add``,
``review_form_remove``, ``peers_nominate``, ``peers_approve``, ``peers_decline``)
still record one event per form.

Who may call what is the policy's job (``access.policy``: ``REVIEW_ASSIGN``,
``REVIEW_NOMINATE_PEERS``, ``REVIEW_APPROVE_PEERS``); these services enforce the
states and counts.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.bulk import analyze_large_write, insert_rows
from perfcycle.core.errors import DomainError
from perfcycle.core.validation import field_error
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase, ReviewTemplate
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.templates import template_check_complete
from perfcycle.org.models import Employee

DEFAULT_MAX_PEER_FORMS = 5
# Reviewers can be assigned until the reviews are done.
ASSIGNABLE_PHASES = frozenset(
    {
        Phase.DRAFT,
        Phase.PLANNING,
        Phase.IN_PROGRESS,
        Phase.SELF_REVIEW,
        Phase.REVIEW_360,
        Phase.MANAGER_REVIEW,
    }
)


@dataclass
class AssignmentReport:
    """What one generation did: forms created per source, forms already there, and the
    people who got fewer peers than asked for (employee id → peers they have)."""

    created: dict[str, int] = field(default_factory=dict)
    existing: int = 0
    short_of_peers: dict[int, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": dict(sorted(self.created.items())),
            "total_created": self.total_created,
            "existing": self.existing,
            "short_of_peers": {str(k): v for k, v in sorted(self.short_of_peers.items())},
        }


@dataclass(frozen=True, slots=True)
class _Person:
    employee_id: int
    manager_id: int | None
    skip_id: int | None
    department_id: int | None


def _ensure_assignable(cycle: Cycle) -> ReviewTemplate:
    if cycle.phase not in ASSIGNABLE_PHASES:
        raise DomainError(
            _("Reviewers can no longer change: the cycle “%(cycle)s” is in the %(phase)s phase.")
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()},
            code="cycle_locked",
        )
    if cycle.template_id is None:
        raise DomainError(
            _("The cycle “%(cycle)s” has no review template yet.") % {"cycle": cycle.name},
            code="cycle_incomplete",
        )
    return cycle.template  # type: ignore[return-value]


def _ensure_ready(cycle: Cycle) -> ReviewTemplate:
    """Assignable, and its template complete: nobody is asked to review with a template
    whose competency weights do not add up or whose anchors are off the scale."""
    template = _ensure_assignable(cycle)
    template_check_complete(template)
    return template


def _load_people(cycle: Cycle) -> dict[int, _Person]:
    """The participants with their manager snapshot; the skip-level manager is the
    manager's own snapshot when the manager takes part, else the manager's manager now."""
    rows = (
        CycleParticipant.objects.filter(cycle=cycle)
        .order_by("employee_id")
        .values_list("employee_id", "manager_id", "manager__manager_id", "department_id")
    )
    raw = list(rows)
    snapshot_manager = {emp: mgr for emp, mgr, _live_skip, _dept in raw}
    people: dict[int, _Person] = {}
    for emp, mgr, live_skip, dept in raw:
        skip = snapshot_manager[mgr] if mgr is not None and mgr in snapshot_manager else live_skip
        people[emp] = _Person(emp, mgr, skip, dept)
    return people


def _repr(cycle: Cycle, reviewer: str, reviewee: str, source: str) -> str:
    return f"{cycle}: {reviewer} → {reviewee} ({source})"


def _form_counts(by_source: dict[str, int]) -> dict[str, Any]:
    """The summary event's form counts: in all and per source."""
    return {"total": sum(by_source.values()), "by_source": dict(sorted(by_source.items()))}


@transaction.atomic
def assignment_generate(
    *,
    actor: User | None,
    cycle: Cycle,
    peers_per_person: int = 3,
    max_forms_per_reviewer: int = DEFAULT_MAX_PEER_FORMS,
    include_skip_level: bool = False,
    include_upward: bool = True,
) -> AssignmentReport:
    """Create the review forms of every participant of ``cycle`` that do not exist yet.

    Refuses (``template_incomplete``) while the cycle's template is not complete."""
    template = _ensure_ready(cycle)
    if peers_per_person < 0:
        raise field_error("peers_per_person", _("The number of peers cannot be negative."))
    if max_forms_per_reviewer < 1:
        raise field_error(
            "max_forms_per_reviewer", _("Each reviewer must be able to take at least one form.")
        )
    # One generation per cycle at a time (a no-op on SQLite, which locks the database).
    Cycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").first()
    people = _load_people(cycle)
    # In no particular order (nothing below depends on it): sorting 600,000 rows by the
    # model's ordering took longer than reading them.
    existing = list(
        ReviewForm.objects.filter(cycle=cycle)
        .order_by()
        .values_list("reviewee_id", "reviewer_id", "source", "status")
    )
    taken: set[tuple[int, int, str]] = {(e, r, s) for e, r, s, _st in existing}
    peer_load: dict[int, int] = defaultdict(int)
    peers_of: dict[int, set[int]] = defaultdict(set)  # reviewee → reviewers (any status)
    peer_count: dict[int, int] = defaultdict(int)  # reviewee → peer forms not declined
    for reviewee, reviewer, source, status in existing:
        if source == ReviewSource.PEER:
            peers_of[reviewee].add(reviewer)
            if status != FormStatus.DECLINED:
                peer_load[reviewer] += 1
                peer_count[reviewee] += 1

    planned: list[tuple[int, int, str]] = []

    def plan(reviewee: int, reviewer: int | None, source: str) -> None:
        if reviewer is None:
            return
        key = (reviewee, reviewer, source)
        if key not in taken:
            taken.add(key)
            planned.append(key)

    reports_of: dict[int, list[int]] = defaultdict(list)  # manager → participants, by id
    same_department: dict[int, list[int]] = defaultdict(list)
    for p in people.values():  # in employee id order
        if p.manager_id is not None:
            reports_of[p.manager_id].append(p.employee_id)
        if p.department_id is not None:
            same_department[p.department_id].append(p.employee_id)

    upward = include_upward and template.report_weight > 0
    for p in people.values():
        plan(p.employee_id, p.employee_id, ReviewSource.SELF)
        plan(p.employee_id, p.manager_id, ReviewSource.MANAGER)
        if include_skip_level and p.skip_id != p.employee_id:
            plan(p.employee_id, p.skip_id, ReviewSource.SKIP)
        if upward:
            for report in reports_of.get(p.employee_id, ()):
                plan(p.employee_id, report, ReviewSource.REPORT)

    report = AssignmentReport()
    for p in people.values():
        wanted = peers_per_person - peer_count[p.employee_id]
        if wanted <= 0:
            continue
        excluded = {p.employee_id, p.manager_id, p.skip_id, *reports_of.get(p.employee_id, ())}
        excluded |= peers_of[p.employee_id]
        tiers = [
            reports_of.get(p.manager_id, []) if p.manager_id is not None else [],
            same_department.get(p.department_id, []) if p.department_id is not None else [],
        ]
        seen: set[int | None] = set(excluded)
        for tier in tiers:
            if wanted <= 0:
                break
            candidates = [c for c in tier if c not in seen]
            seen.update(candidates)
            # Reviewers at the cap sort last, so the ``wanted`` least loaded suffice.
            for candidate in heapq.nsmallest(wanted, candidates, key=lambda c: (peer_load[c], c)):
                if peer_load[candidate] >= max_forms_per_reviewer:
                    continue
                plan(p.employee_id, candidate, ReviewSource.PEER)
                peer_load[candidate] += 1
                peers_of[p.employee_id].add(candidate)
                peer_count[p.employee_id] += 1
                wanted -= 1
        if peer_count[p.employee_id] < peers_per_person:
            report.short_of_peers[p.employee_id] = peer_count[p.employee_id]

    now = timezone.now()
    insert_rows(
        ReviewForm,
        ["reviewee_id", "reviewer_id", "source"],
        planned,
        now=now,
        constants={"cycle_id": cycle.pk, "status": FormStatus.OPEN},
    )
    analyze_large_write([ReviewForm], len(planned))
    before: dict[str, int] = defaultdict(int)
    for _reviewee, _reviewer, source, _status in existing:
        before[source] += 1
    for _reviewee, _reviewer, source in planned:
        report.created[str(source)] = report.created.get(str(source), 0) + 1
    report.existing = len(existing)
    after = defaultdict(int, before)
    for source, count in report.created.items():
        after[source] += count

    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        before={"review_forms": _form_counts(before)},
        after={
            "review_forms": _form_counts(after),
            "review_assignment": report.as_dict(),
            "forms_created_at": now.isoformat(),
            "settings": {
                "peers_per_person": peers_per_person,
                "max_forms_per_reviewer": max_forms_per_reviewer,
                "include_skip_level": include_skip_level,
                "include_upward": include_upward,
            },
        },
        reason=_("Reviewers assigned automatically."),
    )
    return report


# Manual edits ---------------------------------------------------------------------------


def _participant(
    cycle: Cycle, employee: Employee, field_name: str, *, lock: bool = False
) -> CycleParticipant:
    """The participation of ``employee``; with ``lock``, held until the transaction ends
    so that two nominations or approvals for one person cannot pass the count together."""
    rows = CycleParticipant.objects.filter(cycle=cycle, employee=employee)
    found = (rows.select_for_update() if lock else rows).first()
    if found is None:
        raise field_error(
            field_name,
            _("%(person)s does not take part in the cycle “%(cycle)s”.")
            % {"person": employee, "cycle": cycle.name},
            code="not_participant",
        )
    return found


def _check_peer(cycle: Cycle, reviewee: CycleParticipant, reviewer: Employee) -> None:
    if reviewer.pk == reviewee.employee_id:
        raise field_error("reviewer", _("Nobody can be their own peer reviewer."), code="self_peer")
    if reviewer.pk == reviewee.manager_id:
        raise field_error(
            "reviewer",
            _("%(person)s is the manager and reviews as the manager, not as a peer.")
            % {"person": reviewer},
            code="manager_peer",
        )
    _participant(cycle, reviewer, "reviewer")


def _form_audit(actor: Any, form: ReviewForm) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=form,
        after=snapshot(form, ["cycle", "reviewee", "reviewer", "source", "status"]),
    )


@transaction.atomic
def review_form_add(
    *, actor: User | None, cycle: Cycle, reviewee: Employee, reviewer: Employee, source: str
) -> ReviewForm:
    """Add one reviewer by hand, after or instead of the automatic assignment (refused
    while the cycle's template is incomplete, like the automatic one)."""
    _ensure_ready(cycle)
    if source not in ReviewSource.values:
        raise field_error("source", _("Unknown review source “%(source)s”.") % {"source": source})
    participant = _participant(cycle, reviewee, "reviewee")
    if source == ReviewSource.SELF:
        if reviewer.pk != reviewee.pk:
            raise field_error("reviewer", _("A self-review is written by the person themselves."))
    elif source == ReviewSource.PEER:
        _check_peer(cycle, participant, reviewer)
    elif reviewer.pk == reviewee.pk:
        raise field_error(
            "reviewer", _("Only the self-review is written by the person themselves.")
        )
    elif source == ReviewSource.REPORT:
        _participant(cycle, reviewer, "reviewer")
    if ReviewForm.objects.filter(
        cycle=cycle, reviewee=reviewee, reviewer=reviewer, source=source
    ).exists():
        raise field_error(
            "reviewer",
            _("%(reviewer)s already reviews %(reviewee)s as %(source)s.")
            % {
                "reviewer": reviewer,
                "reviewee": reviewee,
                "source": ReviewSource(source).label,
            },
            code="duplicate",
        )
    form = ReviewForm.objects.create(
        cycle=cycle, reviewee=reviewee, reviewer=reviewer, source=source, status=FormStatus.OPEN
    )
    _form_audit(actor, form)
    return form


@transaction.atomic
def review_form_remove(*, actor: User | None, form: ReviewForm) -> None:
    """Take a reviewer off; a submitted form stays."""
    _ensure_assignable(form.cycle)
    locked = ReviewForm.objects.select_for_update().get(pk=form.pk)
    if locked.status == FormStatus.SUBMITTED:
        raise DomainError(
            _("This review has been submitted and can no longer be removed."),
            code="form_submitted",
        )
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=locked,
        before=snapshot(locked, ["cycle", "reviewee", "reviewer", "source", "status"]),
    )
    locked.delete()


# Peer nomination -------------------------------------------------------------------------


@transaction.atomic
def peers_nominate(
    *,
    actor: User | None,
    cycle: Cycle,
    reviewee: Employee,
    reviewers: Sequence[Employee],
) -> list[ReviewForm]:
    """The employee proposes peers; each waits for the manager's approval.

    Counting the peer forms already there (except declined ones), the total must lie
    within the template's ``peer_min..peer_max``.
    """
    template = _ensure_assignable(cycle)
    participant = _participant(cycle, reviewee, "reviewee", lock=True)
    if not reviewers:
        raise field_error("reviewers", _("Choose at least one peer."))
    ids = [r.pk for r in reviewers]
    if len(set(ids)) != len(ids):
        raise field_error("reviewers", _("The same peer is named twice."), code="duplicate")
    for reviewer in reviewers:
        _check_peer(cycle, participant, reviewer)
    current = list(
        ReviewForm.objects.filter(cycle=cycle, reviewee=reviewee, source=ReviewSource.PEER)
    )
    by_reviewer = {f.reviewer_id: f for f in current}
    counted = sum(1 for f in current if f.status != FormStatus.DECLINED)
    # A colleague HR already asked is taken into the nomination silently: saying "already
    # asked" would tell the employee who reviews them.
    adopted = [
        by_reviewer[r.pk]
        for r in reviewers
        if r.pk in by_reviewer
        and by_reviewer[r.pk].nominated_by_id is None
        and by_reviewer[r.pk].status != FormStatus.DECLINED
    ]
    adopted_ids = {f.reviewer_id for f in adopted}
    repeated = [r for r in reviewers if r.pk in by_reviewer and r.pk not in adopted_ids]
    reviewers = [r for r in reviewers if r.pk not in adopted_ids]
    if repeated:
        raise field_error(
            "reviewers",
            _("Already asked for a peer review: %(names)s.")
            % {"names": ", ".join(str(r) for r in repeated)},
            code="duplicate",
        )
    total = counted + len(reviewers)
    if total > template.peer_max:
        raise field_error(
            "reviewers",
            _("At most %(max)s peers may review you; with these you would have %(total)s.")
            % {"max": template.peer_max, "total": total},
            code="too_many_peers",
        )
    if total < template.peer_min:
        raise field_error(
            "reviewers",
            _("Name at least %(min)s peers in all; with these you would have %(total)s.")
            % {"min": template.peer_min, "total": total},
            code="too_few_peers",
        )
    nominated_by = actor if getattr(actor, "pk", None) else None
    for form in adopted:
        form.nominated_by = nominated_by
        form.save(update_fields=["nominated_by", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=form,
            object_repr=_repr(cycle, form.reviewer.name, reviewee.name, form.source),
            after={"nominated_by": getattr(nominated_by, "pk", None)},
        )
    forms = [
        ReviewForm.objects.create(
            cycle=cycle,
            reviewee=reviewee,
            reviewer=reviewer,
            source=ReviewSource.PEER,
            status=FormStatus.NOMINATED,
            nominated_by=nominated_by,
        )
        for reviewer in reviewers
    ]
    for form in forms:
        _form_audit(actor, form)
    return [*adopted, *forms]


def _ensure_nominated(form: ReviewForm) -> None:
    if form.source != ReviewSource.PEER or form.status != FormStatus.NOMINATED:
        raise DomainError(
            _("Only a nominated peer awaiting approval can be approved or declined."),
            code="not_nominated",
        )


@transaction.atomic
def peers_approve(
    *, actor: User | None, form: ReviewForm, expected_version: int | None = None
) -> ReviewForm:
    """The manager accepts a nominated peer: the form opens for the reviewer."""
    cycle = form.cycle
    template = _ensure_assignable(cycle)
    _ensure_nominated(form)
    _participant(cycle, form.reviewee, "reviewee", lock=True)
    active = (
        ReviewForm.objects.active()
        .filter(cycle=cycle, reviewee_id=form.reviewee_id, source=ReviewSource.PEER)
        .count()
    )
    if active >= template.peer_max:
        raise DomainError(
            _("%(person)s already has the most peers allowed (%(max)s).")
            % {"person": form.reviewee, "max": template.peer_max},
            code="too_many_peers",
        )
    before = snapshot(form, ["status"])
    form.status = FormStatus.OPEN
    form.save_versioned(expected_version=expected_version, update_fields=["status"])
    audit_change(actor=actor, instance=form, before=before)
    return form


@transaction.atomic
def peers_decline(
    *, actor: User | None, form: ReviewForm, reason: str, expected_version: int | None = None
) -> ReviewForm:
    """The manager turns a nominated peer down, saying why."""
    _ensure_assignable(form.cycle)
    _ensure_nominated(form)
    if not reason.strip():
        raise field_error("reason", _("Say why this peer is declined."))
    before = snapshot(form, ["status"])
    form.status = FormStatus.DECLINED
    form.save_versioned(expected_version=expected_version, update_fields=["status"])
    audit_change(actor=actor, instance=form, before=before, reason=reason.strip())
    return form


# Reading ---------------------------------------------------------------------------------


def assignment_participants(cycle: Cycle, *, department_id: int | None = None) -> Any:
    """The cycle's participants for the assignment table, in name order (one query per
    page, whatever the size); their forms come from ``assignment_forms``."""
    qs = (
        CycleParticipant.objects.filter(cycle=cycle)
        .select_related("employee", "department", "manager")
        .order_by("employee__name", "employee_id")
    )
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return qs


def assignment_forms(cycle: Cycle, reviewee_ids: Sequence[int]) -> dict[int, list[ReviewForm]]:
    """The forms of these reviewees with their reviewers, in one query (for HR only:
    it names every reviewer)."""
    found: dict[int, list[ReviewForm]] = defaultdict(list)
    forms = (
        ReviewForm.objects.filter(cycle=cycle, reviewee_id__in=list(reviewee_ids))
        .select_related("reviewer")
        .order_by("reviewee_id", "source", "reviewer__name", "id")
    )
    for form in forms:
        found[form.reviewee_id].append(form)
    return found


class NominationState(models.TextChoices):
    """What the person who nominated a peer may know: never whether the peer has written
    their review, only whether the manager accepted the nomination."""

    NOMINATED = "nominated", _("awaiting approval")
    APPROVED = "approved", _("approved")
    DECLINED = "declined", _("declined")


def nomination_state(form: ReviewForm) -> NominationState:
    if form.status == FormStatus.NOMINATED:
        return NominationState.NOMINATED
    if form.status == FormStatus.DECLINED:
        return NominationState.DECLINED
    return NominationState.APPROVED


@dataclass(frozen=True)
class Nomination:
    form_id: int
    reviewee_id: int
    reviewee_name: str
    reviewer_id: int
    reviewer_name: str
    state: NominationState
    version: int

    @property
    def state_label(self) -> str:
        return str(self.state.label)


def _nomination(form: ReviewForm) -> Nomination:
    return Nomination(
        form_id=form.pk,
        reviewee_id=form.reviewee_id,
        reviewee_name=form.reviewee.name,
        reviewer_id=form.reviewer_id,
        reviewer_name=form.reviewer.name,
        state=nomination_state(form),
        version=form.version,
    )


@dataclass(frozen=True)
class PeerSummary:
    """A person's peers as they and their managers may see them: the nominations by
    name and approval state, and only the number of peers HR assigned."""

    nominations: list[Nomination]
    assigned_by_hr: int
    peer_min: int
    peer_max: int

    @property
    def counted(self) -> int:
        """Peers counting towards the maximum (declined nominations do not)."""
        return self.assigned_by_hr + sum(
            1 for n in self.nominations if n.state != NominationState.DECLINED
        )


def peer_summary(*, cycle: Cycle, reviewee: Employee) -> PeerSummary:
    """Two queries; nothing about a form's progress or answers is read."""
    template = cycle.template
    nominated = [
        _nomination(form)
        for form in ReviewForm.objects.filter(
            cycle=cycle, reviewee=reviewee, source=ReviewSource.PEER, nominated_by__isnull=False
        )
        .select_related("reviewee", "reviewer")
        .order_by("reviewer__name", "id")
    ]
    assigned = (
        ReviewForm.objects.active()
        .filter(cycle=cycle, reviewee=reviewee, source=ReviewSource.PEER, nominated_by__isnull=True)
        .count()
    )
    return PeerSummary(
        nominations=nominated,
        assigned_by_hr=assigned,
        peer_min=template.peer_min if template else 0,
        peer_max=template.peer_max if template else 0,
    )


def peer_candidates(*, cycle: Cycle, reviewee: Employee) -> Any:
    """Colleagues ``reviewee`` may nominate: active participants of the cycle other than
    themselves, their manager and the peers they already nominated."""
    participant = CycleParticipant.objects.filter(cycle=cycle, employee=reviewee).first()
    excluded = {reviewee.pk}
    if participant is not None and participant.manager_id is not None:
        excluded.add(participant.manager_id)
    excluded |= set(
        ReviewForm.objects.filter(
            cycle=cycle, reviewee=reviewee, source=ReviewSource.PEER, nominated_by__isnull=False
        ).values_list("reviewer_id", flat=True)
    )
    return (
        Employee.objects.active()
        .filter(cycle_participations__cycle=cycle)
        .exclude(pk__in=excluded)
        .select_related("department")
        .order_by("name", "pk")
    )


def pending_nominations(forms: Any) -> list[Nomination]:
    """Nominations awaiting approval among ``forms`` (already narrowed by the policy)."""
    return [
        _nomination(form)
        for form in forms.filter(source=ReviewSource.PEER, status=FormStatus.NOMINATED)
        .select_related("reviewee", "reviewer")
        .order_by("reviewee__name", "reviewer__name", "id")
    ]
