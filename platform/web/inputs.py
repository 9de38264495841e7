"""What people type into a card, read in their own locale (Babel), before the record service.

The browser sends numbers, money, percents and dates as the text the user typed
(``1 234,56`` and ``31.12.2026`` in Russian, ``1,234.56`` and ``12/31/2026`` in English;
ISO dates and a plain ``1234.56`` are read in every language). ``read_values`` turns that
text into the record service's canonical JSON (``"1234.56"``, ``"2026-12-31"``) and
collects a message per field whose text cannot be read, so the form can show it next to
the field while the typed text stays where it is. Impossible dates (02/31/2027) are
errors, never an empty value. ``edit_text`` gives the text an input starts with.

The record service and the API keep their canonical formats: this module belongs to the
web form layer only.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from babel import Locale, dates, numbers
from flask_babel import get_locale, gettext as _

#: Field types whose inputs are text read here.
NUMBER_TYPES = ("integer", "decimal", "percent", "money")
DATE_TYPES = ("date",)
LOCALE_TYPES = NUMBER_TYPES + DATE_TYPES
CURRENCY_SIGNS = "€$£₽₴¥₸₼₾₺֏"
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_DATE_PARTS = re.compile(r"\d+")


class InputError(ValueError):
    """The text of one input cannot be read; the message is for the user."""


def locale() -> Locale:
    return get_locale() or Locale.parse("en")


# --- numbers -----------------------------------------------------------------------------
def number_example(loc: Locale) -> str:
    return numbers.format_decimal(Decimal("1234.56"), locale=loc)


def parse_number(text: str, loc: Locale, *, whole: bool = False, currency: str | None = None,
                 percent: bool = False) -> Decimal:
    """``text`` as a number in ``loc``: group separators (spaces of every kind, or the
    locale's own), the locale's decimal sign (a point is read too where it is not the
    group sign), a minus sign of any kind, a currency sign or code, a percent sign."""
    raw = text
    cleaned = _SPACES.sub("", str(text)).replace("\u2212", "-").replace("\u2013", "-")
    if currency:
        cleaned = re.sub(re.escape(currency) + "$", "", cleaned, flags=re.IGNORECASE)
        cleaned = cleaned.strip(CURRENCY_SIGNS)
        symbol = numbers.get_currency_symbol(currency, locale=loc)
        if symbol and not symbol.isalpha():
            cleaned = cleaned.replace(symbol, "")
    if percent:
        cleaned = cleaned.rstrip("%")
    if not cleaned:
        raise InputError(_("Type a number, e.g. %(example)s.", example=number_example(loc)))
    try:
        value = numbers.parse_decimal(cleaned, locale=loc, strict=True)
    except numbers.NumberFormatError as exc:
        suggestions = [s for s in (exc.suggestions or []) if s][:2]
        if len(suggestions) == 2:
            raise InputError(_("“%(text)s” cannot be read as a number here: did you mean %(first)s or %(second)s?",
                               text=raw, first=suggestions[0], second=suggestions[1])) from None
        if suggestions:
            raise InputError(_("“%(text)s” cannot be read as a number here: did you mean %(first)s?",
                               text=raw, first=suggestions[0])) from None
        raise InputError(_("“%(text)s” is not a number; type it like %(example)s.",
                           text=raw, example=number_example(loc))) from None
    if not value.is_finite():
        raise InputError(_("“%(text)s” is not a number; type it like %(example)s.",
                           text=raw, example=number_example(loc)))
    if whole and value != value.to_integral_value():
        raise InputError(_("“%(text)s” is not a whole number.", text=raw))
    return value


def canonical_number(value: Decimal) -> str:
    """A Decimal as the record service reads it (no exponent, a point)."""
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


# --- dates -------------------------------------------------------------------------------
def date_pattern(loc: Locale) -> str:
    """The locale's short date pattern with a four-digit year (``dd.MM.y``, ``M/d/y``)."""
    return re.sub(r"y+", "y", dates.get_date_format("short", locale=loc).pattern)


def date_placeholder(loc: Locale) -> str:
    """What a date input shows when empty: ``dd.mm.yyyy`` in the user's language."""
    pattern = date_pattern(loc)
    words = {"d": _("dd"), "M": _("mm"), "y": _("yyyy")}
    return re.sub(r"d+|M+|y+", lambda m: words[m.group(0)[0]], pattern)


def parse_date(text: str, loc: Locale, today: dt.date | None = None) -> dt.date:
    """``text`` as a date in ``loc``: day, month and year in the locale's order (Babel's
    ``parse_date`` with the short format), ISO ``2026-12-31`` everywhere, and a day and
    month alone for this year. A date that does not exist is an error, never empty."""
    raw = str(text).strip()
    if _ISO_DATE.fullmatch(raw):
        y, m, d = (int(p) for p in raw.split("-"))
        return _make_date(y, m, d, raw)
    parts = _DATE_PARTS.findall(raw)
    if len(parts) not in (2, 3) or re.search(r"[^\s./\-,]", _DATE_PARTS.sub("", raw)):
        example = dates.format_date(dt.date(2026, 12, 31), date_pattern(loc), locale=loc)
        raise InputError(_("“%(text)s” is not a date; type it like %(example)s.", text=raw, example=example))
    order = [k[0] for k in re.findall(r"d+|M+|y+", date_pattern(loc))]
    if len(parts) == 2:  # a day and a month: this year
        values = dict(zip([k for k in order if k != "y"], (int(p) for p in parts)))
        return _make_date((today or dt.date.today()).year, values["M"], values["d"], raw)
    values = dict(zip(order, (int(p) for p in parts)))
    if not 1 <= values["M"] <= 12:
        raise InputError(_("There is no month %(month)s: “%(text)s” is not a date.", month=values["M"], text=raw))
    try:
        return dates.parse_date(raw, locale=loc, format="short")
    except (ValueError, IndexError):
        raise InputError(_("There is no such date: “%(text)s”.", text=raw)) from None


def _make_date(year: int, month: int, day: int, raw: str) -> dt.date:
    if not 1 <= month <= 12:
        raise InputError(_("There is no month %(month)s: “%(text)s” is not a date.", month=month, text=raw))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise InputError(_("There is no such date: “%(text)s”.", text=raw)) from None


# --- one value ---------------------------------------------------------------------------
def read_value(field, raw: Any, loc: Locale) -> Any:
    """One input's value as the record service's JSON; texts of locale types are read."""
    kind = field.type
    if kind == "money":
        if isinstance(raw, dict):
            amount, currency = raw.get("amount"), raw.get("currency") or field.opt("currency", "EUR")
        else:
            amount, currency = raw, field.opt("currency", "EUR")
        if amount is None or (isinstance(amount, str) and not amount.strip()):
            return None
        if not isinstance(amount, str):
            return raw
        value = parse_number(amount, loc, currency=currency)
        return {"amount": canonical_number(value), "currency": currency}
    if kind not in LOCALE_TYPES or not isinstance(raw, str):
        return raw
    if not raw.strip():
        return None
    if kind in DATE_TYPES:
        return parse_date(raw, loc).isoformat()
    return canonical_number(parse_number(raw, loc, whole=kind == "integer", percent=kind == "percent"))


def read_values(snap, table, data: dict, loc: Locale | None = None) -> tuple[dict, dict]:
    """(values for the record service, errors: key -> [message]) of a card's inputs.
    Line items are read cell by cell; their errors are keyed ``lines[2].price``."""
    loc = loc or locale()
    values, errors = {}, {}
    for name, raw in data.items():
        f = table.field(name)
        if f is None:
            values[name] = raw
            continue
        if f.type == "lines" and isinstance(raw, list):
            child = snap.child_table(f)
            lines = []
            for i, line in enumerate(raw):
                if not isinstance(line, dict):
                    lines.append(line)
                    continue
                out = {}
                for col, cell in line.items():
                    cf = child.field(col)
                    try:
                        out[col] = read_value(cf, cell, loc) if cf is not None else cell
                    except InputError as exc:
                        errors[f"{name}[{i}].{col}"] = [str(exc)]
                lines.append(out)
            values[name] = lines
            continue
        try:
            values[name] = read_value(f, raw, loc)
        except InputError as exc:
            errors[name] = [str(exc)]
    return values, errors


# --- text for an input -------------------------------------------------------------------
def edit_text(field, value: Any, loc: Locale | None = None) -> str:
    """The text an input of a locale type starts with (what ``read_value`` reads back)."""
    if value is None or value == "":
        return ""
    loc = loc or locale()
    kind = field.type
    if kind == "money":
        amount = value.get("amount") if isinstance(value, dict) else value
        return _number_text(amount, loc, grouping=True)
    if kind in ("decimal", "percent"):
        return _number_text(value, loc, grouping=True)
    if kind == "integer":
        return _number_text(value, loc, grouping=False)
    if kind in DATE_TYPES:
        day = value if isinstance(value, dt.date) else _iso_date(value)
        return dates.format_date(day, date_pattern(loc), locale=loc) if day else str(value)
    return str(value)


def _number_text(value, loc: Locale, grouping: bool) -> str:
    """Every digit of the value as stored (``"29.50"`` keeps its zero), in ``loc``."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not number.is_finite():
        return str(value)
    places = min(max(-number.as_tuple().exponent, 0), 12)
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * places if places else "")
    return numbers.format_decimal(number, format=pattern, locale=loc)


def _iso_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
