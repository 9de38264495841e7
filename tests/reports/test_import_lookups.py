"""Imports look up links, keys and users in their own transaction (no second connection:
on SQLite it would wait for the import's write lock), and the smaller import points:
a partial mapping keeps auto-matching, a bad value is quoted whole, a value out of range
gets only its own message."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
import uuid

import pytest
from sqlalchemy import event

from cardfile.metamodel.errors import ValidationFailed
from cardfile.reports.imports import ImportOptions, run_import

CSV = ("Name,Manager,Group,Qty (pcs)\n"
       "Alpha,Mary Major,Dogs,3\n"
       "Beta,bob,Cats,4\n")


def setup_tables(rt, admin):
    rt.users.create("mary", "mary-password", name="Mary Major", actor=admin)
    rt.users.create("bob", "bob-password", name="Bob", actor=admin)
    rt.schema.create_table(admin, {"label": "Groups", "api_name": "groups",
                                   "fields": [{"label": "Name", "type": "text"}]})
    for name in ("Dogs", "Cats"):
        rt.records.create(admin, "groups", {"name": name})
    rt.schema.create_table(admin, {"label": "Items", "api_name": "items", "fields": [
        {"label": "Name", "type": "text", "options": {"unique": True}},
        {"label": "Manager", "type": "user"},
        {"label": "Group", "type": "link", "options": {"target": "groups"}},
        {"label": "Qty", "type": "integer", "options": {"min": 1, "required": True}},
        {"label": "Price", "type": "money", "options": {"currency": "EUR"}},
        {"label": "Weight", "type": "decimal"}]})


@pytest.fixture
def items(runtime, admin):
    setup_tables(runtime, admin)
    return runtime, admin


def test_an_import_uses_one_connection(items, tmp_path):
    rt, admin = items
    path = tmp_path / "items.csv"
    path.write_text(CSV, encoding="utf-8")
    checkouts: list[str] = []
    inside = {"on": False}

    def seen(*_):
        if inside["on"]:
            checkouts.append(threading.current_thread().name)

    real = rt.records.write_many

    def write_many(*args, **kwargs):
        inside["on"] = True
        try:
            return real(*args, **kwargs)
        finally:
            inside["on"] = False

    rt.records.write_many = write_many
    event.listen(rt.engine, "engine_connect", seen)
    try:
        for dry_run in (True, False):
            checkouts.clear()
            result = run_import(rt, admin, "items", path, "items.csv",
                                ImportOptions(dry_run=dry_run, mapping={"Qty (pcs)": "qty"}))
            assert result["errors"] == [] and result["created"] == 2
            assert len(checkouts) == 1, checkouts  # the import's own, nothing more
    finally:
        event.remove(rt.engine, "engine_connect", seen)
    made = {r["name"]: r for r in rt.records.list(admin, "items")["records"]}
    assert made["Alpha"]["manager"]["display"] == "Mary Major" and made["Beta"]["manager"]["display"] == "Bob"
    assert made["Beta"]["group"]["display"] == "Cats" and made["Alpha"]["qty"] == 3


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_an_import_with_a_user_column_answers_while_the_server_runs(app, rt):
    """The acceptance case: the default database, the server running, a user column."""
    from werkzeug.serving import make_server

    boss = rt.users.create("boss", "boss-password", is_admin=True, bootstrap=True)
    setup_tables(rt, boss)
    token = rt.users.create_token(boss, "tests")[1]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for dry_run in ("true", "false"):
            started = time.monotonic()
            status, body = post_import(server.server_port, token, "items", CSV,
                                       {"mapping": {"Qty (pcs)": "qty"}}, dry_run)
            assert status == (200 if dry_run == "true" else 201), body
            assert body["errors"] == [] and body["created"] == 2
            assert time.monotonic() - started < 10
    finally:
        server.shutdown()
        thread.join()


def post_import(port: int, token: str, table: str, text: str, options: dict, dry_run: str):
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, filename, content in (("options", None, json.dumps(options).encode()),
                                    ("file", "items.csv", text.encode())):
        body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"".encode())
        if filename:
            body.write(f"; filename=\"{filename}\"\r\nContent-Type: text/csv".encode())
        body.write(b"\r\n\r\n" + content + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tables/{table}/imports?dry_run={dry_run}", data=body.getvalue(),
        method="POST", headers={"Authorization": f"Bearer {token}",
                                "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=25) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_a_partial_mapping_keeps_auto_matching_the_other_columns(items, tmp_path):
    rt, admin = items
    path = tmp_path / "items.csv"
    path.write_text("Name,Qty (pcs),Weight,Group\nAlpha,3,1.5,Dogs\n", encoding="utf-8")
    result = run_import(rt, admin, "items", path, "items.csv",
                        ImportOptions(dry_run=True, mapping={"Qty (pcs)": "qty", "Weight": None}))
    assert result["mapping"] == {"Name": "name", "Qty (pcs)": "qty", "Weight": None, "Group": "group"}
    assert result["errors"] == []
    # a column mapped by hand takes its field from the column that would have matched it
    path.write_text("Name,Title\nAlpha,Beta\n", encoding="utf-8")
    result = run_import(rt, admin, "items", path, "items.csv",
                        ImportOptions(dry_run=True, mapping={"Title": "name"}))
    assert result["mapping"] == {"Name": None, "Title": "name"}


@pytest.mark.parametrize("column", ["Qty", "Price", "Weight"])
def test_a_word_in_a_number_column_is_quoted_whole(items, tmp_path, column):
    rt, admin = items
    path = tmp_path / "items.csv"
    text = "Name,Qty\nAlpha,двенадцать\n" if column == "Qty" else f"Name,Qty,{column}\nAlpha,1,двенадцать\n"
    path.write_text(text, encoding="utf-8")
    result = run_import(rt, admin, "items", path, "items.csv", ImportOptions(dry_run=True))
    (error,) = [e for e in result["errors"] if e["column"] == column]
    assert "'двенадцать'" in error["reason"] and error["value"] == "двенадцать"


def test_a_quantity_below_its_minimum_gets_only_that_message(items, tmp_path):
    rt, admin = items
    with pytest.raises(ValidationFailed) as refused:
        rt.records.create(admin, "items", {"name": "x", "qty": -1})
    assert refused.value.errors == {"qty": ["must be at least 1 (an integer field)"]}
    with pytest.raises(ValidationFailed) as refused:
        rt.records.create(admin, "items", {"name": "x", "qty": "lots"})
    assert len(refused.value.errors["qty"]) == 1
    with pytest.raises(ValidationFailed) as refused:
        rt.records.create(admin, "items", {"name": "x"})
    assert refused.value.errors == {"qty": ["is required"]}
    path = tmp_path / "items.csv"
    path.write_text("Name,Qty\nAlpha,-1\n", encoding="utf-8")
    result = run_import(rt, admin, "items", path, "items.csv", ImportOptions(dry_run=True))
    assert [e["reason"] for e in result["errors"]] == ["must be at least 1 (an integer field)"]
