"""Saved pivot reports: CRUD, run, preview (unsaved), drill-down and export.

The browser designer uses these: ``POST /reports/preview`` for the live preview,
``POST /reports/drill`` (or ``/reports/<id>/drill``) to turn a clicked cell into the
records list filter, and ``GET /reports/<id>/export?format=xlsx|csv`` for downloads.
"""

from __future__ import annotations

import os

from flask import Response, jsonify, request, url_for

from cardfile.metamodel.errors import BadQuery
from cardfile.platform.app import scratch
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
    handle, path = scratch.new_file(".xlsx")
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


# --- OpenAPI --------------------------------------------------------------------------
def _definition_components(spec) -> dict:
    """The report definition's JSON Schema as components (``$defs`` become ``Report<Name>``)."""
    import json

    from cardfile.reports.definition import report_schema

    def rename(text: str) -> str:
        for name in report_schema().get("$defs", {}):
            text = text.replace(f'"#/$defs/{name}"', f'"#/components/schemas/Report{name.capitalize()}"')
        return text

    doc = json.loads(rename(json.dumps(report_schema())))
    for name, schema in doc.pop("$defs", {}).items():
        spec.components.schema(f"Report{name.capitalize()}", component=schema)
    doc.pop("$schema", None)
    doc.pop("$id", None)
    spec.components.schema("ReportDefinition", component=doc)
    return {"$ref": "#/components/schemas/ReportDefinition"}


def openapi_paths(spec) -> None:
    """Document these routes (called by ``openapi.build_spec``)."""
    from .openapi import READ_ERRORS, WRITE_ERRORS, errors, ok, operation, path_param

    tag = "reports"
    definition = _definition_components(spec)
    report = {"type": "object", "required": ["id", "name", "table", "definition", "shared"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "table": {"type": "string"},
        "description": {"type": ["string", "null"]}, "definition": definition,
        "owner": {"type": ["integer", "null"]}, "shared": {"type": "boolean"},
        "package": {"type": ["string", "null"], "description": "The configuration package that installed it."},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"}}}
    spec.components.schema("Report", component=report)
    keys = {"type": "array", "items": {}, "description": "Group keys, outermost first (dates as ISO strings)."}
    labels = {"type": "array", "items": {"type": "string"}}
    spec.components.schema("ReportResult", component={
        "type": "object", "required": ["table", "row_fields", "column_fields", "values", "columns", "rows"],
        "properties": {
            "table": {"type": "string"},
            "row_fields": {"type": "array", "items": {"type": "object"}},
            "column_fields": {"type": "array", "items": {"type": "object"}},
            "values": {"type": "array", "items": {"type": "object"}},
            "columns": {"type": "array", "items": {"type": "object", "properties": {
                "keys": keys, "labels": labels, "value": {"type": "integer"}, "total": {"type": "boolean"}}}},
            "rows": {"type": "array", "items": {"type": "object", "properties": {
                "keys": keys, "labels": labels, "level": {"type": "integer"},
                "kind": {"enum": ["row", "subtotal", "total"]},
                "cells": {"type": "array", "items": {}, "description": "One per column; decimals are strings."}}}}},
        "description": "Rows × columns of a pivot, with subtotals and totals."})
    report_ref = {"$ref": "#/components/schemas/Report"}
    result_ref = {"$ref": "#/components/schemas/ReportResult"}
    report_in = {"type": "object", "required": ["name", "table", "definition"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "table": {"type": "string"},
        "definition": definition, "description": {"type": ["string", "null"]}, "shared": {"type": "boolean"}}}
    drill_in = {"row_keys": {"type": "array", "items": {}, "description": "The cell's row keys."},
                "column_keys": {"type": "array", "items": {}, "description": "The cell's column keys."}}
    drill_out = {"type": "object", "required": ["table", "filter"], "properties": {
        "table": {"type": "string"}, "filter": {"type": "array", "items": {"type": "string"},
                                                "description": "field:op:value filters for the records list."}}}
    report_id = path_param("report_id", "The report's id.", {"type": "integer"})
    spec.path(path="/reports", operations={
        "get": operation("list_reports", tag, "Reports the caller may see (own and shared)", {
            **ok("By name.", {"type": "object", "required": ["reports"], "properties": {
                "reports": {"type": "array", "items": report_ref}}}), **errors(400, 401)},
            params=[{"name": "table", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "Only reports on this table."}]),
        "post": operation("create_report", tag, "Save a report", {
            **ok("The new report.", report_ref, 201, {"Location": {"schema": {"type": "string"}}}),
            **errors(*WRITE_ERRORS)}, body=report_in,
            description="The definition is checked against its JSON Schema (422 INVALID_DEFINITION, "
                        "details.problems) and run once (400 BAD_QUERY, 404 FIELD_NOT_FOUND)."),
    })
    spec.path(path="/reports/{report_id}", parameters=[report_id], operations={
        "get": operation("get_report", tag, "One report", {**ok("The report.", report_ref), **errors(*READ_ERRORS)}),
        "patch": operation("update_report", tag, "Change a report (owner or administrators)", {
            **ok("The changed report.", report_ref), **errors(*WRITE_ERRORS)},
            body={"type": "object", "properties": report_in["properties"]}),
        "delete": operation("delete_report", tag, "Delete a report (owner or administrators)", {
            **ok("Deleted.", {"type": "object", "properties": {"id": {"type": "integer"},
                                                              "deleted": {"type": "boolean"}}}),
            **errors(*READ_ERRORS)}),
    })
    spec.path(path="/reports/{report_id}/run", parameters=[report_id], operations={
        "get": operation("run_report", tag, "Run a saved report", {
            **ok("The report and its result.", {"type": "object", "required": ["report", "result"],
                                                "properties": {"report": report_ref, "result": result_ref}}),
            **errors(*READ_ERRORS)})})
    spec.path(path="/reports/preview", operations={
        "post": operation("preview_report", tag, "Run an unsaved definition (nothing is saved)", {
            **ok("The result.", {"type": "object", "required": ["result"], "properties": {"result": result_ref}}),
            **errors(*WRITE_ERRORS)},
            body={"type": "object", "required": ["table", "definition"], "properties": {
                "table": {"type": "string"}, "definition": definition}})})
    spec.path(path="/reports/drill", operations={
        "post": operation("drill_definition", tag, "The records filter behind a cell of an unsaved report", {
            **ok("Pass the filters to GET /tables/{table}/records.", drill_out), **errors(*WRITE_ERRORS)},
            body={"type": "object", "required": ["table", "definition"], "properties": {
                "table": {"type": "string"}, "definition": definition, **drill_in}})})
    spec.path(path="/reports/{report_id}/drill", parameters=[report_id], operations={
        "post": operation("drill_report", tag, "The records filter behind a cell of a saved report", {
            **ok("Pass the filters to GET /tables/{table}/records.", drill_out), **errors(*WRITE_ERRORS)},
            body={"type": "object", "properties": drill_in})})
    formats = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
    spec.path(path="/reports/{report_id}/export", parameters=[report_id], operations={
        "get": {"operationId": "export_report", "tags": [tag], "summary": "Download a report as XLSX or CSV",
                "description": "Needs the table's export permission. XLSX: number and date formats, "
                               "frozen header, bold totals, a native chart.",
                "parameters": [{"name": "format", "in": "query", "required": False,
                                "schema": {"enum": list(REPORT_FORMATS), "default": "xlsx"}}],
                "responses": {"200": {"description": "The file (an attachment).", "content": {
                    formats[f]: {"schema": {"type": "string", "format": "binary"}} for f in REPORT_FORMATS}},
                    **errors(*READ_ERRORS)}}})
