"""How a ``Decimal`` reads in text: without trailing zeros and never in exponent form.

``Decimal("24000.00").normalize()`` is ``2.4E+4``, which is how the bonus explanation
once printed a 24,000 base; ``plain`` gives ``24000``.
"""

from __future__ import annotations

from decimal import Decimal


def plain(value: Decimal) -> str:
    """``value`` without trailing zeros, in positional notation (``-0`` reads ``0``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
