"""The one rounding rule: half away from zero, for every decimal Cardfile rounds.

Formulas (``round()``), stored numbers and money, computed columns, pivot averages,
exports, print templates and the web UI all round through :func:`quantize`, so 1.005
rounded to cents is 1.01 wherever it is shown or stored, and −2.5 to a whole number is −3
(``ROUND_HALF_UP`` in the ``decimal`` module's terms: it rounds the magnitude, so it is
"half away from zero", what spreadsheets and accounting programs do — never the banker's
half-to-even that ``Decimal.quantize`` uses when no rounding is given).

``tests/unit/formula/test_rounding.py`` fails if any module outside this one calls
``.quantize(`` itself.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

RULE = ROUND_HALF_UP
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(-20, 21)}


def quantum(places: int) -> Decimal:
    """``Decimal("0.01")`` for 2 places, ``Decimal("1E+2")`` for −2."""
    found = _QUANTA.get(places)
    return found if found is not None else Decimal(1).scaleb(-places)


def quantize(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals (negative places round
    to tens, hundreds, …). Raises ``decimal.InvalidOperation`` when the result would need
    more digits than the decimal context holds.

    >>> quantize(Decimal("1.005"), 2), quantize(Decimal("-2.5"), 0), quantize(Decimal("1250"), -2)
    (Decimal('1.01'), Decimal('-3'), Decimal('1.3E+3'))
    """
    return value.quantize(quantum(places), rounding=RULE)


def format_number(value: Decimal, pattern: str) -> str:
    """``format(value, pattern)`` (``",.2f"``, ``".0%"``) rounding half away from zero
    (Python's own ``format`` rounds a ``Decimal`` half to even).

    >>> format_number(Decimal("1.005"), ",.2f"), format_number(Decimal("0.125"), ".0%")
    ('1.01', '13%')
    """
    with localcontext() as context:
        context.rounding = RULE
        return format(value, pattern)


def quantize_to(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded half away from zero to the exponent of ``step`` (``Decimal("0.01")``)."""
    return value.quantize(step, rounding=RULE)


__all__ = ["RULE", "format_number", "quantize", "quantize_to", "quantum"]
