"""Formula types and the values that carry them.

=========  =================================  ==========================================
type       Python value                        notes
=========  =================================  ==========================================
NUMBER     ``decimal.Decimal``                 integers fold in (``places=0``); never float
MONEY      :class:`Money` (amount, currency)   ``currency`` on the type when known
TEXT       ``str``
BOOL       ``bool``                            never empty: an empty boolean reads False
DATE       ``datetime.date``
DATETIME   ``datetime.datetime``
RECORD(t)  a ``RecordContext`` or ``None``    a link to table ``t``
COLLECTION a list of ``RecordContext``         line items / back-links of table ``t``
LIST(x)    a list of x                         a collection projection: ``lines.amount``
ERROR      —                                   a stored formula that failed
ANY        anything                            ``me``'s extra attributes, ``None``
EMPTY      ``None``                            the literal ``None``
=========  =================================  ==========================================

``places`` carries the decimal places of a NUMBER or MONEY result where they can be
inferred (``round(x, 2)`` → 2, ``a + b`` → the larger, ``a * b`` → the sum); ``None``
means "not fixed": the storage layer picks its default scale.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from decimal import Decimal

from . import errors as E
from .errors import CurrencyMismatch, FormulaError

NUMERIC_KINDS = ("NUMBER", "MONEY")
MAX_PLACES = 10


@dataclass(frozen=True, slots=True)
class FormulaType:
    kind: str
    table: str | None = None
    places: int | None = None
    currency: str | None = None
    item: "FormulaType | None" = None

    def __str__(self) -> str:
        if self.kind in ("RECORD", "COLLECTION"):
            return f"{self.kind}({self.table})"
        if self.kind == "LIST" and self.item is not None:
            return f"LIST({self.item})"
        if self.kind == "MONEY" and self.currency:
            return f"MONEY({self.currency})"
        return self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def with_places(self, places: int | None) -> "FormulaType":
        if places is not None:
            places = max(0, min(places, MAX_PLACES))
        return replace(self, places=places)

    def to_dict(self) -> dict:
        data = {"kind": self.kind}
        for key in ("table", "places", "currency"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.item is not None:
            data["item"] = self.item.to_dict()
        return data


NUMBER = FormulaType("NUMBER")
INTEGER = FormulaType("NUMBER", places=0)
MONEY = FormulaType("MONEY")
TEXT = FormulaType("TEXT")
BOOL = FormulaType("BOOL")
DATE = FormulaType("DATE")
DATETIME = FormulaType("DATETIME")
ERROR = FormulaType("ERROR")
ANY = FormulaType("ANY")
EMPTY = FormulaType("EMPTY")


def RECORD(table: str) -> FormulaType:  # noqa: N802 - reads like a type constructor
    return FormulaType("RECORD", table=table)


def COLLECTION(table: str) -> FormulaType:  # noqa: N802
    return FormulaType("COLLECTION", table=table)


def LIST(item: FormulaType) -> FormulaType:  # noqa: N802
    return FormulaType("LIST", item=item)


def money_type(currency: str | None, places: int | None = 2) -> FormulaType:
    return FormulaType("MONEY", places=places, currency=currency)


def is_flexible(t: FormulaType) -> bool:
    """ANY and EMPTY fit wherever a value is expected."""
    return t.kind in ("ANY", "EMPTY")


def accepts(expected: FormulaType, actual: FormulaType) -> bool:
    """Whether a value of ``actual`` type may be used where ``expected`` is wanted."""
    if expected.kind == "ANY" or is_flexible(actual):
        return True
    if expected.kind == actual.kind:
        if expected.kind in ("RECORD", "COLLECTION") and expected.table and actual.table:
            return expected.table == actual.table
        return True
    return expected.kind == "MONEY" and actual.kind == "NUMBER"


def unify(a: FormulaType, b: FormulaType) -> FormulaType | None:
    """The common type of two branches (IF, switch, coalesce), or None if none."""
    if a.kind == "EMPTY":
        return b
    if b.kind == "EMPTY":
        return a
    if a.kind == "ANY" or b.kind == "ANY":
        return a if b.kind == "ANY" else b
    if a.kind == b.kind:
        if a.kind == "MONEY" and a.currency != b.currency:
            currency = None if (a.currency and b.currency) else (a.currency or b.currency)
            return money_type(currency, _max_places(a.places, b.places))
        if a.kind in ("RECORD", "COLLECTION") and a.table != b.table:
            return None
        return a.with_places(_max_places(a.places, b.places)) if a.numeric else a
    if {a.kind, b.kind} == {"MONEY", "NUMBER"}:
        money = a if a.kind == "MONEY" else b
        return money.with_places(_max_places(a.places, b.places))
    return None


def _max_places(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return None
    return max(a, b)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in a currency. Arithmetic follows accounting rules:

    money ± money (same currency) → money; money × number, money ÷ number → money;
    money ÷ money (same currency) → number. Different currencies are a runtime error
    unless one side is converted first with ``convert()``.
    """

    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))

    def _same(self, other: "Money", verb: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot {verb} {self.currency} and {other.currency}: "
                                   "use convert() first", (self.currency, other.currency))

    def __add__(self, other):
        if isinstance(other, Money):
            self._same(other, "add")
            return Money(self.amount + other.amount, self.currency)
        if isinstance(other, Decimal):
            return Money(self.amount + other, self.currency)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Money):
            self._same(other, "subtract")
            return Money(self.amount - other.amount, self.currency)
        if isinstance(other, Decimal):
            return Money(self.amount - other, self.currency)
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, Decimal):
            return Money(other - self.amount, self.currency)
        return NotImplemented

    def __mul__(self, other):
        if isinstance(other, Decimal):
            return Money(self.amount * other, self.currency)
        if isinstance(other, Money):
            raise FormulaError(E.RUNTIME, "cannot multiply money by money")
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Money):
            self._same(other, "divide")
            return self.amount / other.amount
        if isinstance(other, Decimal):
            return Money(self.amount / other, self.currency)
        return NotImplemented

    def __neg__(self):
        return Money(-self.amount, self.currency)

    def __pos__(self):
        return self

    def __abs__(self):
        return Money(abs(self.amount), self.currency)

    def compare_key(self, other: "Money") -> tuple[Decimal, Decimal]:
        self._same(other, "compare")
        return self.amount, other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def type_of_value(value) -> FormulaType:
    """The formula type of a Python value (used for literals and examples)."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return NUMBER.with_places(places)
    if isinstance(value, Money):
        return money_type(value.currency, None)
    if isinstance(value, str):
        return TEXT
    if isinstance(value, _dt.datetime):
        return DATETIME
    if isinstance(value, _dt.date):
        return DATE
    return ANY
