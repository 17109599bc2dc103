from hypothesis import given, settings, strategies as st
from perfcycle.evaluation.reliability import intraclass_correlation, normalise_ratings
from perfcycle.evaluation.tests.test_reliability import matrices, rating_rows

vals = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)

@settings(max_examples=3000, deadline=None)
@given(st.integers(2, 6), st.integers(2, 5), st.data())
def test_le_one_and_sb(n, k, data):
    m = [[data.draw(st.one_of(vals, st.none()) ) for _ in range(k)] for _ in range(n)]
    r = intraclass_correlation(m)
    d = r.as_dict()
    for v in d.values():
        assert v is None or v <= 1.0
    for a, b in [("ICC(1,1)","ICC(1,k)"),("ICC(2,1)","ICC(2,k)"),("ICC(3,1)","ICC(3,k)")]:
        if d[a] is not None and d[a] > 0:
            assert d[b] is not None and d[b] >= d[a]

@settings(max_examples=3000, deadline=None)
@given(rating_rows)
def test_norm(rows):
    for r in normalise_ratings(rows, scale_min=1, scale_max=5, min_ratings=1):
        assert 1 <= r.normalised <= 5
