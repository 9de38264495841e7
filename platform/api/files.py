"""File upload into the content-addressed store, and download by SHA-256."""

from __future__ import annotations

import re

from flask import jsonify, request, send_file, url_for

from cardfile.metamodel.errors import NotFound, ValidationFailed
from cardfile.platform.app.factory import get_runtime

from .auth import current_actor
from .v1 import bp

SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Served inline; everything else is a download, so uploaded HTML never runs on our origin.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


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
    if not SHA256.match(sha256):
        raise NotFound(f"No file {sha256}.", {"sha256": sha256})
    path, content_type = get_runtime().files.open(current_actor(), sha256)
    name = request.args.get("name") or sha256
    response = send_file(path, mimetype=content_type, as_attachment=content_type not in INLINE_TYPES,
                         download_name=name, max_age=3600, etag=sha256, conditional=True)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
