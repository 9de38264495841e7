"""File upload and download through the content-addressed store."""

from __future__ import annotations

import hashlib
import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def upload(api, data: bytes, name: str, content_type: str = "application/octet-stream", part: str = "file"):
    """The multipart body is built in memory (the test client would spool big bodies to a file)."""
    boundary, body = encode_multipart({part: FileStorage(io.BytesIO(data), name, content_type=content_type)})
    return api.post("/files", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_upload_attach_and_download(api, anon, expect_error):
    response = upload(api, PNG, "logo.png", "image/png")
    assert response.status_code == 201
    value = response.get_json()
    assert value == {"sha256": hashlib.sha256(PNG).hexdigest(), "name": "logo.png", "size": len(PNG),
                     "content_type": "image/png"}
    assert response.headers["Location"].endswith(f"/api/v1/files/{value['sha256']}")

    with api.get(f"/files/{value['sha256']}") as got:  # the uploader's own upload
        assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
        assert "attachment" not in got.headers.get("Content-Disposition", "")
    expect_error(anon.get(f"/files/{value['sha256']}"), 401, "AUTHENTICATION_REQUIRED")

    api.post("/tables", json={"label": "Products", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Photo", "type": "image"}]})
    record = api.post("/tables/products/records", json={"name": "Lamp", "photo": value}).get_json()
    assert record["photo"]["sha256"] == value["sha256"]

    expect_error(api.get(f"/files/{value['sha256']}"), 404, "NOT_FOUND")  # a record holds it now
    with api.get(f"/tables/products/records/{record['id']}/files/photo/{value['sha256']}") as got:
        assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
        assert got.headers["Cache-Control"] == "private, max-age=3600"
    expect_error(anon.get(f"/tables/products/records/{record['id']}/files/photo/{value['sha256']}"),
                 401, "AUTHENTICATION_REQUIRED")


def test_uploaded_html_is_only_ever_a_download(api):
    value = upload(api, b"<script>alert(1)</script>", "page.html", "text/html").get_json()
    with api.get(f"/files/{value['sha256']}?name=page.html") as got:
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in got.headers["Content-Security-Policy"]
        assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_errors(api, settings, expect_error):
    error = expect_error(upload(api, b"x" * (settings.max_upload_bytes + 1), "big.bin"), 413, "FILE_TOO_LARGE")
    assert error["details"]["limit"] == settings.max_upload_bytes
    expect_error(upload(api, b"x" * (settings.max_upload_bytes + 200 * 1024), "huge.bin"), 413, "REQUEST_TOO_LARGE")
    expect_error(upload(api, b"x", "x.txt", part="other"), 422, "VALIDATION_FAILED")
    expect_error(api.get("/files/" + "0" * 64), 404, "NOT_FOUND")
    expect_error(api.get("/files/not-a-hash"), 404, "NOT_FOUND")
