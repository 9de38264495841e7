"""From the record service's JSON values to typed spreadsheet cells, per field type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

NUMBER_TYPES = ("decimal", "percent")


@dataclass
class ExportColumn:
    key: str           # the record key
    header: str        # what the header row shows
    kind: str          # text, integer, number, date, datetime, boolean
    get: Callable[[dict], Any]
    places: int = 0


def export_columns(registry, fields) -> list[ExportColumn]:
    """Columns for the readable ``fields`` (money gets an amount and a currency column)."""
    columns = [ExportColumn("id", "ID", "integer", lambda r: r.get("id"))]
    for f in fields:
        ftype = registry.get(f.type)
        key = f.api_name
        if f.type == "money":
            places = int(f.opt("places", 2))
            columns.append(ExportColumn(key, f.label, "number", _money_amount(key), places))
            columns.append(ExportColumn(f"{key}.currency", f"{f.label} (currency)", "text", _money_currency(key)))
        elif f.type in NUMBER_TYPES:
            columns.append(ExportColumn(key, f.label, "number", _decimal(key), int(f.opt("places", 2))))
        elif f.type == "integer":
            columns.append(ExportColumn(key, f.label, "integer", _plain(key)))
        elif f.type == "date":
            columns.append(ExportColumn(key, f.label, "date", _date(key)))
        elif f.type == "datetime":
            columns.append(ExportColumn(key, f.label, "datetime", _datetime(key)))
        elif f.type == "boolean":
            columns.append(ExportColumn(key, f.label, "boolean", _plain(key)))
        elif f.type in ("link", "user"):
            columns.append(ExportColumn(key, f.label, "text", _display(key)))
        elif f.type in ("file", "image"):
            columns.append(ExportColumn(key, f.label, "text", _file_name(key)))
        else:
            columns.append(ExportColumn(key, f.label, "text", _shown(key, ftype, f)))
    return columns


def _plain(key):
    return lambda r: r.get(key)


def _decimal(key):
    return lambda r: None if r.get(key) is None else Decimal(r[key])


def _money_amount(key):
    return lambda r: None if r.get(key) is None else Decimal(r[key]["amount"])


def _money_currency(key):
    return lambda r: None if r.get(key) is None else r[key]["currency"]


def _date(key):
    return lambda r: None if r.get(key) is None else dt.date.fromisoformat(r[key])


def _datetime(key):
    def get(r):
        value = r.get(key)
        if value is None:
            return None
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    return get


def _display(key):
    return lambda r: None if r.get(key) is None else r[key]["display"]


def _file_name(key):
    return lambda r: None if r.get(key) is None else r[key].get("name")


def _shown(key, ftype, field):
    def get(r):
        value = r.get(key)
        if value is None:
            return None
        return ftype.display(value, field)
    return get


def text_of(value) -> str:
    """A cell as CSV text: ISO dates, true/false, plain decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
