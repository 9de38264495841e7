"""``GET /tables/<table>/export?format=csv|xlsx|json``: a list with its filter and sort.

Same query parameters as the records list (``filter``, ``search``, ``sort``; paging is
ignored: every matching row is exported). Only readable fields appear. The body is
streamed: CSV and JSON batch by batch, XLSX from a constant-memory temporary file.

Line items: an XLSX has a sheet per lines field, JSON holds them inside their records, and
``format=csv&lines=<lines field>`` gives the CSV of that field's line items (keyed by
``Record ID``) for the same records — the second file of a CSV export.
"""

from __future__ import annotations

import os

from flask import Response, request

from cardfile.metamodel.errors import BadQuery
from cardfile.platform.app import scratch
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.exports import FORMATS, MEDIA_TYPES, lines_csv, list_csv, list_json, list_xlsx

from .auth import current_actor
from .report_routes import attachment, file_chunks
from .schemas import list_query
from .v1 import bp


@bp.get("/tables/<table>/export")
def export_list(table):
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise BadQuery(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}.",
                       {"format": fmt, "allowed": list(FORMATS)})
    args = request.args.copy()
    args.pop("page", None)
    args.pop("per_page", None)
    lines = args.pop("lines", None)
    if lines is not None and fmt != "csv":
        raise BadQuery("lines= gives the line items as CSV (format=csv); XLSX and JSON hold them already.",
                       {"lines": lines, "format": fmt})
    rt = get_runtime()
    stream = rt.records.iter_rows(current_actor(), table, list_query(args), action="export")
    filename = f"{table}.{fmt}"
    if fmt == "csv" and lines is not None:
        body = lines_csv(rt.registry, stream, lines)
        return attachment(Response(body, mimetype=MEDIA_TYPES["csv"]), f"{table}.{lines}.csv")
    if fmt == "csv":
        return attachment(Response(list_csv(rt.registry, stream), mimetype=MEDIA_TYPES["csv"]), filename)
    if fmt == "json":
        return attachment(Response(list_json(stream, with_lines=True), mimetype=MEDIA_TYPES["json"]), filename)
    handle, path = scratch.new_file(".xlsx")
    os.close(handle)
    try:
        list_xlsx(rt.registry, stream, path, title=stream.table.label)
    except BaseException:
        os.unlink(path)
        raise
    return attachment(Response(file_chunks(path), mimetype=MEDIA_TYPES["xlsx"]), filename)


def openapi_paths(spec) -> None:
    """Document this route (called by ``openapi.build_spec``), and the trash routes of
    ``record_routes`` (emptying the trash: the other end of a table's data life)."""
    from .record_routes import openapi_paths as trash_paths

    trash_paths(spec)
    from .openapi import READ_ERRORS, TABLE, errors
    from .schemas import RecordListQuery

    spec.path(path="/tables/{table}/export", parameters=[TABLE], operations={"get": {
        "operationId": "export_list", "tags": ["exports"], "summary": "Download a list as CSV, XLSX or JSON",
        "description": "The records list's filter, search, where and sort apply; paging is ignored. Only "
                       "readable fields appear; needs the table's export permission. Streamed. Money has a "
                       "'(currency)' column, links and users an '(id)' column; line items are a sheet per "
                       "lines field (XLSX), inside each record (JSON), or with lines= a CSV of their own "
                       "keyed by 'Record ID'. The file imports back as it was (POST /tables/{table}/imports).",
        "parameters": [{"in": "query", "schema": RecordListQuery},
                       {"name": "format", "in": "query", "required": False,
                        "schema": {"enum": list(FORMATS), "default": "csv"}},
                       {"name": "lines", "in": "query", "required": False, "schema": {"type": "string"},
                        "description": "With format=csv: the line items of this lines field instead of "
                                       "the records."}],
        "responses": {"200": {"description": "The file (an attachment).", "content": {
            MEDIA_TYPES[f]: {"schema": {"type": "string", "format": "binary"}} for f in FORMATS}},
            **errors(*READ_ERRORS)}}})
