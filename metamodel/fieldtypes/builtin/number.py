"""Numbers: integer, decimal and percent (exact ``Decimal``, never binary floats)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import BigInteger

from ....formula.rounding import quantize, quantize_to
from ...storage.sqltypes import ExactDecimal
from ..base import EMPTY_OPERATORS, EQUALITY_OPERATORS, ORDER_OPERATORS, FieldType, FieldValueError, same_rules

NUMBER_OPERATORS = EQUALITY_OPERATORS + ORDER_OPERATORS + EMPTY_OPERATORS
_INT_LIMIT = 2**63 - 1
#: Total digits of a decimal: SQLite stores it scaled in a 64-bit integer, so digits before
#: and after the point share 18 places (the same limit on PostgreSQL keeps both alike).
DECIMAL_DIGITS = 18


def to_decimal(raw) -> Decimal:
    """Decimal from JSON numbers or text; accepts a decimal comma and spaces as separators."""
    if isinstance(raw, bool):
        raise FieldValueError("expected a number, got true/false")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("\u202f", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise FieldValueError(f"expected a number, got {raw!r}") from None
    else:
        raise FieldValueError(f"expected a number, got {type(raw).__name__}")
    if not value.is_finite():
        raise FieldValueError("expected a finite number")
    return value


class _Bounded(FieldType):
    formula_type = "number"
    filter_operators = NUMBER_OPERATORS

    def check(self, value, field):
        low, high = field.opt("min"), field.opt("max")
        if low is not None and value < to_decimal(low):
            raise FieldValueError(f"must be at least {low}")
        if high is not None and value > to_decimal(high):
            raise FieldValueError(f"must be at most {high}")

    @staticmethod
    def bounds(field) -> tuple:
        """(min, max) as numbers for the fast parsers (None: unbounded); options that are no
        numbers leave the check to ``parse``, which raises its own message."""
        try:
            return tuple(None if field.opt(k) is None else to_decimal(field.opt(k)) for k in ("min", "max"))
        except FieldValueError:
            return None


def fast_decimal(places: int, bounds: tuple, slow, wrap=None):
    """A parser for a decimal field: a finite ``Decimal``, ``int`` or number text that
    ``DecimalType.parse_value`` and ``check`` accept gives its quantized value at once
    (passed through ``wrap`` when given: money adds its currency); anything else goes to
    ``slow``, the field type's own ``parse``."""
    quantum = Decimal(1).scaleb(-places)
    digits = DECIMAL_DIGITS - places  # |value| < 10 ** digits  <=>  value.adjusted() < digits
    low, high = bounds
    unbounded = low is None and high is None

    def parse(raw):
        kind = type(raw)
        if kind is Decimal:
            value = raw
        elif kind is int:
            value = Decimal(raw)
        elif kind is str and wrap is None:
            try:
                value = Decimal(raw)  # what to_decimal gives whenever Decimal() alone accepts the text
            except InvalidOperation:
                return slow(raw)
        else:
            return slow(raw)
        if value.is_finite() and value.adjusted() < digits:
            quantized = quantize_to(value, quantum)
            if quantized == value and (unbounded or ((low is None or quantized >= low)
                                                     and (high is None or quantized <= high))):
                return quantized if wrap is None else wrap(quantized)
        return slow(raw)
    return parse


def scaled_decimal(places: int, bounds: tuple, slow):
    """An encoder step for SQLite, where a decimal is stored as an integer scaled by
    ``10 ** places``: a ``Decimal`` or ``int`` that ``DecimalType.parse_value`` and
    ``check`` accept (no more digits after the point than ``places``, within the digits
    and the bounds) becomes that integer at once; anything else gives ``slow(raw)``."""
    factor = 10 ** places
    limit = 10 ** DECIMAL_DIGITS  # |value| < 10 ** (digits - places)  <=>  |scaled| < 10 ** digits
    low, high = (None if b is None else b * factor for b in bounds)
    unbounded = low is None and high is None

    def encode(raw):
        kind = type(raw)
        if kind is Decimal:
            try:
                numerator, denominator = raw.as_integer_ratio()
            except (ValueError, OverflowError):  # NaN, infinity
                return slow(raw)
            if factor % denominator:
                return slow(raw)  # more digits after the point than the field keeps
            scaled = numerator * (factor // denominator)
        elif kind is int:
            scaled = raw * factor
        else:
            return slow(raw)
        if -limit < scaled < limit and (unbounded or ((low is None or scaled >= low)
                                                      and (high is None or scaled <= high))):
            return scaled
        return slow(raw)
    return encode


class IntegerType(_Bounded):
    key = "integer"
    label = "Integer"
    json_type = "integer"
    options_properties = {"min": {"type": "number"}, "max": {"type": "number"}}

    def sql_type(self, field):
        return BigInteger()

    def parse_value(self, raw, field):
        value = to_decimal(raw)
        if value != value.to_integral_value():
            raise FieldValueError(f"expected a whole number, got {raw}")
        value = int(value)
        if abs(value) > _INT_LIMIT:
            raise FieldValueError("number is too large")
        return value

    def parser(self, field):
        slow = super().parser(field)
        bounds = self.bounds(field)
        if not same_rules(self, IntegerType) or bounds is None:
            return slow
        low, high = bounds
        low = -_INT_LIMIT if low is None else max(low, -_INT_LIMIT)
        high = _INT_LIMIT if high is None else min(high, _INT_LIMIT)

        def parse(raw):  # an int (or the text of one) within the bounds
            if type(raw) is int:
                if low <= raw <= high:
                    return raw
            elif type(raw) is str:
                try:
                    value = int(raw)  # accepts what Decimal() accepts for whole numbers
                except ValueError:
                    return slow(raw)
                if low <= value <= high:
                    return value
            return slow(raw)
        return parse

    def random_value(self, field, rng):
        low, high = int(field.opt("min", 0)), int(field.opt("max", 100))
        return rng.randint(low, max(low, high))


class DecimalType(_Bounded):
    key = "decimal"
    label = "Decimal"
    json_type = "string"
    default_places = 2
    options_properties = {
        "places": {"type": "integer", "minimum": 0, "maximum": 8},
        "min": {"type": ["number", "string"]}, "max": {"type": ["number", "string"]},
    }

    def places(self, field) -> int:
        return int(field.opt("places", self.default_places))

    def sql_type(self, field):
        return ExactDecimal(self.places(field))

    def parse_value(self, raw, field):
        value = to_decimal(raw)
        places = self.places(field)
        if abs(value) >= Decimal(10) ** (DECIMAL_DIGITS - places):
            raise FieldValueError(
                f"number is too large (at most {DECIMAL_DIGITS - places} digits before the point)")
        quantized = quantize(value, places)
        if quantized != value:
            raise FieldValueError(f"at most {places} digits after the decimal point (got {raw})")
        return quantized

    def parser(self, field):
        slow = super().parser(field)
        bounds = self.bounds(field)
        if not same_rules(self, DecimalType) or bounds is None:
            return slow
        return fast_decimal(self.places(field), bounds, slow)

    def encoder(self, field, dialect, converters):
        bounds, (convert,) = self.bounds(field), converters
        if dialect != "sqlite" or not same_rules(self, DecimalType) or bounds is None or convert is None:
            return None
        parse = self.parser(field)

        def slow(raw):
            value = parse(raw)
            return None if value is None else convert(value)
        encode = scaled_decimal(self.places(field), bounds, slow)
        return lambda raws: [list(map(encode, raws))]

    def to_json(self, value, field):
        return None if value is None else str(value)

    def json_schema(self, field):
        return {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?$",
                "description": "A decimal number as a string (numbers are accepted on input)."}

    def to_plain(self, value, field):
        return value

    def random_value(self, field, rng):
        low = int(to_decimal(field.opt("min", 0)))
        high = int(to_decimal(field.opt("max", 1000)))
        cents = rng.randint(low * 100, max(low, high) * 100)
        return quantize(Decimal(cents) / 100, self.places(field))


class PercentType(DecimalType):
    key = "percent"
    label = "Percent"

    def display(self, value, field):
        return "" if value is None else f"{value} %"

    def random_value(self, field, rng):
        return quantize(Decimal(rng.randint(0, 30)), self.places(field))
