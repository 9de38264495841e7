"""Metadata as JSON-ready dictionaries (API responses, configuration export)."""

from __future__ import annotations

from .catalog import Snapshot
from .model import FieldDef, TableDef


def field_options_out(snapshot: Snapshot, f: FieldDef) -> dict:
    options = dict(f.options)
    if f.type == "link" and "target_id" in options:
        target = snapshot.tables.get(options["target_id"])
        options["target"] = target.api_name if target else None
    if f.type == "lines" and "table_id" in options:
        child = snapshot.tables.get(options["table_id"])
        options["table"] = child.api_name if child else None
    return options


def describe_field(snapshot: Snapshot, f: FieldDef) -> dict:
    return {
        "id": f.id, "api_name": f.api_name, "label": f.label, "type": f.type,
        "options": field_options_out(snapshot, f), "position": f.position,
        "trashed": not f.live,
    }


def describe_table(snapshot: Snapshot, t: TableDef, include_trashed_fields: bool = False) -> dict:
    display = t.display_field
    fields = t.all_fields if include_trashed_fields else t.fields
    result = {
        "id": t.id, "api_name": t.api_name, "label": t.label, "section": t.section,
        "position": t.position, "display_field": display.api_name if display else None,
        "is_child": t.is_child, "trashed": not t.live,
        "fields": [describe_field(snapshot, f) for f in fields],
    }
    if t.is_child:
        parent, field = snapshot.parent_of(t)
        result["parent"] = {"table": parent.api_name, "field": field.api_name}
    return result
