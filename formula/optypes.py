"""Static typing rules of the operators (used by the checker).

Each rule takes operand types and returns the result type or raises ``OpTypeError``
with a message meant for the person who wrote the formula.
"""

from __future__ import annotations

from .types import (ANY, BOOL, DATE, DATETIME, EMPTY, NUMBER, TEXT, FormulaType, is_flexible,
                    money_type)

COMPARABLE = ("NUMBER", "MONEY", "TEXT", "BOOL", "DATE", "DATETIME")


class OpTypeError(Exception):
    pass


def _name(op: str) -> str:
    return {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "divide",
            "%": "take the remainder of", "**": "raise"}[op]


def _places_add(a: FormulaType, b: FormulaType) -> int | None:
    if a.places is None or b.places is None:
        return None
    return max(a.places, b.places)


def _places_mul(a: FormulaType, b: FormulaType) -> int | None:
    if a.places is None or b.places is None:
        return None
    return a.places + b.places


def _money_pair(op: str, a: FormulaType, b: FormulaType) -> FormulaType:
    if a.kind == "MONEY" and b.kind == "MONEY":
        if a.currency and b.currency and a.currency != b.currency:
            raise OpTypeError(f"cannot {_name(op)} {a.currency} and {b.currency} money: "
                              "use convert() first")
        return money_type(a.currency or b.currency, _places_add(a, b))
    money = a if a.kind == "MONEY" else b
    return money_type(money.currency, _places_add(a, b))


def binop(op: str, a: FormulaType, b: FormulaType) -> FormulaType:
    if is_flexible(a) and is_flexible(b):
        return ANY if ANY in (a, b) else NUMBER
    if is_flexible(a) or is_flexible(b):
        known = b if is_flexible(a) else a
        if known.numeric:
            return known.with_places(None) if op in ("/", "//", "**") else known
        if known.kind == "TEXT" and op in ("+", "*"):
            return TEXT
        if known.kind in ("DATE", "DATETIME") and op in ("+", "-"):
            return known if op == "+" else ANY
        raise OpTypeError(f"cannot {_name(op)} {known}")
    rule = {"+": _add, "-": _sub, "*": _mul, "/": _div, "//": _div, "%": _mod, "**": _pow}[op]
    return rule(op, a, b)


def _mismatch(op: str, a: FormulaType, b: FormulaType, hint: str = "") -> OpTypeError:
    return OpTypeError(f"cannot {_name(op)} {a} and {b}{hint}")


def _add(op, a, b):
    kinds = {a.kind, b.kind}
    if kinds == {"TEXT"}:
        return TEXT
    if "TEXT" in kinds:
        raise _mismatch(op, a, b, ": use concat() to join text and numbers")
    if kinds == {"NUMBER"}:
        return NUMBER.with_places(_places_add(a, b))
    if kinds <= {"NUMBER", "MONEY"}:
        return _money_pair(op, a, b)
    if kinds in ({"DATE", "NUMBER"}, {"DATETIME", "NUMBER"}):
        return DATE if "DATE" in kinds else DATETIME
    raise _mismatch(op, a, b)


def _sub(op, a, b):
    kinds = {a.kind, b.kind}
    if kinds == {"NUMBER"}:
        return NUMBER.with_places(_places_add(a, b))
    if kinds <= {"NUMBER", "MONEY"}:
        return _money_pair(op, a, b)
    if a.kind in ("DATE", "DATETIME") and b.kind == "NUMBER":
        return a
    if a.kind == b.kind and a.kind == "DATE":
        return NUMBER.with_places(0)
    if a.kind == b.kind and a.kind == "DATETIME":
        return NUMBER
    raise _mismatch(op, a, b, ": use days_between() for dates" if "DATE" in kinds else "")


def _mul(op, a, b):
    kinds = {a.kind, b.kind}
    if kinds == {"NUMBER"}:
        return NUMBER.with_places(_places_mul(a, b))
    if kinds == {"NUMBER", "MONEY"}:
        money = a if a.kind == "MONEY" else b
        return money_type(money.currency, _places_mul(a, b))
    if kinds == {"TEXT", "NUMBER"}:
        return TEXT
    raise _mismatch(op, a, b)


def _div(op, a, b):
    if a.kind == "NUMBER" and b.kind == "NUMBER":
        return NUMBER if op == "/" else NUMBER.with_places(0)
    if a.kind == "MONEY" and b.kind == "NUMBER":
        return money_type(a.currency, None if op == "/" else 0)
    if a.kind == "MONEY" and b.kind == "MONEY":
        if a.currency and b.currency and a.currency != b.currency:
            raise OpTypeError(f"cannot divide {a.currency} by {b.currency}: use convert() first")
        return NUMBER if op == "/" else NUMBER.with_places(0)
    raise _mismatch(op, a, b)


def _mod(op, a, b):
    if a.kind == "NUMBER" and b.kind == "NUMBER":
        return NUMBER.with_places(_places_add(a, b))
    raise _mismatch(op, a, b)


def _pow(op, a, b):
    if a.kind == "NUMBER" and b.kind == "NUMBER":
        return NUMBER
    raise _mismatch(op, a, b)


def unary(op: str, a: FormulaType) -> FormulaType:
    if op == "not":
        return BOOL
    if is_flexible(a):
        return NUMBER if a.kind == "EMPTY" else ANY
    if a.numeric:
        return a
    raise OpTypeError(f"cannot apply unary {op} to {a}")


def compare_kind(op: str, a: FormulaType, b: FormulaType) -> str:
    """The kind two operands are compared as (for the empty-value rule)."""
    if is_flexible(a) and is_flexible(b):
        return "ANY"
    if is_flexible(a) or is_flexible(b):
        known = b if is_flexible(a) else a
        if known.kind in COMPARABLE:
            return known.kind
        if op in ("==", "!=") and EMPTY in (a, b) and known.kind == "RECORD":
            return "RECORD"
        raise OpTypeError(f"cannot compare {known} with {op}")
    if a.numeric and b.numeric:
        if a.kind == b.kind == "MONEY" and a.currency and b.currency and \
                a.currency != b.currency and op not in ("==", "!="):
            raise OpTypeError(f"cannot compare {a.currency} and {b.currency}: "
                              "use convert() first")
        return "MONEY" if "MONEY" in (a.kind, b.kind) else "NUMBER"
    if a.kind == b.kind and a.kind in COMPARABLE:
        return a.kind
    if {a.kind, b.kind} == {"DATE", "DATETIME"}:
        raise OpTypeError("cannot compare a date with a date-time: use date(x) on the date-time")
    raise OpTypeError(f"cannot compare {a} with {b}")


TRUTHY = ("BOOL", "NUMBER", "MONEY", "TEXT", "DATE", "DATETIME", "RECORD", "ANY", "EMPTY")


def check_truthy(t: FormulaType, what: str) -> None:
    if t.kind not in TRUTHY:
        raise OpTypeError(f"{what} must be a condition, not {t}")


__all__ = ["OpTypeError", "binop", "unary", "compare_kind", "check_truthy", "DATE", "DATETIME"]
