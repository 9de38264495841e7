"""File upload into the content-addressed store, and the routes that serve files.

No route serves a file by its digest alone; each names where the file is and checks it:

    POST /files                                               upload (multipart ``file``)
    GET  /files/{sha256}                                      one's own upload, until a record holds it
    GET  /tables/{t}/records/{id}/files/{field}/{sha256}      a file in a record one may read, in a field
                                                              one may read (``lines.field`` for line items)
    GET  /company/files/{logo|stamp}/{sha256}                 the company's logo or stamp (everyone signed in)

A file outside those is 404, whether or not it exists (``metamodel/files.py`` has the rules).
"""

from __future__ import annotations

import re

from flask import jsonify, request, send_file, url_for

from cardfile.metamodel.errors import NotFound, ValidationFailed
from cardfile.platform.app.factory import get_runtime
from cardfile.reports.documents.company import IMAGES, CompanySettings

from .auth import current_actor
from .v1 import bp

SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Served inline; everything else is a download, so uploaded HTML never runs on our origin.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
#: The endpoints that serve file contents (a test asks each one for a file the caller may not read).
FILE_ENDPOINTS = ("api.download_file", "api.record_file", "api.company_file")


@bp.post("/files")
def upload_file():
    """``multipart/form-data`` with a ``file`` part; returns the value for a file or image field."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": ["send the file as a multipart/form-data part named 'file'"]})
    value = get_runtime().files.put(current_actor(), upload.stream, upload.filename or "file",
                                    upload.mimetype or "application/octet-stream")
    response = jsonify(value)
    response.status_code = 201
    response.headers["Location"] = url_for("api.download_file", sha256=value["sha256"])
    return response


@bp.get("/files/<sha256>")
def download_file(sha256):
    """The caller's own upload, until a record holds it; then the record's file URL serves it."""
    _digest(sha256)
    return _send(*get_runtime().files.open_upload(current_actor(), sha256), sha256)


@bp.get("/tables/<table>/records/<record_id>/files/<field>/<sha256>")
def record_file(table, record_id, field, sha256):
    _digest(sha256)
    rt = get_runtime()
    return _send(*rt.files.open_in_record(rt.records, current_actor(), table, record_id, field, sha256), sha256)


@bp.get("/company/files/<image>/<sha256>")
def company_file(image, sha256):
    _digest(sha256)
    actor = current_actor()
    value = CompanySettings(get_runtime()).get(actor).get(image) if image in IMAGES else None
    if not isinstance(value, dict) or value.get("sha256") != sha256:
        raise NotFound(f"No file {sha256}.", {"sha256": sha256})
    return _send(*get_runtime().files.open(actor, sha256), sha256)


def _digest(sha256: str) -> None:
    if not SHA256.match(sha256):
        raise NotFound(f"No file {sha256}.", {"sha256": sha256})


def _send(path, content_type: str, sha256: str):
    name = request.args.get("name") or sha256
    response = send_file(path, mimetype=content_type, as_attachment=content_type not in INLINE_TYPES,
                         download_name=name, max_age=3600, etag=sha256, conditional=True)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def openapi_paths(spec) -> None:
    """Document the file routes other than the per-table one (called by ``openapi.build_spec``)."""
    from .openapi import errors, ok, path_param, ref

    sha = path_param("sha256", "The file's SHA-256.", {"type": "string", "pattern": "^[0-9a-f]{64}$"})
    spec.path(path="/files", operations={
        "post": {"operationId": "upload_file", "tags": ["files"], "summary": "Upload a file",
                 "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                     "type": "object", "required": ["file"],
                     "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                 "responses": {**ok("The stored file; put it into a file or image field.", ref("FileValue"), 201),
                               **errors(401, 403, 413, 422)}}})
    spec.path(path="/files/{sha256}", parameters=[sha], operations={"get": file_operation(
        "download_file", "Download one's own upload",
        "The caller's own upload, until a record holds it; after that, the record's file URL "
        "(/tables/{table}/records/{id}/files/{field}/{sha256}) serves it. Anything else is 404.")})
    spec.path(path="/company/files/{image}/{sha256}", parameters=[
        path_param("image", "Which image.", {"type": "string", "enum": list(IMAGES)}), sha], operations={
        "get": file_operation("company_file", "The company's logo or stamp",
                              "The digest must be the one in the company details (GET /company).")})


def file_operation(op_id: str, summary: str, description: str, tag: str = "files",
                   statuses: tuple = (401, 404)) -> dict:
    from .openapi import errors

    return {"operationId": op_id, "tags": [tag], "summary": summary, "description": description,
            "parameters": [{"name": "name", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "File name for the download."}],
            "responses": {"200": {"description": "The file's bytes.", "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                **errors(*statuses)}}
