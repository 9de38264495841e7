"""Logic functions: IF, switch, coalesce, is_empty.

``and``, ``or`` and ``not`` are operators (always giving True or False), and
``a if condition else b`` is the inline form of ``IF``. IF, switch and coalesce only
evaluate the arguments they need.
"""

from __future__ import annotations

from decimal import Decimal

from .. import ops
from ..optypes import OpTypeError, compare_kind
from ..types import BOOL, EMPTY, unify
from .registry import ArgTypeError, FunctionRegistry, FunctionSpec, Param, TypeCall


def _if(condition, then, otherwise=None):
    if ops.truthy(condition()):
        return then()
    return otherwise() if otherwise is not None else None


def _if_type(call: TypeCall):
    otherwise = call.args[2] if len(call.args) > 2 else EMPTY
    result = unify(call.args[1], otherwise)
    if result is None:
        raise ArgTypeError(2, f"both results must have the same type, not {call.args[1]} "
                              f"and {otherwise}")
    return result


def _sql_if(call, condition, then, otherwise=None):
    otherwise = otherwise if otherwise is not None else call.null()
    test = call.truthy(condition, call.types[0])
    if call.result.kind == "MONEY":
        other = call.currency(2) if len(call.types) > 2 else call.null()
        call.set_currency(call.case([(test, call.currency(1))], else_=other))
    return call.case([(test, then)], else_=otherwise)


def _switch(value, *rest):
    current = value()
    pairs, default = (rest[:-1], rest[-1]) if len(rest) % 2 else (rest, None)
    for index in range(0, len(pairs), 2):
        if ops.compare("==", current, pairs[index]()):
            return pairs[index + 1]()
    return default() if default is not None else None


def _switch_type(call: TypeCall):
    if len(call.args) < 3:
        raise ArgTypeError(None, "needs a value, then pairs of case and result")
    rest = call.args[1:]
    results = [rest[i + 1] for i in range(0, len(rest) - 1, 2)]
    if len(rest) % 2:
        results.append(rest[-1])
    for index in range(0, len(rest) - 1, 2):
        try:
            compare_kind("==", call.args[0], rest[index])
        except OpTypeError as exc:
            raise ArgTypeError(index + 1, str(exc)) from None
    result = results[0]
    for position, other in enumerate(results[1:], start=1):
        merged = unify(result, other)
        if merged is None:
            raise ArgTypeError(None, f"results must have the same type, not {result} and "
                                     f"{other} (result {position + 1})")
        result = merged
    return result


def _sql_switch(call, value, *rest):
    pairs, default = (rest[:-1], rest[-1]) if len(rest) % 2 else (rest, None)
    whens, currencies = [], []
    for index in range(0, len(pairs), 2):
        kind = compare_kind("==", call.types[0], call.types[index + 1])
        test = call.compare("==", value, pairs[index], kind)
        whens.append((test, pairs[index + 1]))
        if call.result.kind == "MONEY":
            currencies.append((test, call.currency(index + 2)))
    if call.result.kind == "MONEY":
        other = call.currency(len(rest)) if default is not None else call.null()
        call.set_currency(call.case(currencies, else_=other))
    return call.case(whens, else_=default if default is not None else call.null())


def _coalesce(*thunks):
    for thunk in thunks:
        value = thunk()
        if not ops.is_empty(value):
            return value
    return None


def _coalesce_type(call: TypeCall):
    result = EMPTY
    for index, arg in enumerate(call.args):
        merged = unify(result, arg)
        if merged is None:
            raise ArgTypeError(index, f"all values must have the same type, not {result} "
                                      f"and {arg}")
        result = merged
    return result


def _sql_coalesce(call, *values):
    parts = [call.fn.nullif(value, "") if kind.kind == "TEXT" else value
             for value, kind in zip(values, call.types)]
    if call.result.kind == "MONEY":   # the currency of the first value that is there
        call.set_currency(call.case([(value.is_not(None), call.currency(index))
                                     for index, value in enumerate(values)], else_=call.null()))
    return call.fn.coalesce(*parts)


def _is_empty_sql(call, value):
    kind = call.types[0].kind
    if kind == "TEXT":
        return call.fn.coalesce(value, "") == ""
    if kind == "ANY" and call.is_constant(0):
        return call.literal(ops.is_empty(call.constant(0)))
    return value.is_(None)


SPECS = [
    FunctionSpec(
        name="IF", params=(Param("condition"), Param("then"),
                           Param("otherwise", optional=True, default="None")),
        returns=_if_type, impl=_if, kind="lazy", sql=_sql_if, category="logic",
        description="`then` if `condition` holds, else `otherwise` (empty when left out). "
                    "`then if condition else otherwise` is the same.",
        examples=(('IF(2 > 1, "yes", "no")', "yes"),
                  ('IF(status == "paid", 0, total)', Decimal(0)))),
    FunctionSpec(
        name="switch", params=(Param("value"), Param("cases", variadic=True)),
        returns=_switch_type, impl=_switch, kind="lazy", sql=_sql_switch, category="logic",
        description="Compares `value` with each case in turn and gives the result after the "
                    "first equal one: `switch(value, case1, result1, case2, result2, …, "
                    "default)`. Without a match it gives the default, or empty.",
        examples=(('switch(status, "draft", 1, "paid", 2, 0)', Decimal(2)),
                  ('switch(3, 1, "one", 2, "two")', None))),
    FunctionSpec(
        name="coalesce", params=(Param("values", variadic=True),), returns=_coalesce_type,
        impl=_coalesce, kind="lazy", sql=_sql_coalesce, category="logic",
        description="The first value that is not empty (`None` or `\"\"`).",
        examples=(('coalesce(None, "", "x")', "x"), ("coalesce(discount, 0)", Decimal(0)))),
    FunctionSpec(
        name="is_empty", params=(Param("value"),), returns=BOOL, impl=ops.is_empty,
        sql=_is_empty_sql, category="logic",
        description="True if `value` is empty: `None`, `\"\"`, or a link that is not set.",
        examples=(("is_empty(discount)", True), ('is_empty("")', True),
                  ("is_empty(0)", False))),
]


def register(registry: FunctionRegistry) -> None:
    for spec in SPECS:
        registry.register(spec, source=__name__)
