"""Dates and date-times. Date-times are stored as UTC and returned with a ``Z``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date

from ...storage.sqltypes import UtcDateTime
from ..base import FieldType, FieldValueError, same_rules
from .number import NUMBER_OPERATORS

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%y")


def parse_date(raw) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str):
        raise FieldValueError(f"expected a date (YYYY-MM-DD), got {type(raw).__name__}")
    text = raw.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if "T" in text:
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise FieldValueError(f"expected a date (YYYY-MM-DD), got {raw!r}")


def parse_datetime(raw) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, str):
        text = raw.strip().replace("Z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise FieldValueError(f"expected a date and time (ISO 8601), got {raw!r}") from None
    else:
        raise FieldValueError(f"expected a date and time (ISO 8601), got {type(raw).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    try:
        return value.astimezone(dt.timezone.utc).replace(microsecond=value.microsecond)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:00 is past the year 9999 in UTC
        raise FieldValueError(f"date and time out of range (years 1 to 9999 in UTC), got {raw!r}") from None


class DateType(FieldType):
    key = "date"
    label = "Date"
    formula_type = "date"
    filter_operators = NUMBER_OPERATORS
    json_type = "string"
    options_properties = {"min": {"type": "string", "format": "date"},
                          "max": {"type": "string", "format": "date"}}

    def sql_type(self, field):
        return Date()

    def parse_value(self, raw, field):
        return parse_date(raw)

    def check(self, value, field):
        low, high = field.opt("min"), field.opt("max")
        if low and value < parse_date(low):
            raise FieldValueError(f"must not be before {low}")
        if high and value > parse_date(high):
            raise FieldValueError(f"must not be after {high}")

    def parser(self, field):
        slow = super().parser(field)
        if not same_rules(self, DateType):
            return slow
        try:
            low = parse_date(field.opt("min")) if field.opt("min") else None
            high = parse_date(field.opt("max")) if field.opt("max") else None
        except FieldValueError:
            return slow

        def parse(raw):  # a date (not a date-time) within the bounds
            if type(raw) is dt.date and (low is None or raw >= low) and (high is None or raw <= high):
                return raw
            return slow(raw)
        return parse

    def to_json(self, value, field):
        return None if value is None else value.isoformat()

    def json_schema(self, field):
        return {"type": ["string", "null"], "format": "date"}

    def random_value(self, field, rng):
        return dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 700))


class DateTimeType(FieldType):
    key = "datetime"
    label = "Date and time"
    formula_type = "datetime"
    filter_operators = NUMBER_OPERATORS
    options_properties = {}

    def sql_type(self, field):
        return UtcDateTime()

    def parse_value(self, raw, field):
        return parse_datetime(raw)

    def parse_filter_value(self, raw, field):
        if raw is None or raw == "":
            return None
        return parse_datetime(raw)

    def parser(self, field):
        slow = super().parser(field)
        if not same_rules(self, DateTimeType):
            return slow
        utc = dt.timezone.utc

        def parse(raw):  # a date-time already in UTC
            if type(raw) is dt.datetime and raw.tzinfo is utc:
                return raw
            return slow(raw)
        return parse

    def to_json(self, value, field):
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    def json_schema(self, field):
        return {"type": ["string", "null"], "format": "date-time"}

    def to_plain(self, value, field):
        return value

    def random_value(self, field, rng):
        base = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
        return base + dt.timedelta(days=rng.randint(0, 700), minutes=15 * rng.randint(0, 36))
