"""Rater reliability: the Shrout & Fleiss (1979) worked example, properties, rater flags."""

from __future__ import annotations

import statistics
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from perfcycle.evaluation.reliability import (
    CENTRAL_TENDENCY,
    FORMS,
    HARSH,
    LENIENT,
    FlagThresholds,
    Rating,
    intraclass_correlation,
    normalise_ratings,
    rater_profiles,
    rating_matrix,
)

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) rated by 4 judges (columns).
SHROUT_FLEISS_TABLE_2 = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
# The values the paper reports (Table 4), k = 4.
SHROUT_FLEISS_ICC = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}


# --- The published worked example -------------------------------------------------------


def test_worked_example_mean_squares():
    ms = intraclass_correlation(SHROUT_FLEISS_TABLE_2).mean_squares

    assert ms is not None
    assert (ms.n, ms.k) == (6, 4)
    assert round(ms.bms, 2) == 11.24
    assert round(ms.wms, 2) == 6.26
    assert round(ms.jms, 2) == 32.49
    assert round(ms.ems, 2) == 1.02
    assert (ms.df_between, ms.df_within, ms.df_judges, ms.df_error) == (5, 18, 3, 15)


@pytest.mark.parametrize(("form", "expected"), SHROUT_FLEISS_ICC.items())
def test_worked_example_reproduces_the_six_published_values(form, expected):
    result = intraclass_correlation(SHROUT_FLEISS_TABLE_2)

    assert round(result.as_dict()[form], 2) == expected


def test_worked_example_has_no_dropped_targets_or_reasons():
    result = intraclass_correlation(SHROUT_FLEISS_TABLE_2)

    assert (result.n_targets, result.n_judges, result.dropped_targets) == (6, 4, 0)
    assert result.reason is None
    assert result.form_reasons == {}


def test_decimal_and_float_input_give_the_same_result():
    as_decimal = [[Decimal(v) for v in row] for row in SHROUT_FLEISS_TABLE_2]
    as_float = [[float(v) for v in row] for row in SHROUT_FLEISS_TABLE_2]

    expected = intraclass_correlation(SHROUT_FLEISS_TABLE_2).as_dict()
    assert intraclass_correlation(as_decimal).as_dict() == expected
    assert intraclass_correlation(as_float).as_dict() == expected


def test_incomplete_targets_are_dropped_and_counted():
    matrix = [*SHROUT_FLEISS_TABLE_2, [5, None, 4, 3], [None, None, None, None]]

    result = intraclass_correlation(matrix)

    assert result.dropped_targets == 2
    assert result.n_targets == 6
    assert result.as_dict() == intraclass_correlation(SHROUT_FLEISS_TABLE_2).as_dict()


def test_rating_matrix_pivots_cells_with_none_for_missing():
    cells = [("ann", "j1", 3), ("ann", "j2", 4), ("bob", "j2", 2)]

    pivot = rating_matrix(cells)

    assert pivot.targets == ["ann", "bob"]
    assert pivot.judges == ["j1", "j2"]
    assert pivot.matrix == [[3, 4], [None, 2]]


def test_rating_matrix_refuses_a_second_value_for_the_same_cell():
    with pytest.raises(ValueError, match="twice"):
        rating_matrix([("ann", "j1", 3), ("ann", "j1", 4)])


# --- Degenerate input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matrix", "reason"),
    [
        ([], "2 judges"),
        ([[3, 4, 5]], "2 targets"),
        ([[3], [4], [5]], "2 judges"),
        ([[3, None], [None, 4], [5, None]], "2 targets"),
        ([[3, 3], [3, 3], [3, 3]], "no variance"),
    ],
)
def test_degenerate_input_returns_none_with_a_reason(matrix, reason):
    result = intraclass_correlation(matrix)

    assert result.mean_squares is None
    assert set(result.as_dict().values()) == {None}
    assert reason in result.reason


def test_a_form_with_a_zero_denominator_is_none_and_the_others_stand():
    # Both targets and both judges have the same mean, so BMS = JMS = 0 and EMS > 0:
    # ICC(1,k) and ICC(3,k) divide by BMS = 0, ICC(2,k) by -EMS/n, and ICC(2,1) by
    # (k - 1 - k/n)·EMS, which is 0 for n = k = 2. ICC(1,1) and ICC(3,1) are defined.
    result = intraclass_correlation([[1, 2], [2, 1]])

    assert result.reason is None
    assert set(result.form_reasons) == {"ICC(2,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"}
    assert [result.icc_2_1, result.icc_1_k, result.icc_2_k, result.icc_3_k] == [None] * 4
    assert result.icc_1_1 == pytest.approx(-1.0)
    assert result.icc_3_1 == pytest.approx(-1.0)


def test_a_value_too_large_for_a_float_is_none_with_a_reason():
    # BMS and JMS are about 1e-372, EMS is 1: ICC(2,1) would be about -1e372.
    result = intraclass_correlation([[1.0, 6e-186], [0.0, 1.0]])

    assert result.icc_2_1 is None
    assert "too large" in result.form_reasons["ICC(2,1)"]
    assert result.icc_1_1 == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "matrix",
    [[[1, 2], [3]], [[1, float("nan")], [2, 3]], [[1, "2"], [2, 3]], [[True, 2], [2, 3]]],
)
def test_malformed_input_is_refused(matrix):
    with pytest.raises(ValueError):
        intraclass_correlation(matrix)


# --- Properties ------------------------------------------------------------------------

scores = st.integers(min_value=1, max_value=9)


@st.composite
def matrices(draw, *, allow_missing: bool = False):
    n = draw(st.integers(min_value=2, max_value=8))
    k = draw(st.integers(min_value=2, max_value=5))
    cell = st.one_of(st.none(), scores) if allow_missing else scores
    return [[draw(cell) for _ in range(k)] for _ in range(n)]


@given(
    targets=st.lists(scores, min_size=2, max_size=8),
    offsets=st.lists(st.integers(min_value=-3, max_value=3), min_size=2, max_size=5),
)
def test_judge_specific_constants_give_perfect_consistency_but_not_agreement(targets, offsets):
    assume(len(set(targets)) > 1)
    matrix = [[t + c for c in offsets] for t in targets]

    result = intraclass_correlation(matrix)

    assert result.icc_3_1 == 1.0
    assert result.icc_3_k == 1.0
    if len(set(offsets)) > 1:
        assert result.icc_2_1 < 1.0
        assert result.icc_1_1 < 1.0
    else:
        assert result.icc_2_1 == 1.0


@given(matrices(allow_missing=True))
def test_every_icc_is_at_most_one(matrix):
    result = intraclass_correlation(matrix)

    for value in result.as_dict().values():
        assert value is None or value <= 1.0


@given(
    st.lists(
        st.lists(st.floats(min_value=-100, max_value=100), min_size=3, max_size=3),
        min_size=2,
        max_size=5,
    )
)
def test_every_icc_is_at_most_one_for_fractional_ratings(matrix):
    result = intraclass_correlation(matrix)

    for value in result.as_dict().values():
        assert value is None or value <= 1.0


@given(matrices())
def test_the_k_rater_average_is_at_least_the_single_rater_value_when_positive(matrix):
    result = intraclass_correlation(matrix)

    for single, average in [
        (result.icc_1_1, result.icc_1_k),
        (result.icc_2_1, result.icc_2_k),
        (result.icc_3_1, result.icc_3_k),
    ]:
        if single is not None and single > 0:
            assert average is not None
            assert average >= single


rating_rows = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3", "r4"]),
        st.sampled_from(["e1", "e2", "e3", "e4", "e5"]),
        st.sampled_from(["q1", "q2"]),
        st.integers(min_value=1, max_value=5),
    ),
    min_size=1,
    max_size=60,
)


@given(rating_rows)
def test_normalisation_keeps_values_within_the_scale(rows):
    for row in normalise_ratings(rows, scale_min=1, scale_max=5, min_ratings=1):
        assert 1 <= row.normalised <= 5


@given(rating_rows)
def test_normalisation_equalises_rater_means_when_nothing_is_clamped(rows):
    normalised = normalise_ratings(rows, scale_min=1, scale_max=5, min_ratings=1)
    assume(not any(row.clamped for row in normalised))

    population_mean = statistics.fmean(value for *_, value in rows)
    by_rater: dict[str, list[float]] = {}
    for row in normalised:
        by_rater.setdefault(row.rater, []).append(row.normalised)
    for values in by_rater.values():
        assert statistics.fmean(values) == pytest.approx(population_mean)


def test_normalisation_leaves_raters_below_the_minimum_unchanged():
    rows = [("few", "e1", "q1", 5), ("few", "e2", "q1", 4)]
    rows += [("many", f"e{i}", "q1", v) for i, v in enumerate([1, 2, 3, 2, 1])]

    normalised = normalise_ratings(rows, scale_min=1, scale_max=5, min_ratings=5)

    few = [r for r in normalised if r.rater == "few"]
    assert [(r.normalised, r.rater_normalised) for r in few] == [(5.0, False), (4.0, False)]
    assert all(r.rater_normalised for r in normalised if r.rater == "many")


def test_ratings_outside_the_scale_are_refused():
    with pytest.raises(ValueError, match="outside the scale"):
        normalise_ratings([("r", "e", "q", 6)], scale_min=1, scale_max=5)
    with pytest.raises(ValueError, match="outside the scale"):
        rater_profiles([Rating("r", "e", "q", 0)], scale_min=1, scale_max=5)


# --- Rater flags -----------------------------------------------------------------------

# Six people, two items each, on a 1–5 scale; what a fair rater would give them.
FAIR = {
    ("e1", "q1"): 2,
    ("e1", "q2"): 1,
    ("e2", "q1"): 3,
    ("e2", "q2"): 4,
    ("e3", "q1"): 5,
    ("e3", "q2"): 4,
    ("e4", "q1"): 3,
    ("e4", "q2"): 2,
    ("e5", "q1"): 4,
    ("e5", "q2"): 5,
    ("e6", "q1"): 1,
    ("e6", "q2"): 3,
}


def _rate(rater, shift=0, fixed=None, keys=FAIR):
    return [
        Rating(rater, ratee, item, fixed if fixed is not None else min(5, max(1, v + shift)))
        for (ratee, item), v in keys.items()
    ]


@pytest.fixture
def company_ratings():
    noisy = {
        key: min(5, max(1, v + (1 if i % 3 == 0 else 0))) for i, (key, v) in enumerate(FAIR.items())
    }
    return [
        *_rate("typical_a"),
        *_rate("typical_b", keys=noisy),
        *_rate("typical_c"),
        *_rate("lenient", shift=2),
        *_rate("harsh", shift=-2),
        *_rate("middle", fixed=3),
    ]


def _flags(analysis):
    return {profile.rater: profile.flags for profile in analysis.raters}


def test_lenient_harsh_and_central_raters_are_flagged_and_typical_ones_are_not(
    company_ratings,
):
    analysis = rater_profiles(company_ratings, scale_min=1, scale_max=5)

    assert _flags(analysis) == {
        "typical_a": (),
        "typical_b": (),
        "typical_c": (),
        "lenient": (LENIENT,),
        "harsh": (HARSH,),
        "middle": (CENTRAL_TENDENCY,),
    }


def test_profiles_report_count_mean_spread_and_z(company_ratings):
    analysis = rater_profiles(company_ratings, scale_min=1, scale_max=5)
    lenient = next(p for p in analysis.raters if p.rater == "lenient")
    middle = next(p for p in analysis.raters if p.rater == "middle")

    assert analysis.count == 72
    assert lenient.count == 12
    assert lenient.mean > analysis.population_mean
    assert lenient.z >= 0.5
    assert (middle.mean, middle.sd, middle.central_share) == (3.0, 0.0, 1.0)


def test_the_all_ratings_baseline_flags_the_same_raters(company_ratings):
    analysis = rater_profiles(company_ratings, scale_min=1, scale_max=5, baseline="all")

    assert _flags(analysis)["lenient"] == (LENIENT,)
    assert _flags(analysis)["harsh"] == (HARSH,)
    assert _flags(analysis)["typical_a"] == ()


def test_no_flag_below_the_minimum_number_of_ratings(company_ratings):
    few = [r for r in company_ratings if r.rater != "lenient"]
    few += _rate("lenient", shift=2)[:4]

    analysis = rater_profiles(few, scale_min=1, scale_max=5)

    assert _flags(analysis)["lenient"] == ()
    assert _flags(analysis)["harsh"] == (HARSH,)


def test_thresholds_are_parameters(company_ratings):
    strict = FlagThresholds(lenient_z=5, harsh_z=5, central_sd_fraction=0)

    analysis = rater_profiles(company_ratings, scale_min=1, scale_max=5, thresholds=strict)

    assert set(_flags(analysis).values()) == {()}


def test_a_rater_nobody_else_rated_alongside_has_no_z_and_no_flag():
    rows = [Rating("alone", f"e{i}", "q1", 5) for i in range(6)]
    rows += [Rating("other", f"x{i}", "q1", v) for i, v in enumerate([1, 2, 3, 4, 5, 1])]

    analysis = rater_profiles(rows, scale_min=1, scale_max=5)
    alone = next(p for p in analysis.raters if p.rater == "alone")

    assert alone.z is None
    assert alone.flags == ()


def test_no_ratings_give_no_analysis():
    assert rater_profiles([], scale_min=1, scale_max=5) is None
    assert normalise_ratings([], scale_min=1, scale_max=5) == []


def test_forms_are_named_in_paper_order():
    assert FORMS == ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")
