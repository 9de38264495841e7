"""Record values as text for pages, through each field type's ``display``.

The record service returns JSON-ready values; a link or user value arrives already
resolved to ``{"id", "display"}``. Templates receive plain strings (Jinja escapes them).
"""

from __future__ import annotations

from typing import Any

from cardfile.metamodel.fieldtypes.base import FieldValueError
from cardfile.metamodel.fieldtypes.registry import FieldTypeRegistry
from cardfile.metamodel.model import FieldDef


def cell_text(registry: FieldTypeRegistry, field: FieldDef, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "display" in value and "id" in value:
        return str(value["display"])
    ftype = registry.get(field.type)
    if field.type == "lines":
        return ftype.display(value, field)
    try:
        parsed = ftype.parse_value(value, field)
    except (FieldValueError, TypeError, ValueError):
        parsed = value
    try:
        return ftype.display(parsed, field)
    except (FieldValueError, TypeError, ValueError, KeyError):
        return str(value)


def list_columns(registry: FieldTypeRegistry, fields: list[FieldDef], limit: int = 8) -> list[FieldDef]:
    """The fields a list page shows: the first ``limit`` that have a value column."""
    return [f for f in fields if registry.get(f.type).has_column][:limit]
