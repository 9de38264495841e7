"""What a save would compute, without saving: the live card's question to the server.

``POST /api/v1/tables/{table}/records/preview`` takes a new record's values (as a create
does) and ``POST …/records/{record_id}/preview`` a record's changes (as a PATCH does, no
version needed: nothing is written). Both answer **200** with the record as it would be
saved (defaults filled, formula fields and line items computed), the fields that got a
default, the "show only when" results, every problem by field, and the rules a save would
refuse with (``RecordService.preview``). A missing right, table or record is the usual
403/404.
"""

from __future__ import annotations

from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .v1 import bp


def _id(raw: str):
    return int(raw) if raw.isdigit() else raw


@bp.post("/tables/<table>/records/preview")
def preview_new_record(table):
    return get_runtime().records.preview(current_actor(), table, json_body())


@bp.post("/tables/<table>/records/<record_id>/preview")
def preview_record_changes(table, record_id):
    return get_runtime().records.preview(current_actor(), table, json_body(), record_id=_id(record_id))


PREVIEW_ANSWER = {"type": "object", "required": ["values", "defaults", "visible", "errors", "rules"], "properties": {
    "values": {"type": "object", "description": "The readable fields as the save would store them; "
               "line items as a list of lines, each with `_defaults`."},
    "defaults": {"type": "array", "items": {"type": "string"},
                 "description": "Fields a default or default formula filled in."},
    "visible": {"type": "object", "additionalProperties": {"type": "boolean"},
                "description": "Each field with a \"show only when\" condition: whether it shows."},
    "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
               "description": "Problems by field; a line item's as lines[0].price (lines counted from 0)."},
    "rules": {"type": "array", "items": {"type": "object", "properties": {
        "message": {"type": "string"}, "rule": {"type": "integer"}, "line": {"type": "object"}}},
        "description": "The table's rules the values break (the save would refuse them)."}}}


def openapi_paths(spec, table, names, record_id_param) -> None:
    """Document both routes for ``table`` (called from ``openapi._record_paths``)."""
    from .openapi import READ_ERRORS, errors, ok, operation, ref

    base = f"/tables/{table.api_name}/records"
    key = table.api_name
    spec.path(path=f"{base}/preview", operations={"post": operation(
        f"preview_new_{key}", key, f"What a new record of {table.label} would be, without saving it",
        {**ok("The computed record and its problems (200 either way).", PREVIEW_ANSWER),
         **errors(*READ_ERRORS, 413)}, body=ref(names(table, "Input")),
        description="Defaults, formula fields, line items, visibility and rules computed by the "
                    "server from unsaved values; nothing is written (see docs/ui.md).")})
    spec.path(path=f"{base}/{{record_id}}/preview", parameters=[record_id_param], operations={"post": operation(
        f"preview_changes_{key}", key, f"What changes to a record of {table.label} would give, without saving",
        {**ok("The computed record and its problems (200 either way).", PREVIEW_ANSWER),
         **errors(*READ_ERRORS, 413)}, body=ref(names(table, "Patch")))})
