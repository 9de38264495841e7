"""Aggregates over collections (line items, back-links): sum, count, avg, min, max,
any, all.

The filter form is a keyword argument: ``sum(lines.amount, where=lines.vat > 0)``.
Inside the aggregate's argument and ``where=``, paths through the aggregated
collection (``lines.…``) read the current element; other names read the record
itself (``count(lines, where=lines.amount > limit)``). The argument may be any
expression over the element: ``sum(lines.qty * lines.price)``.

Empty values are skipped: ``count(lines.amount)`` counts filled amounts; ``sum`` of
nothing is 0; ``avg``, ``min`` and ``max`` of nothing are empty. ``any``/``all`` read
an empty boolean as False; ``all`` of no elements is True.

With several arguments and no collection, ``min(a, b, …)``, ``max(…)`` and
``sum(…)`` work on the values themselves, skipping empties.
In SQL an aggregate is a correlated subquery over the live (``deleted_at IS NULL``)
elements.
"""

from __future__ import annotations

from decimal import Decimal

from .. import ops
from ..errors import CurrencyMismatch
from ..types import BOOL, NUMBER, Money, unify
from .registry import ANY_KIND, NUMERIC, ArgTypeError, FunctionRegistry, FunctionSpec, Param

WHERE = Param("where", keyword=True)


def _filled(values):
    return [ops.to_number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            for v in values if v is not None]


def _sum(values):
    total = ops.ZERO
    for value in _filled(values):
        total = total + value
    return total


def _count(values):
    return Decimal(len(_filled(values)))


def _avg(values):
    values = _filled(values)
    if not values:
        return None
    return _sum(values) / Decimal(len(values))


def _extreme(pick):
    def impl(values):
        values = _filled(values)
        if not values:
            return None
        if any(isinstance(v, Money) for v in values):
            currencies = {v.currency for v in values if isinstance(v, Money)}
            if len(currencies) > 1:
                raise CurrencyMismatch("cannot compare " + " and ".join(sorted(
                    currencies)) + ": use convert() first", sorted(currencies))
            return pick(values, key=lambda v: v.amount if isinstance(v, Money) else v)
        return pick(values)
    return impl


def _numeric_type(call):
    result = None
    for index, arg in enumerate(call.args):
        if not (arg.numeric or arg.kind in ("ANY", "EMPTY")):
            raise ArgTypeError(index, f"needs numbers or money, not {arg}")
        result = arg if result is None else (unify(result, arg) or result)
    if result is None or result.kind in ("ANY", "EMPTY"):
        return NUMBER
    return result


def _extreme_type(call):
    result = None
    for index, arg in enumerate(call.args):
        if arg.kind not in ("NUMBER", "MONEY", "DATE", "DATETIME", "TEXT", "ANY", "EMPTY"):
            raise ArgTypeError(index, f"cannot compare {arg}")
        merged = arg if result is None else unify(result, arg)
        if merged is None:
            raise ArgTypeError(index, f"cannot compare {result} with {arg}")
        result = merged
    return result


def _sql_sum(call, *values):
    if call.mode == "aggregate":
        return call.fn.coalesce(call.subquery(call.fn.sum(values[0])), 0)
    total = call.num(values[0])
    for value in values[1:]:
        total = total + call.num(value)
    return total


def _sql_count(call, value):
    if call.mode != "aggregate":
        call.not_sql("count() of single values is computed in Python")
    return call.subquery(call.fn.count(value))


def _sql_avg(call, value):
    if call.mode != "aggregate":
        call.not_sql("avg() of single values is computed in Python")
    return call.subquery(call.fn.avg(value))


def _sql_extreme(name, scalar_pg):
    def compile_(call, *values):
        if call.mode == "aggregate":
            return call.subquery(getattr(call.fn, name)(values[0]))
        kinds = {kind.kind for kind in call.types}
        if "MONEY" in kinds and kinds - {"MONEY", "EMPTY"}:
            call.not_sql(f"{name}() of money and plain numbers is computed in Python")
        if call.dialect == "sqlite":
            return call.cf(*values)
        return getattr(call.fn, scalar_pg)(*values)
    return compile_


def _sql_flags(name, empty):
    def compile_(call, value):
        if call.mode != "aggregate":
            call.not_sql(f"{name}() of single values is computed in Python")
        flag = call.case([(call.truthy(value, call.types[0]), 1)], else_=0)
        inner = call.fn.max(flag) if name == "any" else call.fn.min(flag)
        return call.fn.coalesce(call.subquery(inner), empty) == 1
    return compile_


def _spec(name, impl, returns, description, examples, sql, kinds=NUMERIC, sqlite=False):
    return FunctionSpec(name=name, params=(Param("values", kinds, variadic=True), WHERE),
                        returns=returns, impl=impl, kind="aggregate", sql=sql,
                        category="aggregates", description=description, examples=examples,
                        sqlite=sqlite)


SPECS = [
    _spec("sum", _sum, _numeric_type, "The total of the filled values.",
          (("sum(lines.amount)", Decimal("150.00")),
           ("sum(lines.amount, where=lines.vat > 0)", Decimal("100.00")),
           ("sum(lines.qty * lines.amount)", Decimal("250.00"))), _sql_sum),
    _spec("count", _count, NUMBER.with_places(0), "How many elements (or filled values).",
          (("count(lines)", Decimal(3)), ("count(lines.amount)", Decimal(2)),
           ("count(lines, where=lines.vat == 0)", Decimal(1))), _sql_count, kinds=ANY_KIND),
    _spec("avg", _avg, lambda call: _numeric_type(call).with_places(None),
          "The average of the filled values; empty if there are none.",
          (("avg(lines.amount)", Decimal("75.00")),), _sql_avg),
    _spec("min", _extreme(min), _extreme_type,
          "The smallest filled value: `min(lines.amount)` or `min(a, b, …)`; empty if none.",
          (("min(lines.amount)", Decimal("50.00")), ("min(3, 1, 2)", Decimal(1))),
          _sql_extreme("min", "least"), kinds=("NUMBER", "MONEY", "DATE", "DATETIME", "TEXT"),
          sqlite=True),
    _spec("max", _extreme(max), _extreme_type,
          "The largest filled value: `max(lines.amount)` or `max(a, b, …)`; empty if none.",
          (("max(lines.amount)", Decimal("100.00")), ("max(3, None, 2)", Decimal(3))),
          _sql_extreme("max", "greatest"),
          kinds=("NUMBER", "MONEY", "DATE", "DATETIME", "TEXT"), sqlite=True),
    _spec("any", lambda values: any(ops.truthy(v) for v in values), BOOL,
          "True if the condition holds for at least one element.",
          (("any(lines.vat == 0)", True),), _sql_flags("any", 0), kinds=ANY_KIND),
    _spec("all", lambda values: all(ops.truthy(v) for v in values), BOOL,
          "True if the condition holds for every element (also when there are none).",
          (("all(lines.qty > 0)", False),), _sql_flags("all", 1), kinds=ANY_KIND),
]


def register(registry: FunctionRegistry) -> None:
    for spec in SPECS:
        registry.register(spec, source=__name__)
