"""Imports: ``POST /tables/<table>/imports`` (multipart) and ``POST /imports/<id>/revert``.

The upload is a ``file`` part (CSV or XLSX) plus an optional ``options`` part holding
JSON: ``mapping`` (column header -> field, null to skip), ``mode`` (create, update,
upsert), ``key``, ``links`` (link field -> key field of its target), ``encoding``,
``delimiter``, ``header_row``, ``sheet``. ``?dry_run=true`` (or ``"dry_run": true`` in
the options) validates every row and writes nothing. The answer lists every row error
(row, column, value, reason) and a preview of the first rows as they will be stored.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from flask import request
from marshmallow import EXCLUDE, Schema, fields

from cardfile.metamodel.errors import CardfileError, ValidationFailed
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
    handle, path = tempfile.mkstemp(suffix=Path(filename).suffix or ".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            upload.save(out)
        result = run_import(rt, current_actor(), table, path, filename, options)
    finally:
        os.unlink(path)
    if result["error_count"] and not options.dry_run:
        first = result["errors"][0]
        raise ImportFailed(f"{result['error_count']} problem(s) in the file; nothing was imported. "
                           f"First: row {first['row']}, {first['column'] or 'the row'}: {first['reason']}.", result)
    return result, 201 if result["written"] else 200


@bp.get("/imports/<int:import_id>")
def get_import(import_id):
    return get_runtime().records.get_import(current_actor(), import_id)


@bp.post("/imports/<int:import_id>/revert")
def revert_import(import_id):
    force = load_query(ImportQuery(), request.args)["force"]
    return get_runtime().records.revert_import(current_actor(), import_id, force=force)
