"""Imports: ``POST /tables/<table>/imports`` (multipart) and ``POST /imports/<id>/revert``.

The upload is a ``file`` part (CSV, XLSX, or a JSON export) plus an optional ``options``
part holding JSON: ``mapping`` (column header -> field, null to skip; columns it leaves
out are auto-matched), ``mode`` (create, update, upsert), ``key``, ``links`` (link field
-> key field of its target), ``encoding``, ``delimiter``, ``header_row``, ``sheet``,
``format``, ``keep_ids``, ``locale`` (reads currency signs). A part ``lines.<lines field>`` holds that field's line items
(the CSV export's second file, keyed by ``Record ID``); an XLSX carries them on its own
sheets. ``?dry_run=true`` (or ``"dry_run": true`` in the options) validates every row and
writes nothing. The answer lists every row error (row, column, value, reason; ``sheet``
for a line item) and a preview of the first rows as they will be stored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import request
from marshmallow import EXCLUDE, Schema, fields

from cardfile.metamodel.errors import CardfileError, ValidationFailed
from cardfile.platform.app import scratch
from cardfile.platform.app.factory import MULTIPART_OVERHEAD, get_runtime
from cardfile.reports.imports import ImportOptions, run_import

from .auth import current_actor
from .errors import ApiError
from .schemas import load_query
from .v1 import bp



class ImportFailed(CardfileError):
    """A (non dry-run) import found problems; ``details`` is the whole import report."""

    code = "IMPORT_FAILED"


class ImportQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    dry_run = fields.Boolean(load_default=None)
    force = fields.Boolean(load_default=False)


@bp.post("/tables/<table>/imports")
def import_file(table):
    rt = get_runtime()
    request.max_content_length = rt.settings.max_upload_bytes + MULTIPART_OVERHEAD
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": ["send the CSV or XLSX file as a multipart/form-data part named 'file'"]})
    raw_options = request.form.get("options") or "{}"
    try:
        data = json.loads(raw_options)
    except json.JSONDecodeError as exc:
        raise ApiError("BAD_JSON", f"The options part is not valid JSON: {exc.msg}.") from None
    if not isinstance(data, dict):
        raise ApiError("BAD_JSON", "The options part must be a JSON object.")
    dry_run = load_query(ImportQuery(), request.args)["dry_run"]
    if dry_run is not None:
        data["dry_run"] = dry_run
    options = ImportOptions.from_dict(data)
    filename = Path(upload.filename or "upload.csv").name
    saved: list[str] = []
    try:
        path = _saved(upload, filename, saved)
        lines = {}
        for part, item in request.files.items():
            if part.startswith("lines."):
                lines[part[len("lines."):]] = _saved(item, Path(item.filename or "lines.csv").name, saved)
        result = run_import(rt, current_actor(), table, path, filename, options, lines_files=lines)
    finally:
        for name in saved:
            os.unlink(name)
    if result["error_count"] and not options.dry_run:
        first = result["errors"][0]
        raise ImportFailed(f"{result['error_count']} problem(s) in the file; nothing was imported. "
                           f"First: row {first['row']}, {first['column'] or 'the row'}: {first['reason']}.", result)
    return result, 201 if result["written"] else 200


def _saved(upload, filename: str, saved: list) -> str:
    handle, path = scratch.new_file(Path(filename).suffix or ".csv")
    saved.append(path)
    with os.fdopen(handle, "wb") as out:
        upload.save(out)
    return path


@bp.get("/imports/<int:import_id>")
def get_import(import_id):
    return get_runtime().records.get_import(current_actor(), import_id)


@bp.post("/imports/<int:import_id>/revert")
def revert_import(import_id):
    force = load_query(ImportQuery(), request.args)["force"]
    return get_runtime().records.revert_import(current_actor(), import_id, force=force)


def openapi_paths(spec) -> None:
    """Document these routes (called by ``openapi.build_spec``)."""
    from .openapi import READ_ERRORS, TABLE, WRITE_ERRORS, errors, ok, operation, path_param

    tag = "imports"
    row_error = {"type": "object", "properties": {
        "row": {"type": "integer", "description": "Line in the file (1 = the first line)."},
        "sheet": {"type": "string", "description": "For a line item: the sheet or file it is in."},
        "column": {"type": ["string", "null"]}, "field": {"type": ["string", "null"]},
        "value": {}, "reason": {"type": "string"}}}
    spec.components.schema("ImportReport", component={
        "type": "object", "required": ["table", "dry_run", "written", "rows", "error_count", "errors"],
        "properties": {
            "table": {"type": "string"}, "dry_run": {"type": "boolean"}, "written": {"type": "boolean"},
            "import_id": {"type": ["integer", "null"], "description": "Revert with POST /imports/{id}/revert."},
            "mode": {"enum": ["create", "update", "upsert"]}, "key": {"type": ["string", "null"]},
            "source": {"type": "object", "description": "Detected format, encoding, delimiter, header row."},
            "mapping": {"type": ["object", "null"], "additionalProperties": {"type": ["string", "null"]}},
            "lines": {"type": "object", "description": "Lines field -> where its line items came from, "
                                                       "their column mapping and row count."},
            "rows": {"type": "integer"}, "created": {"type": "integer"}, "updated": {"type": "integer"},
            "error_count": {"type": "integer"}, "errors": {"type": "array", "items": row_error},
            "preview": {"type": "array", "items": {"type": "object"},
                        "description": "The first rows as they will be stored."}},
        "description": "An import that found problems (not a dry run) is refused with 422 IMPORT_FAILED; "
                       "details hold this report and nothing is written."})
    options = {"type": "object", "properties": {
        "mapping": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
                    "description": "Column header -> field API name (null skips the column); auto-matched "
                                   "by label or API name when absent."},
        "mode": {"enum": ["create", "update", "upsert"], "default": "create"},
        "key": {"type": "string", "description": "The field that identifies the record to update."},
        "links": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "Link field -> the key field of its target (default: its display field)."},
        "dry_run": {"type": "boolean"}, "encoding": {"type": "string"}, "delimiter": {"type": "string"},
        "header_row": {"type": "integer"}, "sheet": {"type": "string"}, "format": {"enum": ["csv", "xlsx", "json"]},
        "keep_ids": {"type": "boolean", "description": "Create the records with the IDs of the file's ID column "
                                                       "(mode create; restoring a table keeps links to it)."},
        "locale": {"type": "string", "description": "Reads currency signs as written there ($ is CAD in en_CA, "
                                                    "lei is MDL in ro_MD); the field's own currency comes first."}}}
    import_ref = {"$ref": "#/components/schemas/ImportReport"}
    journal = {"type": "object", "properties": {
        "id": {"type": "integer"}, "table": {"type": "string"}, "table_id": {"type": "integer"},
        "user_id": {"type": ["integer", "null"]}, "source": {"type": ["string", "null"]},
        "mode": {"type": "string"}, "created": {"type": "integer"}, "updated": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
        "reverted_at": {"type": ["string", "null"], "format": "date-time"}}}
    import_id = path_param("import_id", "The import's id.", {"type": "integer"})
    dry_run = {"name": "dry_run", "in": "query", "required": False, "schema": {"type": "boolean"},
               "description": "Validate every row and write nothing."}
    spec.path(path="/tables/{table}/imports", parameters=[TABLE], operations={"post": {
        "operationId": "import_file", "tags": [tag], "summary": "Import a CSV or XLSX file, all or nothing",
        "parameters": [dry_run],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "options": {**options, "description": "JSON text."}},
            "patternProperties": {"^lines\\.[a-z][a-z0-9_]*$": {
                "type": "string", "format": "binary",
                "description": "lines.<lines field>: a CSV or XLSX of that field's line items, keyed by "
                               "'Record ID' (the ID column of the records' file)."}}}}}},
        "responses": {**ok("Written (created or updated records).", import_ref, 201),
                      **ok("A dry run, or nothing to write.", import_ref), **errors(*WRITE_ERRORS)}}})
    spec.path(path="/imports/{import_id}", parameters=[import_id], operations={
        "get": operation("get_import", tag, "One finished import", {
            **ok("The import's journal entry.", journal), **errors(*READ_ERRORS)})})
    spec.path(path="/imports/{import_id}/revert", parameters=[import_id], operations={
        "post": operation("revert_import", tag, "Revert an import: trash what it created, restore what it updated", {
            **ok("What was undone.", {"type": "object", "properties": {
                "import": {"type": "integer"}, "table": {"type": "string"},
                "trashed": {"type": "integer"}, "restored": {"type": "integer"}}}),
            **errors(*READ_ERRORS, 409, 422)},
            params=[{"name": "force", "in": "query", "required": False, "schema": {"type": "boolean"},
                     "description": "Revert even when records were changed since."}])})
