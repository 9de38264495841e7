"""Files are read through a record and field the reader may read, or by their uploader until
a record holds them (issue 13); no route serves a file by its digest alone."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cardfile.metamodel.errors import ValidationFailed
from cardfile.platform.api.files import FILE_ENDPOINTS

from tests.api.conftest import Api

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    return None


def upload(api, data: bytes, name: str, content_type: str = "application/octet-stream") -> dict:
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name, content_type=content_type)})
    response = api.post("/files", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


class World:
    pass


@pytest.fixture
def world(app, rt, boss, api):
    """Two staff members who each see only their own documents (the "secret" field hidden),
    each with a document holding their own scan, a line with a photo, and the company logo."""
    w = World()
    w.app, w.rt, w.boss, w.admin = app, rt, boss, api
    created = api.post("/tables", json={"label": "Documents", "api_name": "docs", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Scan", "type": "file"},
        {"label": "Secret", "type": "file"},
        {"label": "Pages", "type": "lines", "options": {"fields": [
            {"label": "Photo", "type": "image"}, {"label": "Note", "type": "text"}]}}]})
    assert created.status_code == 201, created.get_json()
    rt.groups.create(boss, "staff")
    rt.groups.set_permission(boss, "staff", "docs", {"actions": ["read", "create", "update"], "rows": "own",
                                                     "fields": {"secret": "hidden"}})
    w.api, w.records, w.scans, w.photos = {}, {}, {}, {}
    for name in ("anna", "boris"):
        user = rt.users.create(name, f"{name}-password", actor=boss)
        rt.groups.add_member(boss, "staff", name)
        w.api[name] = Api(app.test_client(), rt.users.create_token(user, "t")[1])
        w.scans[name] = upload(w.api[name], f"scan of {name}".encode(), f"{name}.txt", "text/plain")
        w.photos[name] = upload(w.api[name], PNG + name.encode(), f"{name}.png", "image/png")
        record = w.api[name].post("/tables/docs/records", json={
            "name": f"doc of {name}", "scan": w.scans[name], "pages": [{"photo": w.photos[name], "note": "p1"}]})
        assert record.status_code == 201, record.get_json()
        w.records[name] = record.get_json()
    w.secret = upload(api, b"the secret scan", "secret.txt", "text/plain")
    current = api.get(f"/tables/docs/records/{w.records['anna']['id']}").get_json()
    assert api.patch(f"/tables/docs/records/{current['id']}", json={"secret": w.secret, "version": current["version"]}
                     ).status_code == 200
    w.logo = upload(api, PNG + b"logo", "logo.png", "image/png")
    assert api.request("PUT", "/company", json={"logo": w.logo}).status_code == 200
    return w


def status(api, path: str) -> int:
    """The status of a GET (the response is closed: a file body holds the file open)."""
    with api.get(path) as response:
        return response.status_code


def record_url(w, owner: str, field: str, sha: str) -> str:
    return f"/tables/docs/records/{w.records[owner]['id']}/files/{field}/{sha}"


def test_a_file_is_read_through_a_readable_record_and_field(world):
    w = world
    anna = w.api["anna"]
    with anna.get(record_url(w, "anna", "scan", w.scans["anna"]["sha256"])) as got:
        assert got.status_code == 200 and got.data == b"scan of anna"
        assert got.headers["Content-Disposition"].startswith("attachment")
    with anna.get(record_url(w, "anna", "pages.photo", w.photos["anna"]["sha256"]) + "?name=p.png") as got:
        assert got.status_code == 200 and got.mimetype == "image/png"
    refused = [
        record_url(w, "boris", "scan", w.scans["boris"]["sha256"]),    # a record out of her row scope
        record_url(w, "anna", "scan", w.scans["boris"]["sha256"]),     # her record, another file
        record_url(w, "anna", "secret", w.secret["sha256"]),           # a hidden field
        record_url(w, "anna", "pages.photo", w.photos["boris"]["sha256"]),
        record_url(w, "anna", "name", w.scans["anna"]["sha256"]),      # not a file field
        record_url(w, "anna", "nothing", w.scans["anna"]["sha256"]),
        f"/tables/docs/records/999999/files/scan/{w.scans['anna']['sha256']}",
        f"/files/{w.scans['anna']['sha256']}",                         # her upload, now in a record
        f"/files/{w.secret['sha256']}",
        f"/company/files/logo/{w.scans['anna']['sha256']}",
        f"/company/files/other/{w.logo['sha256']}",
    ]
    for path in refused:
        with anna.get(path) as response:
            assert response.status_code == 404, (path, response.status_code)
            assert response.get_json()["error"]["code"] in ("NOT_FOUND", "RECORD_NOT_FOUND", "FIELD_NOT_FOUND")
    # the administrator reads everything through the records, and everyone the company's logo
    assert status(w.admin, record_url(w, "anna", "secret", w.secret["sha256"])) == 200
    assert status(anna, f"/company/files/logo/{w.logo['sha256']}") == 200


def test_the_uploader_reads_an_upload_until_a_record_holds_it(world):
    w = world
    anna, boris = w.api["anna"], w.api["boris"]
    fresh = upload(anna, b"not attached yet", "draft.txt", "text/plain")
    assert status(anna, f"/files/{fresh['sha256']}") == 200
    assert status(boris, f"/files/{fresh['sha256']}") == 404  # another user's upload
    assert status(w.admin, f"/files/{fresh['sha256']}") == 404
    record = w.records["anna"]
    current = anna.get(f"/tables/docs/records/{record['id']}").get_json()
    assert anna.patch(f"/tables/docs/records/{record['id']}", json={"scan": fresh, "version": current["version"]}
                      ).status_code == 200
    assert status(anna, f"/files/{fresh['sha256']}") == 404
    assert status(anna, record_url(w, "anna", "scan", fresh["sha256"])) == 200


def test_only_ones_own_uploads_go_into_a_record(world):
    """Knowing a digest is not enough: putting another user's file into one's own record is
    refused like a missing file, so it cannot then be read through that record."""
    w = world
    anna = w.api["anna"]
    for value in (w.scans["boris"], w.secret, w.logo):
        response = anna.post("/tables/docs/records", json={"name": "grab", "scan": value})
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["error"]["details"]["fields"]["scan"] == [
            "no uploaded file with this sha256; upload it first"]
        lines = anna.post("/tables/docs/records", json={"name": "grab", "pages": [{"photo": w.photos["boris"]}]})
        assert lines.status_code == 422
    with pytest.raises(ValidationFailed):
        w.rt.records.bulk_create(w.rt.users.by_username("anna"), "docs", [{"name": "x", "scan": w.scans["boris"]}])
    # a value the record already holds may be sent back unchanged
    record = anna.get(f"/tables/docs/records/{w.records['anna']['id']}").get_json()
    again = anna.patch(f"/tables/docs/records/{record['id']}", json={
        "name": "renamed", "scan": record["scan"], "pages": record["pages"], "version": record["version"]})
    assert again.status_code == 200, again.get_json()
    # the same bytes uploaded again are one's own upload
    mine = upload(anna, b"scan of boris", "copy.txt", "text/plain")
    assert mine["sha256"] == w.scans["boris"]["sha256"]
    assert anna.post("/tables/docs/records", json={"name": "copy", "scan": mine}).status_code == 201


def test_bulk_create_and_import_take_only_own_uploads(world):
    w = world
    anna = w.rt.users.by_username("anna")
    mine = w.rt.files.put(anna, io.BytesIO(b"bulk file"), "bulk.txt", "text/plain")
    assert w.rt.records.bulk_create(anna, "docs", [{"name": "b", "scan": mine}]) == {"created": 1}
    refused = w.rt.records.write_many(anna, "docs", [(1, None, {"name": "i", "scan": w.scans["boris"]})])
    assert refused.error_count == 1 and refused.created == 0 and refused.errors[0].field == "scan"
    imported = w.rt.records.write_many(anna, "docs", [(1, None, {"name": "i", "scan": mine})])
    assert imported.error_count == 0 and imported.created == 1


def test_every_file_route_checks_access(world):
    """Each GET route that serves files is asked, as anna, for a file she may not read (404 or
    403) and for one she may (200): a new file route that skips the check fails here."""
    w = world
    anna = w.api["anna"]
    mine = upload(anna, b"anna's draft", "draft.txt", "text/plain")
    allowed = {"table": "docs", "record_id": w.records["anna"]["id"], "field": "scan",
               "sha256": w.scans["anna"]["sha256"], "image": "logo"}
    forbidden = {"table": "docs", "record_id": w.records["boris"]["id"], "field": "scan",
                 "sha256": w.scans["boris"]["sha256"], "image": "logo"}
    own_upload = {"/files/<sha256>": mine["sha256"], "/company/files/<image>/<sha256>": w.logo["sha256"]}
    seen = set()
    for rule in w.app.url_map.iter_rules():
        if "files" not in rule.rule or "GET" not in rule.methods or "<" not in rule.rule:
            continue
        seen.add(rule.endpoint)
        unknown = set(rule.arguments) - set(allowed)
        assert not unknown, f"{rule.rule}: teach this test the arguments {unknown}"
        path = rule.rule.removeprefix("/api/v1")

        def url(values):
            return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), path)

        sha = own_upload.get(path, allowed["sha256"])
        assert status(anna, url({**allowed, "sha256": sha})) == 200, rule.rule
        assert status(anna, url(forbidden)) in (403, 404), rule.rule
        stranger = Api(w.app.test_client(), None)
        assert status(stranger, url({**allowed, "sha256": sha})) == 401, rule.rule
    assert seen == set(FILE_ENDPOINTS)


def test_the_card_links_files_through_the_record(world, app):
    w = world
    client = app.test_client()
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    client.post("/login", data={"username": "anna", "password": "anna-password", "csrf_token": token})
    card = client.get(f"/t/docs/{w.records['anna']['id']}").get_data(as_text=True)
    expected = f"/api/v1/tables/docs/records/{w.records['anna']['id']}/files/scan/{w.scans['anna']['sha256']}"
    assert f'href="{expected}?name=anna.txt"' in card
    photo = f"/api/v1/tables/docs/records/{w.records['anna']['id']}/files/pages.photo/{w.photos['anna']['sha256']}"
    assert f'src="{photo}?name=anna.png"' in card
    assert "/api/v1/files/" not in card
    assert status(client, expected) == 200
    with client.get(photo) as got:
        assert hashlib.sha256(got.data).hexdigest() == w.photos["anna"]["sha256"]


def test_a_hidden_line_item_field_keeps_its_files(world):
    w = world
    w.rt.groups.create(w.boss, "auditors")
    w.rt.groups.set_permission(w.boss, "auditors", "docs", {"actions": ["read"], "fields": {"pages.photo": "hidden"}})
    carl = w.rt.users.create("carl", "carl-password", actor=w.boss)
    w.rt.groups.add_member(w.boss, "auditors", "carl")
    auditor = Api(w.app.test_client(), w.rt.users.create_token(carl, "t")[1])
    assert status(auditor, record_url(w, "boris", "scan", w.scans["boris"]["sha256"])) == 200  # all rows
    assert status(auditor, record_url(w, "boris", "pages.photo", w.photos["boris"]["sha256"])) == 404
