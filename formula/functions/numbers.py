"""Number functions: round, floor, ceil, abs, mod, sqrt.

Rounding is half away from zero on ``Decimal`` (``ROUND_HALF_UP`` in the ``decimal``
module's terms), as spreadsheets and accounting programs do; PostgreSQL's
``round(numeric, int)`` does the same and SQLite calls the same Python code
(``cf_round``). An empty number counts as 0.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

from .. import errors as E
from .. import ops
from ..errors import FormulaError
from ..rounding import quantize
from ..types import NUMBER, Money
from .registry import NUMERIC, ArgTypeError, FunctionRegistry, FunctionSpec, Param, TypeCall

MAX_ROUND_PLACES = 20


def round_decimal(value: Decimal, places: int) -> Decimal:
    if abs(places) > MAX_ROUND_PLACES:
        raise FormulaError(E.LIMIT, f"round() takes at most {MAX_ROUND_PLACES} places")
    try:
        result = quantize(value, places)
    except InvalidOperation:
        raise FormulaError(E.RUNTIME, "number too large to round") from None
    return result if places >= 0 else Decimal(int(result))


def _round(value, places=None):
    value, places = ops.num(value), int(ops.num(places))
    if isinstance(value, Money):
        return Money(round_decimal(value.amount, places), value.currency)
    return round_decimal(value, places)


def _integral(rounding):
    def apply(value):
        value = ops.num(value)
        if isinstance(value, Money):
            return Money(value.amount.to_integral_value(rounding), value.currency)
        return value.to_integral_value(rounding)
    return apply


def _abs(value):
    return abs(ops.num(value))


def _sqrt(value):
    value = ops.num(value)
    if value < 0:
        raise FormulaError(E.RUNTIME, "sqrt() of a negative number")
    return value.sqrt()


def _same_type(call: TypeCall):
    return call.args[0] if call.args[0].numeric else NUMBER


def _round_type(call: TypeCall):
    places = call.literal(1, Decimal(0)) if len(call.args) > 1 else Decimal(0)
    base = _same_type(call)
    if isinstance(places, Decimal):
        return base.with_places(max(int(places), 0))
    return base.with_places(None)


def _places0(call: TypeCall):
    return _same_type(call).with_places(0)


def _sql_round(call, value, places=None):
    places = call.num(places) if places is not None else call.literal(Decimal(0))
    if call.dialect == "sqlite":
        return call.cf(call.num(value), places)
    return call.fn.round(call.numeric(call.num(value)), call.integer(places))


def _sql_integral(name):
    def compile_(call, value):
        if call.dialect == "sqlite":
            return call.cf(call.num(value))
        return getattr(call.fn, name)(call.numeric(call.num(value)))
    return compile_


def _sql_mod(call, a, b):
    if call.dialect == "sqlite":
        return call.cf(call.num(a), call.num(b))
    a, b = call.numeric(call.num(a)), call.numeric(call.num(b))
    return a - b * call.fn.floor(a / call.fn.nullif(b, 0))


def _sql_sqrt(call, value):
    if call.dialect == "sqlite":
        return call.cf(call.num(value))
    value = call.numeric(call.num(value))
    return call.case([(value < 0, call.null())], else_=call.fn.sqrt(call.fn.abs(value)))


def _mod_type(call: TypeCall):
    if any(t.kind == "MONEY" for t in call.args):
        raise ArgTypeError(0, "mod() works on numbers")
    return NUMBER


SPECS = [
    FunctionSpec(
        name="round", params=(Param("number", NUMERIC), Param("places", ("NUMBER",),
                                                              optional=True, default="0")),
        returns=_round_type, impl=_round, sql=_sql_round, sqlite=True, category="numbers",
        description="Rounds half away from zero to `places` decimals (negative places round "
                    "to tens, hundreds, …). Money stays money.",
        examples=(("round(2.675, 2)", Decimal("2.68")), ("round(0.125, 2)", Decimal("0.13")),
                  ("round(-2.5)", Decimal("-3")), ("round(1250, -2)", Decimal("1300")))),
    FunctionSpec(
        name="floor", params=(Param("number", NUMERIC),), returns=_places0,
        impl=_integral(ROUND_FLOOR), sql=_sql_integral("floor"), sqlite=True,
        category="numbers", description="The largest whole number not above `number`.",
        examples=(("floor(2.7)", Decimal(2)), ("floor(-2.1)", Decimal(-3)))),
    FunctionSpec(
        name="ceil", params=(Param("number", NUMERIC),), returns=_places0,
        impl=_integral(ROUND_CEILING), sql=_sql_integral("ceil"), sqlite=True,
        category="numbers", description="The smallest whole number not below `number`.",
        examples=(("ceil(2.1)", Decimal(3)), ("ceil(-2.7)", Decimal(-2)))),
    FunctionSpec(
        name="abs", params=(Param("number", NUMERIC),), returns=_same_type, impl=_abs,
        sql=lambda call, value: call.fn.abs(call.num(value)), category="numbers",
        description="The absolute value.", examples=(("abs(-3.5)", Decimal("3.5")),)),
    FunctionSpec(
        name="mod", params=(Param("number", ("NUMBER",)), Param("divisor", ("NUMBER",))),
        returns=_mod_type, impl=ops.mod, sql=_sql_mod, sqlite=True, can_fail=True,
        category="numbers",
        description="The remainder of `number / divisor`, with the sign of the divisor "
                    "(as in spreadsheets). Same as the `%` operator.",
        examples=(("mod(7, 3)", Decimal(1)), ("mod(-7, 3)", Decimal(2)))),
    FunctionSpec(
        name="sqrt", params=(Param("number", ("NUMBER",)),), returns=NUMBER, impl=_sqrt,
        sql=_sql_sqrt, sqlite=True, can_fail=True, category="numbers",
        description="The square root; a negative number is an error.",
        examples=(("sqrt(16)", Decimal(4)), ("round(sqrt(2), 4)", Decimal("1.4142")))),
]


def register(registry: FunctionRegistry) -> None:
    for spec in SPECS:
        registry.register(spec, source=__name__)
