"""The reports, export and import endpoints over the REST API (envelopes included)."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pytest

from cardfile.platform.app import create_app


@pytest.fixture
def client(settings):
    app = create_app({**{f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}, "TESTING": True})
    rt = app.extensions["cardfile"]
    boss = rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
    token = rt.users.create_token(boss, "tests")[1]
    rt.schema.create_table(boss, {"label": "Deals", "api_name": "deals", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Day", "type": "date"},
        {"label": "Amount", "type": "decimal"},
        {"label": "Stage", "type": "choice", "options": {"choices": [{"value": "won"}, {"value": "lost"}]}}]})
    rt.records.bulk_create(boss, "deals", [
        {"name": f"D{i}", "day": f"2025-0{1 + i % 3}-15", "amount": f"{i}.25", "stage": ["won", "lost"][i % 2]}
        for i in range(30)])
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    yield test_client
    rt.dispose()


def error_code(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]["code"]


DEFINITION = {"rows": [{"field": "day", "date": "month"}], "columns": [{"field": "stage"}],
              "values": [{"field": "amount", "agg": "sum"}, {"agg": "count"}]}


def test_report_crud_run_drill_and_export(client):
    created = client.post("/api/v1/reports", json={"name": "By month", "table": "deals", "definition": DEFINITION})
    assert created.status_code == 201, created.get_json()
    report = created.get_json()
    assert client.get("/api/v1/reports").get_json()["reports"][0]["id"] == report["id"]
    run = client.get(f"/api/v1/reports/{report['id']}/run").get_json()["result"]
    total = run["rows"][-1]
    assert total["kind"] == "total" and total["cells"][-1] == 30
    preview = client.post("/api/v1/reports/preview", json={"table": "deals", "definition": DEFINITION})
    assert preview.get_json()["result"] == run
    drill = client.post(f"/api/v1/reports/{report['id']}/drill",
                        json={"row_keys": run["rows"][0]["keys"], "column_keys": ["won"]}).get_json()
    listed = client.get("/api/v1/tables/deals/records", query_string=[("filter", f) for f in drill["filter"]])
    won_count = next(i for i, c in enumerate(run["columns"]) if c["keys"] == ["won"] and c["value"] == 1)
    assert listed.get_json()["total"] == run["rows"][0]["cells"][won_count] > 0
    xlsx = client.get(f"/api/v1/reports/{report['id']}/export?format=xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.cell(2, 1).value == "Day"
    csv = client.get(f"/api/v1/reports/{report['id']}/export?format=csv")
    assert csv.data.decode("utf-8-sig").splitlines()[-1].startswith("Total,")
    patched = client.patch(f"/api/v1/reports/{report['id']}", json={"shared": True, "name": "Monthly"})
    assert patched.get_json()["shared"] is True
    assert client.delete(f"/api/v1/reports/{report['id']}").get_json()["deleted"] is True
    assert error_code(client.get(f"/api/v1/reports/{report['id']}"), 404) == "REPORT_NOT_FOUND"
    bad = client.post("/api/v1/reports", json={"name": "x", "table": "deals", "definition": {"values": []}})
    assert error_code(bad, 422) == "INVALID_DEFINITION"
    assert error_code(client.get("/api/v1/reports/1/export?format=pdf"), 400) == "BAD_QUERY"


def test_list_export_formats(client):
    for fmt in ("csv", "json", "xlsx"):
        response = client.get(f"/api/v1/tables/deals/export?format={fmt}&filter=stage:eq:won&sort=-amount")
        assert response.status_code == 200, response.get_data(as_text=True)
        if fmt == "csv":
            lines = response.data.decode("utf-8-sig").splitlines()
            assert lines[0] == "ID,Name,Day,Amount,Stage" and len(lines) == 16
            assert lines[1].split(",")[3] == "28.25"
        elif fmt == "json":
            assert len(response.get_json()) == 15
        else:
            rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
            assert len(rows) == 16 and rows[1][3] == 28.25
    assert error_code(client.get("/api/v1/tables/deals/export?format=pdf"), 400) == "BAD_QUERY"
    assert error_code(client.get("/api/v1/tables/nope/export"), 404) == "TABLE_NOT_FOUND"


def test_import_dry_run_commit_failure_and_revert(client):
    data = "Name;Day;Amount;Stage\nN1;01.02.2025;1 000,50;won\nN2;2025-02-02;3;lost\n".encode("cp1251")

    def post(body, query=""):
        return client.post(f"/api/v1/tables/deals/imports{query}",
                           data={"file": (io.BytesIO(body), "deals.csv"), "options": '{"mode": "create"}'},
                           content_type="multipart/form-data")

    dry = post(data, "?dry_run=true")
    assert dry.status_code == 200 and dry.get_json()["created"] == 2 and not dry.get_json()["written"]
    done = post(data)
    assert done.status_code == 201, done.get_json()
    import_id = done.get_json()["import_id"]
    assert client.get(f"/api/v1/imports/{import_id}").get_json()["created"] == 2
    bad = post(b"Name,Amount\nX,abc\n")
    assert error_code(bad, 422) == "IMPORT_FAILED"
    assert bad.get_json()["error"]["details"]["errors"][0]["value"] == "abc"
    reverted = client.post(f"/api/v1/imports/{import_id}/revert").get_json()
    assert reverted["trashed"] == 2
    assert error_code(client.post(f"/api/v1/imports/{import_id}/revert"), 409) == "IMPORT_NOT_REVERTIBLE"
    missing = client.post("/api/v1/tables/deals/imports", data={}, content_type="multipart/form-data")
    assert error_code(missing, 422) == "VALIDATION_FAILED"
