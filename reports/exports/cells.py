"""From the record service's JSON values to typed spreadsheet cells, per field type.

The columns are made so that the file imports back as it was (docs/import-export.md):

* money: the amount, and ``<label> (currency)`` with its ISO code;
* links and users: the display value, and ``<label> (id)`` with the id (an import takes the
  id when it is there);
* formula fields: as their result type (a money total is an amount and a currency), an
  evaluation error as ``#ERROR: …`` text;
* line items: a sheet (XLSX) or a file (CSV) of their own, keyed by ``Record ID``;
  :func:`line_columns` gives its columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

NUMBER_TYPES = ("decimal", "percent")
ID_SUFFIX = " (id)"
CURRENCY_SUFFIX = " (currency)"
RECORD_ID = "Record ID"


@dataclass
class ExportColumn:
    key: str           # the record key
    header: str        # what the header row shows
    kind: str          # text, integer, number, date, datetime, boolean
    get: Callable[[dict], Any]
    places: int = 0
    currency: Callable[[dict], str | None] | None = None  # money: the code, for the number format


def export_columns(registry, fields) -> list[ExportColumn]:
    """Columns for the readable ``fields`` of a record (the id first)."""
    columns = [ExportColumn("id", "ID", "integer", lambda r: r.get("id"))]
    for f in fields:
        columns += field_columns(registry, f)
    return columns


def line_columns(registry, fields) -> list[ExportColumn]:
    """Columns of a line-item sheet or file: the record each line belongs to, then its fields."""
    columns = [ExportColumn("parent_id", RECORD_ID, "integer", lambda r: r.get("parent_id"))]
    for f in fields:
        columns += field_columns(registry, f)
    return columns


def field_columns(registry, f) -> list[ExportColumn]:
    ftype = registry.get(f.type)
    key = f.api_name
    if f.type == "formula":
        inner_type, inner = ftype.delegate(f)
        columns = _typed_columns(registry, inner_type.key, inner, key, f.label, inner_type)
        first = columns[0]
        getter = first.get
        first.get = lambda r: _error_text(r.get(key)) if _is_error(r.get(key)) else getter(r)
        for column in columns[1:]:
            rest = column.get
            column.get = (lambda g: lambda r: None if _is_error(r.get(key)) else g(r))(rest)
        return columns
    return _typed_columns(registry, f.type, f, key, f.label, ftype)


def _typed_columns(registry, type_key: str, f, key: str, label: str, ftype) -> list[ExportColumn]:
    if type_key == "money":
        return [ExportColumn(key, label, "number", _money_amount(key), int(f.opt("places", 2)), _money_currency(key)),
                ExportColumn(f"{key}.currency", label + CURRENCY_SUFFIX, "text", _money_currency(key))]
    if type_key in NUMBER_TYPES:
        return [ExportColumn(key, label, "number", _decimal(key), int(f.opt("places", 2)))]
    if type_key == "integer":
        return [ExportColumn(key, label, "integer", _plain(key))]
    if type_key == "date":
        return [ExportColumn(key, label, "date", _date(key))]
    if type_key == "datetime":
        return [ExportColumn(key, label, "datetime", _datetime(key))]
    if type_key == "boolean":
        return [ExportColumn(key, label, "boolean", _plain(key))]
    if type_key in ("link", "user"):
        return [ExportColumn(key, label, "text", _display(key)),
                ExportColumn(f"{key}.id", label + ID_SUFFIX, "integer", _link_id(key))]
    if type_key in ("file", "image"):
        return [ExportColumn(key, label, "text", _file_name(key))]
    return [ExportColumn(key, label, "text", _shown(key, ftype, f))]


def _is_error(value) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


def _error_text(value) -> str:
    return f"#ERROR: {value['error']}"


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


def _link_id(key):
    return lambda r: None if r.get(key) is None else r[key]["id"]


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
