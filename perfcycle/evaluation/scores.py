"""The one scoring service: from actuals and ratings to goal scores, competency scores
per source, the weighted overall score and the grade.

Every page, the API, the normalisation preview, stored results and the exports call
``cycle_scores`` (or ``person_score``), so a score means the same thing wherever it is
shown. A whole cycle is scored in a fixed number of queries — goals, key results,
overrides, rating sums grouped by person × source × competency, submitted-form counts,
people and grade bands — whatever its size; the arithmetic afterwards is pure Python on
``Decimal`` with no database access. Each step is rounded to two places and the rounded
value is what the next step uses, so every number on the breakdown page can be
recomputed by hand from the numbers shown above it.

The rules, in order:

1. **Goal points.** Each of the person's goals is scored by its own rule
   (``planning.scoring.score``) against the standard fixed at planning: a KPI from its
   cycle actual; an OKR as the key-result-weighted mean of its key results' points
   (equal weights when none are set), each key result scored by the goal's rule; a
   milestone goal 100 when done by its due date, otherwise the rule's floor; a
   qualitative goal has no automatic score and waits for the manager's. A manager's
   override (with its written reason) replaces the rule's points and is shown beside them.
2. **Goals score** = Σ(goal weight × points) ÷ Σ(weights of the scored goals). A goal
   without a score is left out and named, and the result is marked incomplete.
3. **Competency ratings per source.** The mean rating of each competency from each
   source's *submitted* forms. Peer and upward (direct-report) ratings count only when at
   least the template's anonymity minimum (never below 2) have submitted: below it they
   are withheld from the score as from every page, so that no single rating can be
   worked back from a total. With per-rater normalisation switched on for the cycle,
   ratings are first z-normalised per rater (``reliability.normalise_ratings``; raters
   of at least ``NORMALISE_MIN_RATEES`` people).
4. **Source score** = Σ(competency weight × mean rating) ÷ Σ(weights of the rated
   competencies), in rating units.
5. **Competency rating** = Σ(source weight × source score) ÷ Σ(weights of the sources
   present); a source without submitted (or shown) forms is left out and its weight
   shared among the others. **Competencies score** = competency rating ÷ highest rating
   × 100 (on 1–5: 3 → 60, 4 → 80, 5 → 100), the same 0–100 scale on which meeting a
   goal's target is worth 100.
6. **Overall score** = (goals weight × goals score + competencies weight × competencies
   score) ÷ (the weights of the sections present).
7. **Grade**: the band of the cycle's grade scale whose lower bound is the highest one
   at or below the overall score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.audit.services import to_json_value
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, CycleParticipant, GradeBand
from perfcycle.evaluation import reliability
from perfcycle.evaluation.models import (
    FormStatus,
    GoalScoreOverride,
    Rating,
    ReviewForm,
    ReviewSource,
    TemplateCompetency,
)
from perfcycle.org.models import Employee
from perfcycle.planning.explain import describe_rule, number
from perfcycle.planning.models import Goal, GoalKind, KeyResult, OwnerType
from perfcycle.planning.scoring import score as rule_score

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PLACES = Decimal("0.01")
# Only raters of at least this many people are normalised: one person's ratings say
# nothing about how lenient their rater is.
NORMALISE_MIN_RATEES = 3
# Sources whose individual ratings are protected by the anonymity minimum.
ANONYMOUS_SOURCES = (ReviewSource.PEER, ReviewSource.REPORT)
SOURCE_ORDER = (
    ReviewSource.MANAGER,
    ReviewSource.SKIP,
    ReviewSource.PEER,
    ReviewSource.REPORT,
    ReviewSource.SELF,
)


def q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


# --- Results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalLine:
    goal_id: int
    title: str
    kind: str
    weight: Decimal
    unit: str
    target: Decimal | None
    actual: Decimal | None
    rule: tuple[str, ...]  # sentences: how the rule turns the actual into points
    steps: tuple[str, ...]  # what happened for this actual
    rule_points: Decimal | None  # what the rule gives
    points: Decimal | None  # what counts (the override, if any)
    attainment: Decimal | None = None
    override_reason: str = ""
    override_by: str = ""
    key_results: tuple[dict[str, Any], ...] = ()

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)

    @property
    def contribution(self) -> Decimal | None:
        return None if self.points is None else q(self.weight * self.points / HUNDRED)


@dataclass(frozen=True)
class SourceRating:
    mean: Decimal
    count: int


@dataclass(frozen=True)
class CompetencyLine:
    item_id: int
    name: str
    weight: Decimal
    by_source: dict[str, SourceRating]
    combined: Decimal | None  # source-weighted mean rating of this competency


@dataclass(frozen=True)
class SourceLine:
    source: str
    label: str
    weight: Decimal  # the template's weight
    effective_weight: Decimal  # its share once missing sources are left out
    submitted: int
    minimum: int | None  # anonymity minimum for peers and reports
    withheld: bool
    score: Decimal | None  # rating units


@dataclass(frozen=True)
class PersonScore:
    cycle_id: int
    employee_id: int
    employee_name: str
    employee_number: str
    department: str
    goals: list[GoalLine]
    goals_score: Decimal | None
    sources: list[SourceLine]
    competencies: list[CompetencyLine]
    competencies_rating: Decimal | None
    competencies_score: Decimal | None
    goals_weight: Decimal
    competencies_weight: Decimal
    overall_score: Decimal | None
    grade: str
    grade_label: str
    rating_min: int
    rating_max: int
    normalised: bool
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    # The arithmetic written out with the numbers used, for the breakdown page.

    def goals_formula(self) -> str:
        scored = [g for g in self.goals if g.points is not None]
        return _weighted_formula(
            [(g.weight, g.points) for g in scored if g.points is not None], self.goals_score
        )

    def source_formula(self, source: str) -> str:
        rated = [
            (c.weight, c.by_source[source].mean) for c in self.competencies if source in c.by_source
        ]
        line = next((s for s in self.sources if s.source == source), None)
        return _weighted_formula(rated, line.score if line else None)

    def competencies_formula(self) -> str:
        used = [(s.weight, s.score) for s in self.sources if s.effective_weight and s.score]
        return _weighted_formula(used, self.competencies_rating)

    def competencies_points_formula(self) -> str:
        if self.competencies_rating is None:
            return ""
        return (
            f"{number(self.competencies_rating)} ÷ {self.rating_max} × 100 = "
            f"{number(self.competencies_score)}"
        )

    def overall_formula(self) -> str:
        parts = []
        if self.goals_score is not None and self.goals_weight:
            parts.append((self.goals_weight, self.goals_score))
        if self.competencies_score is not None and self.competencies_weight:
            parts.append((self.competencies_weight, self.competencies_score))
        return _weighted_formula(parts, self.overall_score)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings, for stored results and the API."""
        data = asdict(self)
        data["complete"] = self.complete
        for goal, line in zip(data["goals"], self.goals, strict=True):
            goal["overridden"] = line.overridden
            goal["contribution"] = line.contribution
        return to_json_value(data)


def _weighted_formula(parts: list[tuple[Decimal, Decimal]], result: Decimal | None) -> str:
    """``(60 × 110 + 40 × 75) ÷ 100 = 96.00``, or a plain mean when the weights are 0."""
    if not parts or result is None:
        return ""
    total = sum((w for w, _v in parts), ZERO)
    if not total:
        terms = " + ".join(number(v) for _w, v in parts)
        return f"({terms}) ÷ {len(parts)} = {number(result)}"
    terms = " + ".join(f"{number(w)} × {number(v)}" for w, v in parts)
    return f"({terms}) ÷ {number(total)} = {number(result)}"


# --- Goals --------------------------------------------------------------------------------


def _override_steps(rule_points: Decimal | None, override: GoalScoreOverride) -> str:
    return _("The manager set %(points)s points instead of the rule's %(rule)s: %(reason)s") % {
        "points": override.points,
        "rule": "—" if rule_points is None else rule_points,
        "reason": override.reason,
    }


def _goal_line(goal: Goal, override: GoalScoreOverride | None) -> GoalLine:
    rule = goal.rule()
    standard = goal.standard()
    steps: list[str] = []
    points: Decimal | None = None
    attainment: Decimal | None = None
    key_results: list[dict[str, Any]] = []
    rule_text = describe_rule(rule, standard, goal.unit, milestone=goal.kind == GoalKind.MILESTONE)
    if goal.kind == GoalKind.KPI:
        if standard is None:
            steps.append(_("No target was set, so the rule cannot score it."))
        elif goal.current_value is None:
            steps.append(_("No actual has been recorded."))
        else:
            result = rule_score(rule, standard, goal.current_value)
            points, attainment = result.points, result.attainment
            steps.extend(result.steps)
    elif goal.kind == GoalKind.OKR:
        scored: list[tuple[Decimal, Decimal]] = []
        for kr in goal.key_results.all():
            if kr.current_value is None:
                key_results.append({"title": kr.title, "weight": kr.weight, "points": None})
                continue
            result = rule_score(rule, kr.standard(), kr.current_value)
            scored.append((kr.weight, result.points))
            key_results.append(
                {
                    "title": kr.title,
                    "weight": kr.weight,
                    "target": kr.target,
                    "actual": kr.current_value,
                    "attainment": result.attainment,
                    "points": result.points,
                }
            )
        if not scored:
            steps.append(_("No key result has an actual yet."))
        else:
            total = sum((w for w, _p in scored), ZERO)
            if total:
                points = q(sum((w * p for w, p in scored), ZERO) / total)
                steps.append(_("Key-result-weighted mean of the key results' points."))
            else:
                points = q(sum((p for _w, p in scored), ZERO) / len(scored))
                steps.append(_("Mean of the key results' points (no key-result weights)."))
            if len(scored) < len(key_results):
                steps.append(_("Key results without an actual are left out."))
    elif goal.kind == GoalKind.MILESTONE:
        if goal.done_at is None:
            points = q(rule.floor)
            steps.append(_("Not done → %(points)s") % {"points": points})
        else:
            done = timezone.localdate(goal.done_at)
            on_time = goal.due_date is None or done <= goal.due_date
            points = HUNDRED if on_time else q(rule.floor)
            steps.append(
                (
                    _("Done on %(date)s, by the due date → %(points)s")
                    if on_time
                    else _("Done on %(date)s, after the due date → %(points)s")
                )
                % {"date": done.isoformat(), "points": points}
            )
    else:
        steps.append(_("A qualitative goal is scored by the manager."))
    rule_points = points
    if override is not None:
        points = override.points
        steps.append(_override_steps(rule_points, override))
    return GoalLine(
        goal_id=goal.pk,
        title=goal.title,
        kind=goal.kind,
        weight=goal.weight,
        unit=goal.unit,
        target=goal.target,
        actual=goal.current_value,
        rule=tuple(str(s) for s in rule_text),
        steps=tuple(str(s) for s in steps),
        rule_points=rule_points,
        points=points,
        attainment=attainment,
        override_reason=override.reason if override else "",
        override_by=(override.by.get_full_name() or override.by.username) if override else "",
        key_results=tuple(key_results),
    )


def _goals_score(lines: list[GoalLine]) -> tuple[Decimal | None, list[str]]:
    scored = [g for g in lines if g.points is not None]
    missing = [
        _("Goal “%(title)s” has no score yet.") % {"title": g.title}
        for g in lines
        if g.points is None
    ]
    total = sum((g.weight for g in scored), ZERO)
    if not scored:
        return None, missing
    if total:
        return q(sum((g.weight * g.points for g in scored), ZERO) / total), missing
    return q(sum((g.points for g in scored), ZERO) / len(scored)), missing


# --- Ratings ------------------------------------------------------------------------------


def _rating_means(
    cycle: Cycle, employee_ids: list[int] | None, normalise: bool
) -> dict[tuple[int, str, int], SourceRating]:
    """(reviewee, source, item) → mean rating of submitted forms."""
    submitted = Rating.objects.filter(form__cycle=cycle, form__status=FormStatus.SUBMITTED)
    if not normalise:
        if employee_ids is not None:
            submitted = submitted.filter(form__reviewee_id__in=employee_ids)
        rows = submitted.values("form__reviewee_id", "form__source", "item_id").annotate(
            total=Sum("value"), n=Count("id")
        )
        return {
            (r["form__reviewee_id"], r["form__source"], r["item_id"]): SourceRating(
                q(Decimal(r["total"]) / r["n"]), r["n"]
            )
            for r in rows
        }
    # Normalisation needs each rater's whole set of ratings in the cycle.
    template = cycle.template
    rows = list(
        submitted.values_list(
            "form__reviewer_id", "form__reviewee_id", "form__source", "item_id", "value"
        ).order_by("id")
    )
    ratees: dict[int, set[int]] = defaultdict(set)
    for reviewer, reviewee, *_rest in rows:
        ratees[reviewer].add(reviewee)
    eligible = {r for r, people in ratees.items() if len(people) >= NORMALISE_MIN_RATEES}
    normalised = reliability.normalise_ratings(
        [
            (reviewer, (reviewee, source), item, value)
            for reviewer, reviewee, source, item, value in rows
        ],
        scale_min=template.rating_min,
        scale_max=template.rating_max,
        eligible_raters=eligible,
    )
    sums: dict[tuple[int, str, int], list[Decimal]] = defaultdict(list)
    wanted = set(employee_ids) if employee_ids is not None else None
    for row in normalised:
        reviewee, source = row.ratee
        if wanted is not None and reviewee not in wanted:
            continue
        sums[(reviewee, source, row.item)].append(Decimal(str(round(row.normalised, 6))))
    return {
        key: SourceRating(q(sum(values, ZERO) / len(values)), len(values))
        for key, values in sums.items()
    }


def _form_counts(
    cycle: Cycle, employee_ids: list[int] | None
) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], int]]:
    """Per (reviewee, source): submitted forms, and forms assigned but not submitted."""
    forms = ReviewForm.objects.filter(cycle=cycle).active()
    if employee_ids is not None:
        forms = forms.filter(reviewee_id__in=employee_ids)
    submitted: dict[tuple[int, str], int] = {}
    pending: dict[tuple[int, str], int] = {}
    for r in forms.values("reviewee_id", "source", "status").annotate(n=Count("id")):
        target = submitted if r["status"] == FormStatus.SUBMITTED else pending
        key = (r["reviewee_id"], r["source"])
        target[key] = target.get(key, 0) + r["n"]
    return submitted, pending


# Said when a source with weight has reviews assigned that are not all in.
PENDING_TEXT = {
    ReviewSource.SELF: gettext_lazy("The self-review has not been submitted."),
    ReviewSource.MANAGER: gettext_lazy("The manager's review has not been submitted."),
    ReviewSource.SKIP: gettext_lazy("The skip-level manager's review has not been submitted."),
}


def anonymity_minimum(cycle: Cycle) -> int:
    return max(2, cycle.template.anonymity_min if cycle.template else 3)


# --- The service --------------------------------------------------------------------------


def cycle_scores(
    cycle: Cycle,
    *,
    employee_ids: Iterable[int] | None = None,
    normalise: bool | None = None,
) -> dict[int, PersonScore]:
    """Scores of the cycle's participants (or of ``employee_ids`` among them), by
    employee id. ``normalise`` defaults to the cycle's switch."""
    template = cycle.template
    if template is None:
        raise DomainError(_("This cycle has no review template."), code="no_template")
    normalise = cycle.normalise_ratings if normalise is None else normalise
    ids = None if employee_ids is None else sorted(set(employee_ids))
    participants = CycleParticipant.objects.filter(cycle=cycle).select_related(
        "employee", "department"
    )
    if ids is not None:
        participants = participants.filter(employee_id__in=ids)
    people = list(participants.order_by("employee__name", "employee_id"))
    person_ids = [p.employee_id for p in people]

    goals = (
        Goal.objects.filter(cycle=cycle, owner_type=OwnerType.EMPLOYEE, employee_id__in=person_ids)
        .select_related("score_override__by")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id"))
        )
        .order_by("employee_id", "id")
    )
    goal_lines: dict[int, list[GoalLine]] = defaultdict(list)
    for goal in goals:
        override = getattr(goal, "score_override", None)
        goal_lines[goal.employee_id].append(_goal_line(goal, override))

    items = list(
        TemplateCompetency.objects.filter(template=template)
        .select_related("competency")
        .order_by("position", "id")
    )
    means = _rating_means(cycle, person_ids, normalise)
    counts, pending = _form_counts(cycle, person_ids)
    bands = list(GradeBand.objects.filter(scale_id=cycle.grade_scale_id).order_by("-min_score"))
    minimum = anonymity_minimum(cycle)
    source_weights = template.source_weights
    labels = dict(ReviewSource.choices)

    results: dict[int, PersonScore] = {}
    for person in people:
        emp = person.employee
        lines = goal_lines.get(emp.pk, [])
        goals_score, missing = _goals_score(lines)
        if not lines and template.goals_weight:
            missing.append(_("No goals in this cycle."))

        # Sources: which count, with which weight.
        present: dict[str, Decimal] = {}
        withheld: dict[str, bool] = {}
        for source in SOURCE_ORDER:
            submitted = counts.get((emp.pk, source), 0)
            hidden = source in ANONYMOUS_SOURCES and 0 < submitted < minimum
            withheld[source] = hidden
            if submitted and not hidden and source_weights[source] > 0:
                present[source] = source_weights[source]
        if withheld[ReviewSource.PEER]:
            missing.append(
                _("Peer ratings are withheld: fewer than %(minimum)d peers have answered.")
                % {"minimum": minimum}
            )
        for source, text in PENDING_TEXT.items():
            if source_weights[source] and pending.get((emp.pk, source)):
                missing.append(str(text))

        competencies: list[CompetencyLine] = []
        source_scores: dict[str, Decimal | None] = {}
        for source in present:
            rated = [(i, means.get((emp.pk, source, i.pk))) for i in items]
            rated = [(i, m) for i, m in rated if m is not None]
            w = sum((i.weight for i, _m in rated), ZERO)
            if not rated:
                source_scores[source] = None
            elif w:
                source_scores[source] = q(sum((i.weight * m.mean for i, m in rated), ZERO) / w)
            else:
                source_scores[source] = q(sum((m.mean for _i, m in rated), ZERO) / len(rated))
        scored_sources = {s: present[s] for s, v in source_scores.items() if v is not None}
        scored_total = sum(scored_sources.values(), ZERO)
        for item in items:
            by_source = {
                s: means[(emp.pk, s, item.pk)]
                for s in scored_sources
                if (emp.pk, s, item.pk) in means
            }
            wsum = sum((scored_sources[s] for s in by_source), ZERO)
            combined = (
                q(sum((scored_sources[s] * r.mean for s, r in by_source.items()), ZERO) / wsum)
                if wsum
                else None
            )
            competencies.append(
                CompetencyLine(item.pk, item.competency.name, item.weight, by_source, combined)
            )
        rating: Decimal | None = None
        comp_score: Decimal | None = None
        if scored_total:
            rating = q(
                sum((scored_sources[s] * source_scores[s] for s in scored_sources), ZERO)
                / scored_total
            )
            comp_score = q(rating / Decimal(template.rating_max) * HUNDRED)
        elif items and template.competencies_weight:
            missing.append(_("No competency ratings have been submitted."))
        sources = [
            SourceLine(
                source=source,
                label=str(labels[source]),
                weight=source_weights[source],
                effective_weight=(
                    q(scored_sources[source] * HUNDRED / scored_total)
                    if source in scored_sources
                    else ZERO
                ),
                submitted=counts.get((emp.pk, source), 0),
                minimum=minimum if source in ANONYMOUS_SOURCES else None,
                withheld=withheld[source],
                score=None if withheld[source] else source_scores.get(source),
            )
            for source in SOURCE_ORDER
            if source_weights[source] > 0 or counts.get((emp.pk, source))
        ]

        sections = []
        if goals_score is not None and template.goals_weight:
            sections.append((template.goals_weight, goals_score))
        if comp_score is not None and template.competencies_weight:
            sections.append((template.competencies_weight, comp_score))
        overall = None
        if sections:
            total = sum((w for w, _v in sections), ZERO)
            overall = q(sum((w * v for w, v in sections), ZERO) / total)
        band = next((b for b in bands if overall is not None and overall >= b.min_score), None)
        results[emp.pk] = PersonScore(
            cycle_id=cycle.pk,
            employee_id=emp.pk,
            employee_name=emp.name,
            employee_number=emp.employee_number,
            department=person.department.name if person.department else "",
            goals=lines,
            goals_score=goals_score,
            sources=sources,
            competencies=competencies,
            competencies_rating=rating,
            competencies_score=comp_score,
            goals_weight=template.goals_weight,
            competencies_weight=template.competencies_weight,
            overall_score=overall,
            grade=band.code if band else "",
            grade_label=band.label if band else "",
            rating_min=template.rating_min,
            rating_max=template.rating_max,
            normalised=normalise,
            missing=missing,
        )
    return results


def person_score(cycle: Cycle, employee: Employee, *, normalise: bool | None = None) -> PersonScore:
    """One person's score; ``DomainError`` if they do not take part in the cycle."""
    found = cycle_scores(cycle, employee_ids=[employee.pk], normalise=normalise)
    if employee.pk not in found:
        raise DomainError(
            _("%(name)s does not take part in this cycle.") % {"name": employee.name},
            code="not_a_participant",
        )
    return found[employee.pk]
