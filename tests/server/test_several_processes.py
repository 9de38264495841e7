"""Several processes on one PostgreSQL database: two ``cardfile serve`` processes (gunicorn)
and one ``cardfile scheduler``. Each app process caches the catalog snapshot (with the
formulas compiled for it) and the access policies; a change made through process A is
served by process B on its very next request, never the old metadata."""

from __future__ import annotations

import json
import subprocess

import pytest


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_metadata_changed_in_one_process_is_served_by_the_other(settings, tmp_path, servers, harness):
    env = harness.env(tmp_path, settings.database_url, settings.db_schema, CARDFILE_SCHEDULER="off")
    harness.cli(env, tmp_path, "init")
    harness.cli(env, tmp_path, "user", "add", "sam", "--password", "sam-secret-1")
    harness.cli(env, tmp_path, "group", "add", "Staff")
    harness.cli(env, tmp_path, "group", "add-member", "Staff", "sam")
    admin_token = harness.cli(env, tmp_path, "token", "create", "admin").splitlines()[1]
    sam_token = harness.cli(env, tmp_path, "token", "create", "sam").splitlines()[1]

    a = servers(env, tmp_path, "--workers", "1")
    b = servers(env, tmp_path, "--workers", "1")
    scheduler = subprocess.Popen([*harness.cli_command, "scheduler"], env=env, cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        a.wait_ready()
        health = b.wait_ready()
        assert health["checks"]["scheduler"]["mode"] == "separate"

        def call(server, method, path, body=None, token=admin_token):
            status, raw, _ = harness.get(server.url + "/api/v1" + path, method=method, json_body=body,
                                         headers={"Authorization": f"Bearer {token}"})
            return status, json.loads(raw) if raw else None

        status, _ = call(a, "POST", "/tables", {"label": "Things", "fields": [{"label": "Name", "type": "text"}]})
        assert status == 201
        # B has never seen the table: its first request already serves it
        status, created = call(b, "POST", "/tables/things/records", {"name": "lamp"})
        assert status == 201, created
        assert call(b, "GET", "/tables/things/records")[1]["total"] == 1  # B's catalog is warm now

        # a field and a formula added through A are used by B's next request
        assert call(a, "POST", "/tables/things/fields", {"label": "Colour", "type": "text"})[0] == 201
        assert call(a, "POST", "/tables/things/fields", {"label": "Title", "type": "formula", "options": {
            "expression": "name + ' (' + colour + ')'"}})[0] == 201
        status, record = call(b, "POST", "/tables/things/records", {"name": "chair", "colour": "red"})
        assert status == 201, record
        assert record["colour"] == "red" and record["title"] == "chair (red)"
        fields = [f["api_name"] for f in call(b, "GET", "/tables/things/fields")[1]["fields"]]
        assert fields == ["name", "colour", "title"]
        assert "colour" in json.dumps(call(b, "GET", "/openapi.json")[1]["components"])

        # a rename through A: B knows only the new name
        assert call(a, "PATCH", "/tables/things/fields/colour", {"label": "Shade", "api_name": "shade"})[0] == 200
        status, error = call(b, "POST", "/tables/things/records", {"name": "desk", "colour": "oak"})
        assert status in (400, 422) and "colour" in json.dumps(error)
        status, record = call(b, "POST", "/tables/things/records", {"name": "desk", "shade": "oak"})
        assert status == 201 and record["title"] == "desk (oak)"

        # access policies: Sam may not read until A grants it, then B lets him at once
        assert call(b, "GET", "/tables/things/records", token=sam_token)[0] == 403
        status, _ = call(a, "PUT", "/groups/Staff/permissions/things",
                         {"actions": ["read"], "rows": "all", "fields": {"shade": "hidden"}})
        assert status == 200
        status, listed = call(b, "GET", "/tables/things/records", token=sam_token)
        assert status == 200 and listed["total"] == 3
        assert all("shade" not in r and "name" in r for r in listed["records"])
        assert call(a, "DELETE", "/groups/Staff/permissions/things")[0] in (200, 204)
        assert call(b, "GET", "/tables/things/records", token=sam_token)[0] == 403

        assert scheduler.poll() is None  # the scheduler process runs beside them
    finally:
        scheduler.terminate()
        out = scheduler.communicate(timeout=60)[0].decode()
    assert "Cardfile scheduler on" in out
