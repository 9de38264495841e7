"""Values as a document shows them, in the template's language (Babel, no Flask).

``Formatter(language)`` turns the record service's JSON values into text and into plain
Python values: ``text(field, value)`` and ``raw(field, value)``; ``money``, ``number`` and
``date`` are the helpers templates call. Choices show their labels, yes/no fields the
language's words, dates the long form ("3 December 2026", "3 декабря 2026 г.").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError, dates, numbers

from cardfile.formula.rounding import quantize
from cardfile.metamodel.model import FieldDef

YES_NO = {"en": ("Yes", "No"), "ru": ("Да", "Нет"), "uk": ("Так", "Ні"), "ro": ("Da", "Nu"), "hy": ("Այո", "Ոչ")}
DATE_STYLES = ("short", "medium", "long", "full")


def decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def as_date(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            if "T" in value:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def result_kind(field: FieldDef) -> str:
    """The field type a value is formatted as (a formula by its result)."""
    if field.type != "formula":
        return field.type
    kind = (field.options.get("result") or {}).get("kind")
    return {"NUMBER": "decimal", "MONEY": "money", "BOOL": "boolean", "DATE": "date",
            "DATETIME": "datetime"}.get(kind, "text")


class Formatter:
    def __init__(self, language: str = "en"):
        self.language = (language or "en").split("-")[0].split("_")[0].lower()
        try:
            self.locale = Locale.parse(language.replace("-", "_") if language else "en")
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse("en")

    # --- helpers templates call ------------------------------------------------------------
    def money(self, amount, currency: str | None = None, symbol: bool = True) -> str:
        value = decimal(amount)
        if value is None:
            return ""
        if not currency:
            return self.number(value, 2)
        if not symbol:
            return f"{self.number(value, 2)} {currency}"
        # Babel would round half to even: round half away from zero first
        value = quantize(value, numbers.get_currency_precision(currency))
        return numbers.format_currency(value, currency, locale=self.locale)

    def number(self, value, places: int | None = None) -> str:
        number = decimal(value)
        if number is None:
            return ""
        if places is None:
            return numbers.format_decimal(number, locale=self.locale, decimal_quantization=False)
        places = max(0, min(int(places), 10))
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return numbers.format_decimal(quantize(number, places), format=pattern, locale=self.locale)

    def date(self, value, style: str = "long") -> str:
        moment = as_date(value)
        if moment is None:
            return "" if value in (None, "") else str(value)
        style = style or "long"
        if isinstance(moment, dt.datetime):
            if style in DATE_STYLES:
                return dates.format_datetime(moment, style, tzinfo=dt.timezone.utc, locale=self.locale)
            return dates.format_datetime(moment, style[:60], tzinfo=dt.timezone.utc, locale=self.locale)
        return dates.format_date(moment, style if style in DATE_STYLES else style[:60], locale=self.locale)

    def yes_no(self, value) -> str:
        yes, no = YES_NO.get(self.language, YES_NO["en"])
        return yes if value else no

    # --- record values ---------------------------------------------------------------------
    def text(self, field: FieldDef, value: Any) -> str:
        if value is None or value == "" or value == []:
            return ""
        kind = result_kind(field)
        if isinstance(value, dict) and set(value) == {"error"}:
            return f"#ERROR: {value['error']}"
        if kind in ("integer", "decimal"):
            places = field.options.get("places") if kind == "decimal" else 0
            return self.number(value, places)
        if kind == "percent":
            return f"{self.number(value)} %"
        if kind == "money":
            if isinstance(value, dict):
                return self.money(value.get("amount"), value.get("currency"))
            return self.money(value, (field.options.get("result") or {}).get("currency"))
        if kind == "boolean":
            return self.yes_no(value)
        if kind in ("date", "datetime"):
            return self.date(value, "long")
        if kind in ("choice", "multi_choice"):
            labels = {c["value"]: c.get("label") or c["value"] for c in field.options.get("choices", [])}
            items = value if isinstance(value, list) else [value]
            return ", ".join(str(labels.get(v, v)) for v in items)
        if isinstance(value, dict):
            if "display" in value:
                return str(value["display"])
            if "name" in value:
                return str(value["name"])
        return str(value)

    def raw(self, field: FieldDef, value: Any) -> Any:
        """A plain Python value: Decimal for numbers and money amounts, date, bool, text."""
        if value is None:
            return None
        kind = result_kind(field)
        if kind in ("integer", "decimal", "percent"):
            number = decimal(value)
            return int(number) if kind == "integer" and number is not None else number
        if kind == "money":
            return decimal(value.get("amount") if isinstance(value, dict) else value)
        if kind in ("date", "datetime"):
            return as_date(value)
        if isinstance(value, dict) and "id" in value:
            return value["id"]
        return value

    @staticmethod
    def currency(field: FieldDef, value: Any) -> str | None:
        if isinstance(value, dict) and "currency" in value:
            return value["currency"]
        if field.type == "money":
            return field.options.get("currency")
        return (field.options.get("result") or {}).get("currency")
