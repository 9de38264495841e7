"""Counters such as ``INV-{YYYY}-{####}``: assigned on create, read-only afterwards.

``{YYYY}``, ``{YY}``, ``{MM}``, ``{DD}`` take the creation date; ``{#…}`` is the number,
zero-padded to the count of ``#``. The sequence restarts whenever the date part of the
pattern changes (a pattern with ``{YYYY}`` numbers each year from 1).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import String

from ..base import EMPTY_OPERATORS, EQUALITY_OPERATORS, TEXT_OPERATORS, FieldValueError
from .text import TextType

TOKEN = re.compile(r"\{(YYYY|YY|MM|DD|#+)\}")


def validate_pattern(pattern: str) -> None:
    numbers = [t for t in TOKEN.findall(pattern) if t.startswith("#")]
    if len(numbers) != 1:
        raise FieldValueError("a counter pattern needs exactly one number placeholder such as {####}")
    leftover = TOKEN.sub("", pattern)
    if "{" in leftover or "}" in leftover:
        raise FieldValueError("unknown placeholder in counter pattern; use {YYYY} {YY} {MM} {DD} {####}")


def period_of(pattern: str, today: dt.date) -> str:
    """The date part of the pattern for ``today``: the counter's sequence key."""
    parts = {"YYYY": f"{today.year:04d}", "YY": f"{today.year % 100:02d}",
             "MM": f"{today.month:02d}", "DD": f"{today.day:02d}"}
    return "-".join(parts[t] for t in TOKEN.findall(pattern) if not t.startswith("#"))


def render(pattern: str, number: int, today: dt.date) -> str:
    parts = {"YYYY": f"{today.year:04d}", "YY": f"{today.year % 100:02d}",
             "MM": f"{today.month:02d}", "DD": f"{today.day:02d}"}

    def sub(match):
        token = match.group(1)
        return str(number).zfill(len(token)) if token.startswith("#") else parts[token]

    return TOKEN.sub(sub, pattern)


class CounterType(TextType):
    key = "counter"
    label = "Counter"
    read_only = True
    filter_operators = EQUALITY_OPERATORS + TEXT_OPERATORS + EMPTY_OPERATORS
    options_properties = {"pattern": {"type": "string", "minLength": 1, "maxLength": 60}}
    required_options = ("pattern",)

    def normalize_options(self, options):
        options = dict(options)
        validate_pattern(options.get("pattern") or "")
        return options

    def sql_type(self, field):
        return String(80)

    def check(self, value, field):
        if len(value) > 80:
            raise FieldValueError("a counter value has at most 80 characters")

    def random_value(self, field, rng):
        return None
