"""The expression language over the API: the check endpoint and the ``where=`` list filter.

``POST /api/v1/tables/{table}/formula/check`` with ``{"expression": "...", "field": "total"}``
answers **200 either way**: ``{"ok": true, "type": {...}, "sql": true, ...}`` or
``{"ok": false, "errors": [{code, message, position, field}]}`` — a wrong expression is
the answer to the question, not a failed request. Only a malformed body is 422 and an
unknown table 404. With ``field`` the expression is checked as that field's formula, so
a cycle through it is reported.

``GET …/records?where=amount > 100 and status == "paid"`` compiles the expression to SQL
(``cardfile.metamodel.formulas.filters``); a wrong one is 422 with the errors' positions.
"""

from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from cardfile.metamodel.formulas.filters import check_expression, where_filter
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .requests import json_body
from .schemas import load_body
from .v1 import bp


class FormulaCheckRequest(Schema):
    expression = fields.String(required=True, validate=validate.Length(max=10000), metadata={
        "description": "The expression to check, as it would be saved."})
    field = fields.String(load_default=None, metadata={
        "description": "Check it as this field's formula (cycles through it are reported)."})


@bp.post("/tables/<table>/formula/check")
def check_formula(table):
    """Check an expression against a table without saving anything."""
    body = load_body(FormulaCheckRequest(), json_body())
    runtime = get_runtime()
    actor = current_actor()
    snap = runtime.schema.snapshot()
    table_def = snap.table(table)
    view = runtime.access.view(actor, snap)
    view.check(table_def, "read")
    if not view.allows(table_def, "design"):  # a reader checks against what they may read
        snap = view.snapshot()
        table_def = snap.tables[table_def.id]
    return check_expression(snap, runtime.registry, table_def, body["expression"], body["field"])


def where_param(args, actor):
    """``ListQuery.where`` for the ``where`` query parameter (None without one)."""
    source = args.get("where")
    if source is None or not source.strip():
        return None
    return where_filter(source, get_runtime().registry, me=actor)


def openapi_paths(spec) -> None:
    """Document the check endpoint (called by ``openapi.build_spec``)."""
    from .openapi import READ_ERRORS, TABLE, errors, operation, ok

    error = {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]},
        "position": {"type": ["object", "null"], "properties": {
            k: {"type": "integer"} for k in ("start", "end", "line", "column")}}}}
    answer = {"type": "object", "required": ["ok"], "properties": {
        "ok": {"type": "boolean"},
        "type": {"type": "object", "description": "The result type: kind, places, currency."},
        "sql": {"type": "boolean", "description": "Whether it compiles to SQL (usable in where=)."},
        "can_fail": {"type": "boolean"},
        "dependencies": {"type": "array", "items": {"type": "string"}},
        "expression": {"type": "string", "description": "The expression as it would be stored: "
                       "field labels in square brackets ([End date]) replaced by API names."},
        "errors": {"type": "array", "items": error}}}
    spec.path(path="/tables/{table}/formula/check", parameters=[TABLE], operations={
        "post": operation(
            "check_formula", "schema", "Check an expression without saving it",
            {**ok("The type, or every error with its position (200 either way).", answer),
             **errors(*READ_ERRORS, 422)},
            body=FormulaCheckRequest,
            description="Answers 200 whether the expression is right or not; see docs/computed-fields.md.")})

