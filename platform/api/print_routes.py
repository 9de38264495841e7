"""Printing many records, emailing a document, and the copies kept with a record.

    POST /tables/{t}/print/{template}                    the records named by ``ids``, or all
                                                         that ``filter``/``search``/``where``
                                                         match, as one PDF or HTML document,
                                                         or a ZIP of DOCX files (no cap)
    GET  /tables/{t}/print/{template}/{id}/email         what "Send by email" offers
    POST /tables/{t}/print/{template}/{id}/email         send it, the document attached
    GET  /tables/{t}/records/{id}/documents              copies kept and documents sent
    GET  /tables/{t}/records/{id}/documents/{sha256}     one of them

Bodies are checked by marshmallow schemas that refuse unknown keys.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import Response, request
from marshmallow import RAISE, Schema, fields, validate

from cardfile.metamodel.errors import BadQuery, NotFound
from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery, parse_filter
from cardfile.platform.app import scratch
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.documents import FORMATS
from cardfile.reports.documents.batch import MAX_IDS, print_many, select_ids
from cardfile.reports.documents.sending import DocumentMail

from .auth import current_actor
from .document_routes import documents
from .requests import json_body
from .schemas import load_body
from .v1 import bp

FILE_CHUNK = 256 * 1024


class PrintManyRequest(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(load_default="pdf", validate=validate.OneOf(FORMATS), metadata={
        "description": "pdf or html (HTML templates: one document), docx (Word templates: a ZIP of files)."})
    ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=2**63 - 1)),
                      load_default=None, validate=validate.Length(min=1, max=MAX_IDS), metadata={
                          "description": "These records, in this order; leave out to print what the filters match."})
    filter = fields.List(fields.String(validate=validate.Length(max=10000)), load_default=list, metadata={
        "description": "field:operator:value, as in the record list (all must match)."})
    search = fields.String(load_default=None, validate=validate.Length(max=1000))
    sort = fields.String(load_default=None, validate=validate.Length(max=1000), metadata={
        "description": "Comma-separated fields, '-' for descending (default: by id)."})
    where = fields.String(load_default=None, validate=validate.Length(max=10000), metadata={
        "description": "A condition in the formula language, as in the record list."})


class EmailRequest(Schema):
    class Meta:
        unknown = RAISE

    to = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={
        "description": "Addresses, comma separated (default: the template's, else the record's email field)."})
    subject = fields.String(load_default=None, validate=validate.Length(max=500))
    message = fields.String(load_default=None, validate=validate.Length(max=20000))
    format = fields.String(load_default=None, validate=validate.OneOf(FORMATS))


def list_selection(body: dict, actor) -> ListQuery:
    if body["ids"] is not None and (body["filter"] or body["search"] or body["where"]):
        raise BadQuery("Give either ids or filters, not both.", {"field": "ids"})
    where = where_filter(body["where"], get_runtime().registry, me=actor) if (body["where"] or "").strip() else None
    sort = [part.strip() for part in (body["sort"] or "id").split(",") if part.strip()]
    return ListQuery(filters=[parse_filter(text) for text in body["filter"]], search=body["search"] or None,
                     sort=sort, where=where)


@bp.post("/tables/<table>/print/<template_id>")
def print_many_records(table, template_id):
    body = load_body(PrintManyRequest(), json_body())
    actor = current_actor()
    docs = documents()
    template = docs.templates.for_use(actor, template_id, table)
    docs.check_format(template, body["format"])
    ids = select_ids(docs.rt, actor, table, ids=body["ids"], query=list_selection(body, actor))
    handle, path = scratch.new_file(".print")
    try:
        with os.fdopen(handle, "wb") as out:
            result = print_many(docs, actor, table, template["id"], ids, body["format"], out)
    except BaseException:
        os.unlink(path)
        raise
    response = Response(_chunks(path), mimetype=result.media_type.split(";")[0])
    response.headers["Content-Type"] = result.media_type
    response.headers.set("Content-Disposition", "attachment", filename=result.filename)
    response.headers["Content-Length"] = str(os.path.getsize(path))
    response.headers["X-Record-Count"] = str(result.count)
    response.headers["Cache-Control"] = "no-store"
    return response


def _chunks(path: str):
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


@bp.get("/tables/<table>/print/<template_id>/<record_id>/email")
def email_draft(table, template_id, record_id):
    return DocumentMail(documents()).draft(current_actor(), table, record_id, template_id)


@bp.post("/tables/<table>/print/<template_id>/<record_id>/email")
def email_document(table, template_id, record_id):
    body = load_body(EmailRequest(), json_body())
    return DocumentMail(documents()).send(current_actor(), table, record_id, template_id, to=body["to"],
                                          subject=body["subject"], message=body["message"], fmt=body["format"])


@bp.get("/tables/<table>/records/<record_id>/documents")
def record_documents(table, record_id):
    return {"documents": documents().copies.list(current_actor(), table, record_id)}


@bp.get("/tables/<table>/records/<record_id>/documents/<sha256>")
def record_document_file(table, record_id, sha256):
    path, media, name = documents().copies.open(current_actor(), table, record_id, sha256)
    inline = request.args.get("download") not in ("1", "true")
    response = Response(path.read_bytes(), mimetype=media)  # a document: small, read whole
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", filename=name)
    response.headers["Cache-Control"] = "no-store"
    if media.startswith("text/html"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    return response


# --- the editor's preview in a frame ------------------------------------------------------------
PREVIEW_SECONDS = 15 * 60


def _previews() -> Path:
    return Path(get_runtime().settings.data_dir) / "previews"


def keep_preview(user_id: int, html: str) -> str:
    """Keep a rendered preview for its user for a while; the token names it."""
    root = _previews()
    root.mkdir(parents=True, exist_ok=True)
    limit = time.time() - PREVIEW_SECONDS
    for old in root.glob("*.json"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)
        except OSError:
            continue
    token = secrets.token_urlsafe(18)
    (root / f"{token}.json").write_text(json.dumps({"user": user_id, "html": html}), "utf-8")
    return token


@bp.get("/templates/preview/<token>")
def preview_frame(token):
    """A preview kept by ``POST /templates/preview`` with ``frame``: the page itself, with the
    printed page's Content-Security-Policy (its own styles, pictures as data: only, sandboxed)."""
    from .document_routes import _file

    path = _previews() / f"{token}.json"
    try:
        kept = json.loads(path.read_text("utf-8")) if re.fullmatch(r"[A-Za-z0-9_-]{20,40}", token) else None
    except (OSError, ValueError):
        kept = None
    if not kept or kept.get("user") != current_actor().id:
        raise NotFound("This preview is no longer here; preview the template again.", {})
    response = _file(kept["html"].encode("utf-8"), "html", "preview.html", inline=True)
    response.headers["Content-Security-Policy"] += "; frame-ancestors 'self'"  # the editor shows it in a frame
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --- OpenAPI -------------------------------------------------------------------------------------
def openapi_paths(spec) -> None:
    """Document these routes (called from ``document_routes.openapi_paths``)."""
    from .openapi import READ_ERRORS, TABLE, WRITE_ERRORS, errors, ok, operation, path_param

    tag = "documents"
    tid = path_param("template_id", "The template's id.", {"type": "integer"})
    rid = path_param("record_id", "The record's id.", {"type": "integer"})
    binary = {"type": "string", "format": "binary"}
    failed = {"502": {"description": "The mail server did not take the message (MAIL_FAILED); nothing was "
                                     "written on the record's history.",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "409": {"$ref": "#/components/responses/Conflict"}}
    spec.path(path="/tables/{table}/print/{template_id}", parameters=[TABLE, tid], operations={"post": {
        "operationId": "print_many_records", "tags": [tag],
        "summary": "Many records through a template: one PDF or HTML, or a ZIP of DOCX",
        "description": "The records named in ids (each must be printable by the caller), or every record the "
                       "filters match, in the sort order; no cap on their number. A record that fails stops "
                       "the run with an error naming it (details.record). X-Record-Count holds the count.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": PrintManyRequest}}},
        "responses": {"200": {"description": "The document.", "content": {
            "application/pdf": {"schema": binary}, "text/html": {"schema": {"type": "string"}},
            "application/zip": {"schema": binary}}}, **errors(*READ_ERRORS)}}})
    draft = {"type": "object", "properties": {
        "to": {"type": "string"}, "subject": {"type": "string"}, "message": {"type": "string"},
        "format": {"type": "string"}, "formats": {"type": "array", "items": {"type": "string"}},
        "template": {"type": "object"}}}
    sent = {"type": "object", "properties": {
        "to": {"type": "array", "items": {"type": "string"}}, "subject": {"type": "string"},
        "file": {"type": "string"}, "format": {"type": "string"}, "sha256": {"type": "string"},
        "size": {"type": "integer"}}}
    spec.path(path="/tables/{table}/print/{template_id}/{record_id}/email", parameters=[TABLE, tid, rid], operations={
        "get": operation("email_draft", tag, "What Send by email offers for a record", {
            **ok("Recipient, subject and message rendered for the record.", draft), **errors(*READ_ERRORS)}),
        "post": operation("email_document", tag, "Email a record's document (attached)", {
            **ok("Sent; written on the record's history with the file's digest.", sent),
            **errors(*WRITE_ERRORS), **failed}, body=EmailRequest,
            description="409 MAIL_NOT_SET_UP when no SMTP server is configured (the message says where).")})
    document = {"type": "object", "properties": {
        "action": {"enum": ["printed", "emailed"]}, "at": {"type": "string"}, "user": {"type": ["string", "null"]},
        "template": {"type": ["integer", "null"]}, "template_name": {"type": ["string", "null"]},
        "file": {"type": "string"}, "format": {"type": "string"}, "sha256": {"type": "string"},
        "size": {"type": "integer"}, "to": {"type": "string"}, "subject": {"type": "string"}}}
    spec.path(path="/tables/{table}/records/{record_id}/documents", parameters=[TABLE, rid], operations={
        "get": operation("record_documents", tag, "Copies kept with a record and documents sent from it", {
            **ok("Newest first.", {"type": "object", "properties": {"documents": {"type": "array",
                                                                                   "items": document}}}),
            **errors(*READ_ERRORS)})})
    token = path_param("token", "The preview's token (from POST /templates/preview with frame).", {"type": "string"})
    spec.path(path="/templates/preview/{token}", parameters=[token], operations={"get": {
        "operationId": "preview_frame", "tags": [tag], "summary": "A kept preview as a page (for a frame)",
        "description": "Only for the user who made it, for 15 minutes.",
        "responses": {"200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                      **errors(*READ_ERRORS)}}})
    sha = path_param("sha256", "The file's SHA-256 digest.", {"type": "string"})
    spec.path(path="/tables/{table}/records/{record_id}/documents/{sha256}", parameters=[TABLE, rid, sha],
              operations={"get": {
                  "operationId": "record_document_file", "tags": [tag], "summary": "One kept or sent document",
                  "parameters": [{"name": "download", "in": "query", "required": False,
                                  "schema": {"type": "boolean"}}],
                  "responses": {"200": {"description": "The file.", "content": {"application/octet-stream": {
                      "schema": binary}}}, **errors(*READ_ERRORS)}}})
