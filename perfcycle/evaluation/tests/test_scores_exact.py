"""The scoring service's arithmetic against a plain ``Decimal`` reference: whatever the
ratings and weights, the source scores, the competency rating and the overall score are
what rounding each step half up to two places gives (the SQL that reads the ratings
packs sums and counts and works the means out in whole hundredths)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default, review_template_create
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm, TemplateCompetency
from perfcycle.evaluation.score_inputs import half_up
from perfcycle.evaluation.scores import cycle_scores
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, EmployeeFactory

PLACES = D("0.01")


def q(value: D) -> D:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def weighted(parts: list[tuple[D, D]]) -> D | None:
    if not parts:
        return None
    total = sum((w for w, _v in parts), D(0))
    if total:
        return q(sum((w * v for w, v in parts), D(0)) / total)
    return q(sum((v for _w, v in parts), D(0)) / len(parts))


@given(num=st.integers(-(10**12), 10**12), den=st.integers(1, 10**9))
def test_half_up_is_decimal_round_half_up(num, den):
    assert half_up(num, den) == int((D(num) / D(den)).quantize(D(1), rounding=ROUND_HALF_UP))


@pytest.fixture
def world(company):
    template = review_template_create(
        actor=company.hr,
        name="Exact",
        goals_weight=0,
        competencies_weight=100,
        self_weight=15,
        manager_weight=45.5,
        peer_weight=25,
        report_weight=14.5,
        anonymity_min=2,
    )
    items = [
        TemplateCompetency.objects.create(
            template=template,
            competency=Competency.objects.create(code=f"C{n}", name=f"Competency {n}"),
            weight=D(weight),
        )
        for n, weight in enumerate(["33.33", "0", "12.5", "54.17"])
    ]
    people = [EmployeeFactory(name=f"Person {n}") for n in range(6)]
    cycle = CycleFactory(phase=Phase.MANAGER_REVIEW, participants=people[:1])
    Cycle.objects.filter(pk=cycle.pk).update(
        template=template, grade_scale=grade_scale_default(actor=company.hr)
    )
    cycle.refresh_from_db()
    return {"cycle": cycle, "items": items, "people": people, "template": template}


SOURCES = ["self", "manager", "peer", "report"]
# per source: a list of forms, each a list of ratings (None: competency not rated)
forms_strategy = st.fixed_dictionaries(
    {
        source: st.lists(
            st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=4, max_size=4),
            min_size=0,
            max_size=1 if source in ("self", "manager") else 5,
        )
        for source in SOURCES
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(forms=forms_strategy)
def test_scores_match_the_decimal_reference(company, world, forms):
    cycle, items, people, template = (
        world["cycle"],
        world["items"],
        world["people"],
        world["template"],
    )
    person = people[0]
    ReviewForm.objects.filter(cycle=cycle).delete()
    raters = iter(people[1:] * 3)
    for source, source_forms in forms.items():
        for values in source_forms:
            form = ReviewForm.objects.create(
                cycle=cycle,
                reviewee=person,
                reviewer=person if source == "self" else next(raters),
                source=source,
                status=FormStatus.SUBMITTED,
            )
            Rating.objects.bulk_create(
                [
                    Rating(form=form, item=item, value=value)
                    for item, value in zip(items, values, strict=True)
                    if value is not None
                ]
            )

    score = cycle_scores(cycle)[person.pk]

    weights = template.source_weights
    source_scores: dict[str, D] = {}
    for source, source_forms in forms.items():
        if not source_forms or weights[source] == 0:
            continue
        if source in ("peer", "report") and len(source_forms) < 2:
            continue  # withheld below the anonymity minimum
        means = []
        for i, item in enumerate(items):
            values = [f[i] for f in source_forms if f[i] is not None]
            if values:
                means.append((item.weight, q(D(sum(values)) / len(values))))
        found = weighted(means)
        if found is not None:
            source_scores[source] = found
    lines = {line.source: line.score for line in score.sources}
    for source, expected in source_scores.items():
        assert lines[source] == expected, source
    rating = weighted([(weights[s], v) for s, v in source_scores.items()])
    assert score.competencies_rating == rating
    if rating is None:
        assert score.overall_score is None
    else:
        assert score.competencies_score == q(rating / 5 * 100)
        assert score.overall_score == score.competencies_score
    # The explanation agrees with the numbers it explains.
    data = score.as_dict()
    assert data["competencies_rating"] == (None if rating is None else str(rating))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    forms=st.lists(
        st.tuples(
            st.sampled_from(SOURCES),
            st.lists(st.one_of(st.none(), st.integers(0, 7)), min_size=4, max_size=4),
        ),
        max_size=14,
    )
)
def test_packed_ratings_match_the_competency_sums(company, world, forms):
    """SQLite packs several competencies into one sum for a whole cycle; the means, counts
    and source scores equal those summed competency by competency (PostgreSQL always
    sums them apart), and a value above the scale's top falls back to that."""
    from perfcycle.evaluation.score_inputs import rating_means

    cycle, items, people = world["cycle"], world["items"], world["people"]
    ReviewForm.objects.filter(cycle=cycle).delete()
    for n, (source, values) in enumerate(forms):
        form = ReviewForm.objects.create(
            cycle=cycle,
            reviewee=people[n % 2],
            reviewer=EmployeeFactory(),
            source=source,
            status=FormStatus.SUBMITTED,
        )
        Rating.objects.bulk_create(
            [
                Rating(form=form, item=item, value=value)
                for item, value in zip(items, values, strict=True)
                if value is not None
            ]
        )
    weights = {item.pk: int(item.weight * 100) for item in items}
    most = max(_form_counts(cycle).values(), default=0)
    packed = rating_means(cycle, weights, None, normalise=False, top=5, forms=most)
    plain = rating_means(cycle, weights, None, normalise=False, top=None)
    assert packed.keys() == plain.keys()
    for key, found in plain.items():
        assert packed[key].score_h == found.score_h
        assert packed[key].means() == found.means()


def _form_counts(cycle):
    from collections import Counter

    return Counter(
        ReviewForm.objects.filter(cycle=cycle, status=FormStatus.SUBMITTED).values_list(
            "reviewee_id", "source"
        )
    )
