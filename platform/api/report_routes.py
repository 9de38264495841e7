"""Saved pivot reports: CRUD, run, preview (unsaved), drill-down and export.

The browser designer uses these: ``POST /reports/preview`` for the live preview,
``POST /reports/drill`` (or ``/reports/<id>/drill``) to turn a clicked cell into the
records list filter, and ``GET /reports/<id>/export?format=xlsx|csv`` for downloads.
"""

from __future__ import annotations

import os
import tempfile

from flask import Response, jsonify, request, url_for

from cardfile.metamodel.errors import BadQuery
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.exports import MEDIA_TYPES, report_csv, report_xlsx
from cardfile.reports.service import ReportService

from .auth import current_actor
from .requests import json_body
from .v1 import bp

REPORT_FORMATS = ("xlsx", "csv")
FILE_CHUNK = 64 * 1024


def _reports() -> ReportService:
    return ReportService(get_runtime())


@bp.get("/reports")
def list_reports():
    return {"reports": _reports().list(current_actor(), request.args.get("table") or None)}


@bp.post("/reports")
def create_report():
    report = _reports().create(current_actor(), json_body())
    response = jsonify(report)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_report", report_id=report["id"])
    return response


@bp.get("/reports/<report_id>")
def get_report(report_id):
    return _reports().get(current_actor(), report_id)


@bp.patch("/reports/<report_id>")
def update_report(report_id):
    return _reports().update(current_actor(), report_id, json_body())


@bp.delete("/reports/<report_id>")
def delete_report(report_id):
    return _reports().delete(current_actor(), report_id)


@bp.get("/reports/<report_id>/run")
def run_report(report_id):
    reports = _reports()
    report = reports.get(current_actor(), report_id)
    return {"report": report, "result": reports.run(current_actor(), report_id).to_json()}


@bp.post("/reports/preview")
def preview_report():
    """Body: ``{"table": …, "definition": {…}}``; nothing is saved."""
    body = json_body()
    return {"result": _reports().preview(current_actor(), _table(body), body.get("definition")).to_json()}


@bp.post("/reports/drill")
def drill_definition():
    """Body: ``{"table", "definition", "row_keys": [...], "column_keys": [...]}`` -> the list filter."""
    body = json_body()
    return _reports().drill(current_actor(), _table(body), body.get("definition"),
                            _keys(body, "row_keys"), _keys(body, "column_keys"))


@bp.post("/reports/<report_id>/drill")
def drill_report(report_id):
    body = json_body()
    reports = _reports()
    report = reports.get(current_actor(), report_id)
    return reports.drill(current_actor(), report["table"], report["definition"],
                         _keys(body, "row_keys"), _keys(body, "column_keys"))


@bp.get("/reports/<report_id>/export")
def export_report(report_id):
    fmt = request.args.get("format", "xlsx")
    if fmt not in REPORT_FORMATS:
        raise BadQuery(f"format must be one of {', '.join(REPORT_FORMATS)}; got {fmt!r}.",
                       {"format": fmt, "allowed": list(REPORT_FORMATS)})
    actor = current_actor()
    reports = _reports()
    report = reports.get(actor, report_id)
    reports.check_export(actor, report["table"])
    pivot = reports.run(actor, report_id)
    filename = _filename(report["name"], fmt)
    if fmt == "csv":
        return attachment(Response(report_csv(pivot), mimetype=MEDIA_TYPES["csv"]), filename)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    report_xlsx(pivot, path, title=report["name"])
    return attachment(Response(file_chunks(path), mimetype=MEDIA_TYPES["xlsx"]), filename)


def _table(body: dict) -> str:
    table = body.get("table")
    if not isinstance(table, str) or not table:
        raise BadQuery("Say which table the report reads: {\"table\": \"<api name>\"}.", {"field": "table"})
    return table


def _keys(body: dict, name: str) -> list:
    keys = body.get(name, [])
    if not isinstance(keys, list):
        raise BadQuery(f"{name} must be a list of the row's or column's keys.", {"field": name})
    return keys


def _filename(name: str, fmt: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in name).strip() or "report"
    return f"{safe}.{fmt}"


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
