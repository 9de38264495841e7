"""A list's Export menu: ``/t/<table>/export.<csv|xlsx|json>`` with the list's state.

The export is the list the user sees: its filters (read as the page reads them), quick
search, expression, sort and visible columns, every page of it. It streams like the
export API (``reports.exports`` over ``RecordService.iter_rows``, which checks the export
permission and leaves out hidden fields). CSV follows the user's locale the way their
Excel opens it: comma-separated with decimal points in English, ``;`` with decimal commas
where the decimal sign is a comma (Russian). JSON holds the API's records with the
visible columns.
"""

from __future__ import annotations

import dataclasses
import os

from babel import numbers
from flask import Response, abort, g, request

from cardfile.metamodel.errors import BadQuery
from cardfile.platform.app import scratch
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.exports import FORMATS, MEDIA_TYPES, lines_csv, list_csv, list_json, list_xlsx

from .inputs import locale
from .lists import _state, list_query
from .views import bp


def _visible(stream, columns: list[str]):
    """The stream with only the list's visible columns (in the list's order)."""
    by_name = {f.api_name: f for f in stream.fields}
    fields = [by_name[c] for c in columns if c in by_name] or list(stream.fields)
    keep = {"id", *(f.api_name for f in fields)}

    def batches():
        for batch in stream.batches():
            yield [{k: v for k, v in record.items() if k in keep} for record in batch]
    return dataclasses.replace(stream, fields=fields, _open=batches)


FILE_CHUNK = 256 * 1024


def attachment(response: Response, filename: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def file_chunks(path: str):
    """Stream a temporary file, then delete it."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _filename(table, fmt: str) -> str:
    return f"{table.label or table.api_name}.{fmt}"


@bp.get("/t/<table>/export.<fmt>")
def table_export(table, fmt):
    if fmt not in FORMATS:
        abort(404)
    rt = get_runtime()
    snap = rt.schema.snapshot()
    tdef = snap.table(table)
    state = _state(tdef, rt.registry)
    q, _read, problems = list_query(rt, snap, tdef, state)
    if problems:  # the page leaves such a filter out and says why; an export would hold too much
        raise BadQuery(next(iter(problems.values())), {"filters": list(problems.values())})
    lines = request.args.get("lines")
    if lines is not None and fmt != "csv":
        abort(404)
    stream = rt.records.iter_rows(g.user, tdef.api_name, q, action="export")
    comma = numbers.get_decimal_symbol(locale()) == ","
    if lines is not None:  # the second file of a CSV export: the line items, by Record ID
        body = lines_csv(rt.registry, stream, lines, delimiter=";" if comma else ",", decimal="," if comma else ".")
        lines_field = tdef.field(lines)
        return attachment(Response(body, mimetype=MEDIA_TYPES["csv"]),
                          f"{tdef.label or tdef.api_name} - {lines_field.label if lines_field else lines}.csv")
    stream = _visible(stream, state["columns"])
    name = _filename(tdef, fmt)
    if fmt == "csv":
        body = list_csv(rt.registry, stream, delimiter=";" if comma else ",", decimal="," if comma else ".")
        return attachment(Response(body, mimetype=MEDIA_TYPES["csv"]), name)
    if fmt == "json":
        return attachment(Response(list_json(stream), mimetype=MEDIA_TYPES["json"]), name)
    handle, path = scratch.new_file(".xlsx")
    os.close(handle)
    try:
        list_xlsx(rt.registry, stream, path, title=tdef.label)
    except BaseException:
        os.unlink(path)
        raise
    return attachment(Response(file_chunks(path), mimetype=MEDIA_TYPES["xlsx"]), name)
