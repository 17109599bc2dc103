from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from perfcycle.core.numbers import plain


def test_plain_drops_trailing_zeros_without_an_exponent():
    assert plain(Decimal("24000.00")) == "24000"
    assert plain(Decimal("1.2500")) == "1.25"
    assert plain(Decimal("0.000")) == "0"
    assert plain(Decimal("-0.00")) == "0"
    assert plain(Decimal("1E+3")) == "1000"


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, max_value=10**12, min_value=-(10**12)
    )
)
def test_plain_reads_back_as_the_same_number(value):
    text = plain(value)
    assert "E" not in text and Decimal(text) == value
