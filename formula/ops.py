"""Runtime operations shared by the evaluator and the function library.

They implement the **empty-value rule** (a spreadsheet blank):

* In arithmetic an empty number or money counts as 0; empty text counts as ``""``.
  An empty date stays empty (``due_date + 3`` is empty when ``due_date`` is).
* In comparisons an empty value compares as the zero of the comparison's type:
  0 for numbers and money, ``""`` for text, False for booleans. Dates have no zero:
  an empty date equals only another empty date, and ``<``/``<=``/``>``/``>=`` with an
  empty date are False. A comparison always gives True or False, never empty.
* Booleans are never empty: an empty boolean field reads as False in conditions.
* Aggregates skip empty values (``count(lines.amount)`` counts filled amounts);
  ``sum`` of nothing is 0, ``avg``/``min``/``max`` of nothing are empty.
* ``is_empty(x)`` is true for ``None``, ``""`` and an empty collection.

Runtime failures raise :class:`FormulaError` (``FORMULA_RUNTIME`` or
``FORMULA_LIMIT``) without a position; the evaluator adds the position of the node.
"""

from __future__ import annotations

import datetime as _dt
from decimal import ROUND_FLOOR, Decimal

from . import errors as E
from .errors import FormulaError
from .types import Money

MAX_TEXT = 100_000                 # characters in any text result
MAX_EXPONENT = 100                 # |exponent| of **
MAX_MAGNITUDE = Decimal("1e30")    # |result| of **
ZERO = Decimal(0)


def to_number(value):
    """Normalise a stored number: int/float -> Decimal; None stays None."""
    if value is None or isinstance(value, (Decimal, Money)):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            raise FormulaError(E.RUNTIME, f"not a number: {value!r}") from None
    raise FormulaError(E.RUNTIME, f"not a number: {value!r}")


def num(value):
    """A number for arithmetic: empty counts as 0."""
    if value is None:
        return ZERO
    return to_number(value)


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Money):
        return f"{format(value.amount, 'f')} {value.currency}"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return str(value)


def check_text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise FormulaError(E.LIMIT, f"text result longer than {MAX_TEXT} characters")
    return value


def truthy(value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return value != 0
    if isinstance(value, Money):
        return value.amount != 0
    if isinstance(value, (str, list)):
        return len(value) > 0
    if isinstance(value, (int, float)):
        return value != 0
    return True


def is_empty(value) -> bool:
    return value is None or value == "" or (isinstance(value, list) and not value)


def _is_date(value) -> bool:
    return isinstance(value, _dt.date)


def add(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return check_text(text(a) + text(b))
    if _is_date(a) or _is_date(b):
        return _date_shift(a, b, 1)
    return num(a) + num(b)


def sub(a, b):
    if _is_date(a) and _is_date(b):
        return days_between(b, a)
    if _is_date(a) or (a is None and _is_date(b)):
        if a is None:
            return None
        return _date_shift(a, b, -1)
    return num(a) - num(b)


def _date_shift(a, b, sign: int):
    day, days = (a, b) if _is_date(a) else (b, a)
    if day is None or not _is_date(day):
        return None
    days = num(days)
    if isinstance(day, _dt.datetime):
        return day + sign * _dt.timedelta(days=float(days))
    try:
        return day + _dt.timedelta(days=sign * int(days))
    except OverflowError:
        raise FormulaError(E.RUNTIME, "date out of range") from None


def days_between(start, end):
    if start is None or end is None:
        return None
    if isinstance(start, _dt.datetime) or isinstance(end, _dt.datetime):
        start, end = _as_datetime(start), _as_datetime(end)
        return Decimal(repr((end - start).total_seconds())) / Decimal(86400)
    return Decimal((end - start).days)


def _as_datetime(value):
    if isinstance(value, _dt.datetime):
        return value
    return _dt.datetime(value.year, value.month, value.day)


def mul(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return repeat(a, b) if isinstance(a, str) else repeat(b, a)
    return num(a) * num(b)


def repeat(value: str, times) -> str:
    count = int(num(times))
    if count <= 0:
        return ""
    if len(value) * count > MAX_TEXT:
        raise FormulaError(E.LIMIT, f"text result longer than {MAX_TEXT} characters")
    return value * count


def div(a, b):
    b = num(b)
    if (b.amount if isinstance(b, Money) else b) == 0:
        raise FormulaError(E.RUNTIME, "division by zero")
    return num(a) / b


def floordiv(a, b):
    quotient = div(a, b)
    if isinstance(quotient, Money):
        return Money(quotient.amount.to_integral_value(ROUND_FLOOR), quotient.currency)
    return quotient.to_integral_value(ROUND_FLOOR)


def mod(a, b):
    """Remainder with the sign of the divisor, as in spreadsheets: mod(-7, 3) == 2."""
    a, b = num(a), num(b)
    if isinstance(a, Money) or isinstance(b, Money):
        raise FormulaError(E.RUNTIME, "mod() works on numbers")
    if b == 0:
        raise FormulaError(E.RUNTIME, "division by zero")
    return a - b * (a / b).to_integral_value(ROUND_FLOOR)


def power(a, b):
    base, exponent = num(a), num(b)
    if isinstance(base, Money) or isinstance(exponent, Money):
        raise FormulaError(E.RUNTIME, "** works on numbers")
    if abs(exponent) > MAX_EXPONENT:
        raise FormulaError(E.LIMIT, f"exponent larger than {MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise FormulaError(E.RUNTIME, "division by zero")
    if abs(base) > 1 and exponent > 0 and \
            abs(base).log10() * exponent > MAX_MAGNITUDE.log10():
        raise FormulaError(E.LIMIT, f"result larger than {MAX_MAGNITUDE:E}")
    try:
        return base ** exponent
    except ArithmeticError:
        raise FormulaError(E.RUNTIME, "invalid power (negative base with a fractional "
                           "exponent?)") from None


def neg(a):
    if _is_date(a):
        raise FormulaError(E.RUNTIME, "cannot negate a date")
    return -num(a)


def pos(a):
    return num(a)


def static_operation(op: str, left_kind: str, right_kind: str, result_kind: str):
    """The operation for operands of known kinds, so empties keep their type:
    an empty date plus days is empty, empty text + empty text is ``""``."""
    dates = ("DATE", "DATETIME")
    if left_kind in dates or right_kind in dates:
        if op == "-" and left_kind in dates and right_kind in dates:
            return lambda a, b: days_between(b, a)
        if op == "+":
            first_is_date = left_kind in dates
            return lambda a, b: _shift_or_empty(a if first_is_date else b,
                                                b if first_is_date else a, 1)
        if op == "-" and left_kind in dates:
            return lambda a, b: _shift_or_empty(a, b, -1)
    if result_kind == "TEXT":
        if op == "+":
            return lambda a, b: check_text(text(a) + text(b))
        if op == "*":
            if left_kind == "TEXT":
                return lambda a, b: repeat(text(a), b)
            return lambda a, b: repeat(text(b), a)
    return ARITHMETIC[op]


def _shift_or_empty(day, days, sign: int):
    if day is None:
        return None
    return _date_shift(day, num(days), sign)


ARITHMETIC = {"+": add, "-": sub, "*": mul, "/": div, "//": floordiv, "%": mod, "**": power}


def zero_for(kind: str):
    return {"NUMBER": ZERO, "MONEY": ZERO, "TEXT": "", "BOOL": False}.get(kind)


def _zero_like(value):
    if isinstance(value, (Decimal, Money, int, float)) and not isinstance(value, bool):
        return ZERO
    if isinstance(value, str):
        return ""
    if isinstance(value, bool):
        return False
    return None


def compare(op: str, a, b, kind: str = "ANY") -> bool:
    """Compare two values under the empty-value rule. ``kind`` is the static type."""
    if a is None or b is None:
        zero = zero_for(kind)
        if zero is None:
            zero = _zero_like(b if a is None else a)
        if zero is None:
            both = a is None and b is None
            if op == "==":
                return both
            if op == "!=":
                return not both
            return False
        a = zero if a is None else a
        b = zero if b is None else b
    if isinstance(a, Money) or isinstance(b, Money):
        if isinstance(a, Money) and isinstance(b, Money):
            if op in ("==", "!=") and a.currency != b.currency:
                return op == "!="
            a, b = a.compare_key(b)
        else:
            a = a.amount if isinstance(a, Money) else to_number(a)
            b = b.amount if isinstance(b, Money) else to_number(b)
    elif isinstance(a, (int, float)) and not isinstance(a, bool):
        a = to_number(a)
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        b = to_number(b)
    try:
        return _COMPARE[op](a, b)
    except TypeError:
        raise FormulaError(E.RUNTIME, f"cannot compare {type(a).__name__} with "
                           f"{type(b).__name__}") from None


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def member(value, items, kind: str = "ANY") -> bool:
    return any(compare("==", value, item, kind) for item in items)
