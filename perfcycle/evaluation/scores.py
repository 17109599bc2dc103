"""The one scoring service: from actuals and ratings to goal scores, competency scores
per source, the weighted overall score and the grade.

Every page, the API, the normalisation preview, stored results and the exports call
``cycle_scores`` (or ``person_score``), so a score means the same thing wherever it is
shown. A whole cycle is scored in a fixed number of queries whatever its size
(``score_inputs``: people, goals, key results, ratings grouped by person × source, form
counts, the template and grade bands); the arithmetic afterwards is pure Python with no
database access. Each step is rounded to two places (half up) and the rounded value is
what the next step uses, so every number on the breakdown page can be recomputed by hand
from the numbers shown above it. The arithmetic is exact: two-place values are kept as
whole hundredths and each division is rounded once (``score_inputs.half_up``).

The numbers (goal points, goals score, source scores, competencies, overall score and
grade) are computed for everyone at once; the explanation — each goal's rule and steps in
words, the per-competency and per-source lines and their formulas — is written out only
when a page, the API or a stored result asks for it (``PersonScore.goals``, ``.sources``,
``.competencies``, ``as_dict``), from the same inputs and by the same functions.

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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.audit.services import to_json_value
from perfcycle.core.batch import without_gc
from perfcycle.core.beside import Beside
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, GradeBand
from perfcycle.evaluation import score_inputs as inputs
from perfcycle.evaluation.goal_points import goal_points_keep
from perfcycle.evaluation.models import ReviewSource, ReviewTemplate, TemplateCompetency
from perfcycle.evaluation.score_inputs import (
    NORMALISE_MIN_RATEES,  # noqa: F401 - the normalisation preview reads it from here
    GoalRow,
    decimal,
    half_up,
    hundredths,
)
from perfcycle.org.models import Employee
from perfcycle.planning.explain import describe_rule, number
from perfcycle.planning.models import GoalKind
from perfcycle.planning.scoring import Rule, Standard
from perfcycle.planning.scoring import points as rule_points_of
from perfcycle.planning.scoring import score as rule_score

ZERO = Decimal(0)
NONE: dict[str, int] = {}
HUNDRED = Decimal(100)
PLACES = Decimal("0.01")
# Sources whose individual ratings are protected by the anonymity minimum.
ANONYMOUS_SOURCES = (ReviewSource.PEER, ReviewSource.REPORT)
SOURCE_ORDER = (
    ReviewSource.MANAGER,
    ReviewSource.SKIP,
    ReviewSource.PEER,
    ReviewSource.REPORT,
    ReviewSource.SELF,
)
# Whose sources are all shown (most people): one dictionary for all of them, never changed.
NOTHING_WITHHELD = MappingProxyType(dict.fromkeys(SOURCE_ORDER, False))


def q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def weighted_h(parts: list[tuple[int, int]]) -> int | None:
    """Σ(weight × value) ÷ Σ weights, or the plain mean when the weights total 0; every
    number in whole hundredths, the result rounded once. ``None`` without parts."""
    if not parts:
        return None
    num = den = plain = 0
    for weight, value in parts:
        num += weight * value
        den += weight
        plain += value
    return half_up(num, den) if den else half_up(plain, len(parts))


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
class _Setting:
    """What every person of a cycle is scored with."""

    template: ReviewTemplate
    items: list[TemplateCompetency]
    item_weights_h: dict[int, int]
    source_weights: dict[str, Decimal]
    bands: list[GradeBand]
    minimum: int
    normalise: bool


@dataclass
class _Evidence:
    """One person's inputs and the numbers worked out from them, kept so that the
    explanation can be written out later from exactly what was used."""

    goal_source: _GoalSource
    means: dict[str, inputs.SourceRatings]  # the sources that count
    submitted: dict[str, int]
    withheld: Mapping[str, bool]
    scored_sources: dict[str, Decimal]  # source → template weight, sources that count
    source_scores_h: dict[str, int | None]


@dataclass
class PersonScore:
    cycle_id: int
    employee_id: int
    employee_name: str
    employee_number: str
    department: str
    goals_score: Decimal | None
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
    _setting: _Setting | None = field(default=None, repr=False, compare=False)
    _evidence: _Evidence | None = field(default=None, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        return not self.missing

    # The explanation, written out on demand.

    @cached_property
    def goals(self) -> list[GoalLine]:
        evidence = self._evidence
        assert evidence is not None
        rules: dict[tuple[Any, ...], Rule] = {}
        lines = []
        for goal in evidence.goal_source.rows(self.employee_id):
            rule = rules.get(goal.rule_key) or rules.setdefault(goal.rule_key, goal.rule())
            lines.append(_goal_line(goal, *_goal_points(goal, rule)))
        return lines

    @cached_property
    def competencies(self) -> list[CompetencyLine]:
        setting, evidence = self._setting, self._evidence
        assert setting is not None and evidence is not None
        weights_h = {s: hundredths(w) for s, w in evidence.scored_sources.items()}
        means = {  # each source's competency means, worked out once
            source: rated.means()
            for source in evidence.scored_sources
            if (rated := evidence.means.get(source)) is not None
        }
        lines = []
        for item in setting.items:
            by_source = {}
            parts = []
            for source, rated_means in means.items():
                found = rated_means.get(item.pk)
                if found is not None:
                    by_source[source] = SourceRating(decimal(found[0]), found[1])
                    parts.append((weights_h[source], found[0]))
            combined = weighted_h(parts) if sum(w for w, _v in parts) else None
            lines.append(
                CompetencyLine(
                    item.pk,
                    item.competency.name,
                    item.weight,
                    by_source,
                    None if combined is None else decimal(combined),
                )
            )
        return lines

    @cached_property
    def sources(self) -> list[SourceLine]:
        setting, evidence = self._setting, self._evidence
        assert setting is not None and evidence is not None
        labels = dict(ReviewSource.choices)
        weights = setting.source_weights
        scored_total = sum(evidence.scored_sources.values(), ZERO)
        return [
            SourceLine(
                source=source,
                label=str(labels[source]),
                weight=weights[source],
                effective_weight=(
                    q(evidence.scored_sources[source] * HUNDRED / scored_total)
                    if source in evidence.scored_sources
                    else ZERO
                ),
                submitted=evidence.submitted.get(source, 0),
                minimum=setting.minimum if source in ANONYMOUS_SOURCES else None,
                withheld=evidence.withheld[source],
                score=(
                    None
                    if evidence.withheld[source] or evidence.source_scores_h.get(source) is None
                    else decimal(evidence.source_scores_h[source])  # type: ignore[arg-type]
                ),
            )
            for source in SOURCE_ORDER
            if weights[source] > 0 or evidence.submitted.get(source)
        ]

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
        data = {name: _json(getattr(self, name)) for name in _PERSON_FIELDS}
        data["goals"] = [
            {
                **_line(line),
                "overridden": line.overridden,
                "contribution": _json(line.contribution),
            }
            for line in self.goals
        ]
        data["sources"] = [_line(line) for line in self.sources]
        data["competencies"] = [_line(line) for line in self.competencies]
        data["complete"] = self.complete
        return data


_PERSON_FIELDS = (
    "cycle_id",
    "employee_id",
    "employee_name",
    "employee_number",
    "department",
    "goals_score",
    "competencies_rating",
    "competencies_score",
    "goals_weight",
    "competencies_weight",
    "overall_score",
    "grade",
    "grade_label",
    "rating_min",
    "rating_max",
    "normalised",
    "missing",
)
_LINE_FIELDS = {
    cls: tuple(f.name for f in fields(cls)) for cls in (GoalLine, SourceLine, CompetencyLine)
}


def _json(value: Any) -> Any:
    """What ``audit.services.to_json_value`` gives, quickly for the types a breakdown
    holds (a stored result is written for every person of the cycle)."""
    kind = type(value)
    if value is None or kind is int or kind is str or kind is bool:
        return value
    if kind is Decimal:
        return str(value)
    if kind is list or kind is tuple:
        return [_json(v) for v in value]
    if kind is dict:
        return {str(k): _json(v) for k, v in value.items()}
    if kind is SourceRating:
        return {"mean": str(value.mean), "count": value.count}
    return to_json_value(value)


def _decimal_json(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _converter(annotation: str) -> Callable[[Any], Any] | None:
    """How ``_json`` would turn a field of this (string) annotation into JSON, for the
    common ones; None: the value is JSON already."""
    if annotation in {"int", "str", "bool", "int | None"}:
        return None
    if annotation in {"Decimal", "Decimal | None"}:
        return _decimal_json
    if annotation == "tuple[str, ...]":
        return list
    return _json


# Per kind of line: all its fields read in one call, and each field's conversion
# (a stored result writes out some twenty lines a person).
_LINE_READERS = {
    cls: (
        attrgetter(*_LINE_FIELDS[cls]),
        _LINE_FIELDS[cls],
        tuple(_converter(str(f.type)) for f in fields(cls)),
    )
    for cls in _LINE_FIELDS
}


def _line(line: Any) -> dict[str, Any]:
    """``{field: _json(value)}`` of a goal, source or competency line."""
    read, names, converters = _LINE_READERS[type(line)]
    return {
        name: value if convert is None else convert(value)
        for name, convert, value in zip(names, converters, read(line), strict=True)
    }


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


def _goal_outcome(
    goal: GoalRow, rule: Rule, *, explain: bool
) -> tuple[Decimal | None, Decimal | None, list[str], list[dict[str, Any]]]:
    """The rule's points for one goal, its attainment, and (with ``explain``) the steps
    in words and the key-result lines."""
    steps: list[str] = []
    points: Decimal | None = None
    attainment: Decimal | None = None
    key_results: list[dict[str, Any]] = []
    if goal.kind == GoalKind.KPI:
        standard = goal.standard()
        if standard is None:
            if explain:
                steps.append(_("No target was set, so the rule cannot score it."))
        elif goal.current_value is None:
            if explain:
                steps.append(_("No actual has been recorded."))
        else:
            result = rule_score(rule, standard, goal.current_value, explain=explain)
            points, attainment = result.points, result.attainment
            steps.extend(result.steps)
    elif goal.kind == GoalKind.OKR:
        scored: list[tuple[int, int]] = []
        for kr in goal.key_results:
            if kr.current_value is None:
                key_results.append({"title": kr.title, "weight": kr.weight, "points": None})
                continue
            result = rule_score(rule, kr.standard(), kr.current_value, explain=False)
            scored.append((hundredths(kr.weight), hundredths(result.points)))
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
            if explain:
                steps.append(_("No key result has an actual yet."))
        else:
            points = decimal(weighted_h(scored))  # type: ignore[arg-type]
            if explain:
                steps.append(
                    _("Key-result-weighted mean of the key results' points.")
                    if sum(w for w, _p in scored)
                    else _("Mean of the key results' points (no key-result weights).")
                )
                if len(scored) < len(key_results):
                    steps.append(_("Key results without an actual are left out."))
    elif goal.kind == GoalKind.MILESTONE:
        if goal.done_at is None:
            points = q(rule.floor)
            if explain:
                steps.append(_("Not done → %(points)s") % {"points": points})
        else:
            done = timezone.localdate(goal.done_at)
            on_time = goal.due_date is None or done <= goal.due_date
            points = HUNDRED if on_time else q(rule.floor)
            if explain:
                steps.append(
                    (
                        _("Done on %(date)s, by the due date → %(points)s")
                        if on_time
                        else _("Done on %(date)s, after the due date → %(points)s")
                    )
                    % {"date": done.isoformat(), "points": points}
                )
    elif explain:
        steps.append(_("A qualitative goal is scored by the manager."))
    return points, attainment, steps, key_results


def _goal_points(
    goal: GoalRow, rule: Rule
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(rule's points, points that count, attainment) for one goal. A KPI goal (most of
    them) is scored straight from its standard, as ``_goal_outcome`` does."""
    if goal.kind == GoalKind.KPI:
        if goal.target is None or goal.current_value is None:
            rule_points = attainment = None
        else:
            standard = Standard(
                goal.target, goal.direction, goal.baseline, goal.threshold, goal.stretch
            )
            rule_points, attainment = rule_points_of(rule, standard, goal.current_value)
    else:
        rule_points, attainment, _steps, _krs = _goal_outcome(goal, rule, explain=False)
    points = rule_points if goal.override_points is None else goal.override_points
    return rule_points, points, attainment


def _goal_line(
    goal: GoalRow,
    rule_points: Decimal | None,
    points: Decimal | None,
    attainment: Decimal | None,
) -> GoalLine:
    rule = goal.rule()
    _points, _att, steps, key_results = _goal_outcome(goal, rule, explain=True)
    if goal.override_points is not None:
        steps.append(
            _("The manager set %(points)s points instead of the rule's %(rule)s: %(reason)s")
            % {
                "points": goal.override_points,
                "rule": "—" if rule_points is None else rule_points,
                "reason": goal.override_reason,
            }
        )
    rule_text = describe_rule(
        rule, goal.standard(), goal.unit, milestone=goal.kind == GoalKind.MILESTONE
    )
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
        override_reason=goal.override_reason or "",
        override_by=goal.override_by if goal.override_points is not None else "",
        key_results=tuple(key_results),
    )


# Said when a source with weight has reviews assigned that are not all in.
PENDING_TEXT = {
    ReviewSource.SELF: gettext_lazy("The self-review has not been submitted."),
    ReviewSource.MANAGER: gettext_lazy("The manager's review has not been submitted."),
    ReviewSource.SKIP: gettext_lazy("The skip-level manager's review has not been submitted."),
}


def anonymity_minimum(cycle: Cycle) -> int:
    return max(2, cycle.template.anonymity_min if cycle.template else 3)


# --- The service --------------------------------------------------------------------------


def _setting(cycle: Cycle, normalise: bool) -> _Setting:
    template = cycle.template
    if template is None:
        raise DomainError(_("This cycle has no review template."), code="no_template")
    items = list(
        TemplateCompetency.objects.filter(template=template)
        .select_related("competency")
        .order_by("position", "id")
    )
    return _Setting(
        template=template,
        items=items,
        item_weights_h={item.pk: hundredths(item.weight) for item in items},
        source_weights=template.source_weights,
        bands=list(GradeBand.objects.filter(scale_id=cycle.grade_scale_id).order_by("-min_score")),
        minimum=anonymity_minimum(cycle),
        normalise=normalise,
    )


def cycle_scores(
    cycle: Cycle,
    *,
    employee_ids: Iterable[int] | None = None,
    normalise: bool | None = None,
) -> dict[int, PersonScore]:
    """Scores of the cycle's participants (or of ``employee_ids`` among them), by
    employee id, in the participants' name order. ``normalise`` defaults to the cycle's
    switch."""
    with without_gc():
        return _cycle_scores(cycle, employee_ids, normalise)


# Scoring fewer people than this reads everything on one connection: opening a second
# one costs milliseconds (PostgreSQL starts a process for it), about what reading the
# ratings of a few thousand people beside the goals would save.
BESIDE_FROM = 10_000


def _cycle_scores(
    cycle: Cycle, employee_ids: Iterable[int] | None, normalise: bool | None
) -> dict[int, PersonScore]:
    normalise = cycle.normalise_ratings if normalise is None else normalise
    setting = _setting(cycle, normalise)
    ids = None if employee_ids is None else sorted(set(employee_ids))

    def ratings() -> inputs.Means:
        return inputs.rating_means(
            cycle,
            setting.item_weights_h,
            ids,
            normalise=bool(normalise),
            top=setting.template.rating_max,
            # Only a whole cycle's ratings are packed (by the most forms of anyone).
            forms=inputs.most_forms(cycle) if ids is None and not normalise else 0,
        )

    # The ratings, most of the database's work, are read beside everything else.
    read = Beside(ratings, worth_it=ids is None or len(ids) >= BESIDE_FROM)
    people = inputs.people(cycle, ids)
    goals = inputs.goal_weights(cycle, ids)
    worked = _work_out_points(cycle, ids, goals)
    overrides = inputs.goal_overrides(cycle, ids)
    counts, pending = inputs.form_counts(cycle, ids)
    goal_source = _GoalSource(cycle, ids)

    template = setting.template
    source_weights = setting.source_weights
    weighted_sources = [s for s in SOURCE_ORDER if source_weights[s] > 0]
    source_weights_h = {s: hundredths(w) for s, w in source_weights.items()}
    goals_weight_h = hundredths(template.goals_weight)
    competencies_weight_h = hundredths(template.competencies_weight)
    peer_withheld_text = _(
        "Peer ratings are withheld: fewer than %(minimum)d peers have answered."
    ) % {"minimum": setting.minimum}

    # First what needs no rating (while the ratings may still be on their way): each
    # person's goals score, which sources count, and what is missing so far.
    firsts: list[tuple[int | None, list[str], dict[str, int], Mapping[str, bool]]] = []
    for person in people:
        emp_id = person.employee_id
        goal_rows = goals.get(emp_id, ())
        goal_parts: list[tuple[int, int]] = []
        missing: list[str] = []
        for goal_id, _emp, weight_h, points_h, kept, title in goal_rows:
            override = overrides.get(goal_id) if overrides else None
            if override is not None:
                points_h = hundredths(override)
            elif not kept:
                points_h, title = worked[goal_id]
            if points_h is None:
                text = _("Goal “%(title)s” has no score yet.")
                missing.append(text % {"title": title})
            else:
                goal_parts.append((weight_h, points_h))
        if not goal_rows and template.goals_weight:
            missing.append(_("No goals in this cycle."))

        # Sources: which count, with which weight.
        submitted = counts.get(emp_id, NONE)
        withheld = NOTHING_WITHHELD
        if any(0 < submitted.get(s, 0) < setting.minimum for s in ANONYMOUS_SOURCES):
            withheld = {
                s: s in ANONYMOUS_SOURCES and 0 < submitted.get(s, 0) < setting.minimum
                for s in SOURCE_ORDER
            }
        if withheld[ReviewSource.PEER]:
            missing.append(peer_withheld_text)
        waiting = pending.get(emp_id)
        if waiting:
            for source, text in PENDING_TEXT.items():
                if source_weights[source] and waiting.get(source):
                    missing.append(str(text))
        firsts.append((weighted_h(goal_parts), missing, submitted, withheld))

    means = read.result()
    results: dict[int, PersonScore] = {}
    for person, (goals_h, missing, submitted, withheld) in zip(people, firsts, strict=True):
        emp_id = person.employee_id
        person_means: dict[str, inputs.SourceRatings] = {}
        source_scores_h: dict[str, int | None] = {}
        for source in weighted_sources:
            if not submitted.get(source) or withheld[source]:
                continue
            rated = means.get((emp_id, source))
            if rated is None:
                source_scores_h[source] = None
                continue
            person_means[source] = rated
            source_scores_h[source] = rated.score_h
        scored_sources = {
            s: source_weights[s] for s, value in source_scores_h.items() if value is not None
        }
        rating_h = weighted_h(
            [(source_weights_h[s], source_scores_h[s]) for s in scored_sources]  # type: ignore[misc]
        )
        comp_h: int | None = None
        if rating_h is not None and sum(scored_sources.values(), ZERO):
            comp_h = half_up(100 * rating_h, template.rating_max)
        else:
            rating_h = None
            if setting.items and template.competencies_weight:
                missing.append(_("No competency ratings have been submitted."))

        sections = []
        if goals_h is not None and goals_weight_h:
            sections.append((goals_weight_h, goals_h))
        if comp_h is not None and competencies_weight_h:
            sections.append((competencies_weight_h, comp_h))
        overall_h = weighted_h(sections) if sections else None
        overall = None if overall_h is None else decimal(overall_h)
        band = next(
            (b for b in setting.bands if overall is not None and overall >= b.min_score), None
        )
        results[emp_id] = PersonScore(
            cycle_id=cycle.pk,
            employee_id=emp_id,
            employee_name=person.name,
            employee_number=person.number,
            department=person.department,
            goals_score=None if goals_h is None else decimal(goals_h),
            competencies_rating=None if rating_h is None else decimal(rating_h),
            competencies_score=None if comp_h is None else decimal(comp_h),
            goals_weight=template.goals_weight,
            competencies_weight=template.competencies_weight,
            overall_score=overall,
            grade=band.code if band else "",
            grade_label=band.label if band else "",
            rating_min=template.rating_min,
            rating_max=template.rating_max,
            normalised=normalise,
            missing=missing,
            _setting=setting,
            _evidence=_Evidence(
                goal_source=goal_source,
                means=person_means,
                submitted=submitted,
                withheld=withheld,
                scored_sources=scored_sources,
                source_scores_h=source_scores_h,
            ),
        )
    return results


def _work_out_points(
    cycle: Cycle, ids: list[int] | None, goals: dict[int, list[inputs.GoalWeight]]
) -> dict[int, tuple[int | None, str]]:
    """Goal id → (the rule's points in hundredths or None, the title), for the goals whose
    points the database does not keep for the current rules; what is worked out for KPI
    goals is kept for next time (``goal_points.goal_points_keep``)."""
    wanted = [goal[0] for found in goals.values() for goal in found if not goal[4]]
    if not wanted:
        return {}
    total = sum(len(found) for found in goals.values())
    # Most of the cycle: read it all rather than list the ids.
    rows = inputs.goals(cycle, ids, goal_ids=None if 2 * len(wanted) > total else wanted)
    wanted_set = set(wanted)
    rules: dict[tuple[Any, ...], Rule] = {}
    worked: dict[int, tuple[int | None, str]] = {}
    keep: list[tuple[int, int, Decimal | None]] = []
    for found in rows.values():
        for goal in found:
            if goal.pk not in wanted_set:
                continue
            key = goal.rule_key
            rule = rules.get(key)
            if rule is None:
                rule = rules[key] = goal.rule()
            points = _goal_points(goal, rule)[0]
            worked[goal.pk] = (None if points is None else hundredths(points), goal.title)
            if goal.kind == GoalKind.KPI:
                keep.append((goal.pk, goal.inputs_stamp, points))
    goal_points_keep(keep)
    return worked


class _GoalSource:
    """Every goal row of one scoring call, read in full only when an explanation is first
    written out (one query for everyone scored together)."""

    def __init__(self, cycle: Cycle, ids: list[int] | None) -> None:
        self._cycle, self._ids = cycle, ids
        self._rows: dict[int, list[GoalRow]] | None = None

    def rows(self, employee_id: int) -> list[GoalRow]:
        if self._rows is None:
            self._rows = inputs.goals(self._cycle, self._ids)
        return self._rows.get(employee_id, [])


def person_score(cycle: Cycle, employee: Employee, *, normalise: bool | None = None) -> PersonScore:
    """One person's score; ``DomainError`` if they do not take part in the cycle."""
    found = cycle_scores(cycle, employee_ids=[employee.pk], normalise=normalise)
    if employee.pk not in found:
        raise DomainError(
            _("%(name)s does not take part in this cycle.") % {"name": employee.name},
            code="not_a_participant",
        )
    return found[employee.pk]
