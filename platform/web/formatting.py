"""Record values as text for the user's locale: numbers, money, percent and dates via Babel.

``format_value(registry, field, value)`` takes a value as the record service returns it
(JSON-ready) and gives the text a list cell or a read-only card field shows. Types
without a locale format fall back to ``cells.cell_text`` (the type's own ``display``).
Jinja escapes the result; nothing here returns markup.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import numbers
from flask_babel import format_date, format_datetime, get_locale, gettext

from cardfile.metamodel.fieldtypes.registry import FieldTypeRegistry
from cardfile.metamodel.model import FieldDef

from .cells import cell_text

NUMBER_TYPES = ("integer", "decimal")


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _date(value):
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return value


def _datetime(value):
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value


def format_number(value) -> str:
    number = _decimal(value)
    return "" if number is None else numbers.format_decimal(number, locale=get_locale(), decimal_quantization=False)


def format_money(value) -> str:
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return ""
    amount = _decimal(value["amount"])
    if amount is None:
        return str(value["amount"])
    return numbers.format_currency(amount, value.get("currency") or "EUR", locale=get_locale(),
                                   decimal_quantization=False)


def format_value(registry: FieldTypeRegistry, field: FieldDef, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    kind = field.type
    if kind == "formula":
        if isinstance(value, dict) and set(value) == {"error"}:
            return "#" + gettext("ERROR") + ": " + str(value["error"])
        result = (field.options.get("result") or {}).get("kind")
        kind = {"NUMBER": "decimal", "MONEY": "money", "BOOL": "boolean", "DATE": "date",
                "DATETIME": "datetime"}.get(result, "text")
        if kind == "text":  # labelled values (the formula's choices) show their label
            return cell_text(registry, field, value) if field.options.get("choices") else str(value)
    if kind in NUMBER_TYPES:
        return format_number(value)
    if kind == "percent":
        text = format_number(value)
        return gettext("%(number)s %%", number=text) if text else ""
    if kind == "money":
        return format_money(value)
    if kind == "boolean":
        return gettext("Yes") if value else gettext("No")
    if kind == "date":
        day = _date(value)
        return format_date(day, "medium") if day else str(value)
    if kind == "datetime":
        moment = _datetime(value)
        return format_datetime(moment, "medium") if moment else str(value)
    if kind == "lines":
        return gettext("%(num)d lines", num=len(value)) if len(value) != 1 else gettext("1 line")
    return cell_text(registry, field, value)


def format_timestamp(value) -> str:
    moment = _datetime(value)
    return format_datetime(moment, "medium") if moment else ""
