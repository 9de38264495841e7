"""Emptying the trash through the API: DELETE /tables/{t}/trash and /tables/{t}/trash/{id}."""

from __future__ import annotations

import datetime as dt


def trashed_ids(api, table: str) -> list[int]:
    return [r["id"] for r in api.get(f"/tables/{table}/records?trashed=true").get_json()["records"]]


def test_purge_one_record_and_the_whole_trash(api, clients_table, expect_error):
    ids = [api.post(f"/tables/{clients_table}/records", json={"name": f"C{i}"}).get_json()["id"]
           for i in range(4)]
    expect_error(api.delete(f"/tables/{clients_table}/trash/{ids[0]}"), 404, "RECORD_NOT_FOUND")  # not in the trash
    for record_id in ids[:3]:
        api.delete(f"/tables/{clients_table}/records/{record_id}")
    response = api.delete(f"/tables/{clients_table}/trash/{ids[0]}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"table": clients_table, "purged": 1, "lines": 0, "links_emptied": 0}
    assert sorted(trashed_ids(api, clients_table)) == ids[1:3]
    expect_error(api.post(f"/tables/{clients_table}/records/{ids[0]}/restore"), 404, "RECORD_NOT_FOUND")
    assert api.delete(f"/tables/{clients_table}/trash?older_than_days=1").get_json()["purged"] == 0
    assert api.delete(f"/tables/{clients_table}/trash").get_json()["purged"] == 2
    assert trashed_ids(api, clients_table) == []
    assert api.get(f"/tables/{clients_table}/records").get_json()["total"] == 1


def test_purge_needs_the_purge_permission(api, clerk_api, rt, boss, clients_table, expect_error):
    record = clerk_api.post(f"/tables/{clients_table}/records", json={"name": "X"}).get_json()
    assert clerk_api.delete(f"/tables/{clients_table}/records/{record['id']}").status_code == 200
    denied = expect_error(clerk_api.delete(f"/tables/{clients_table}/trash/{record['id']}"), 403, "ACCESS_DENIED")
    assert denied["details"]["action"] == "purge"
    expect_error(clerk_api.delete(f"/tables/{clients_table}/trash"), 403, "ACCESS_DENIED")
    rt.groups.set_permission(boss, "staff", clients_table, {"actions": ["read", "delete", "purge"]})
    assert clerk_api.delete(f"/tables/{clients_table}/trash").get_json()["purged"] == 1


def test_bad_parameters_are_400(api, clients_table, expect_error):
    expect_error(api.delete(f"/tables/{clients_table}/trash?older_than_days=-1"), 400, "BAD_QUERY")
    expect_error(api.delete(f"/tables/{clients_table}/trash?older_than_days=soon"), 400, "BAD_QUERY")
    expect_error(api.delete("/tables/nothing/trash"), 404, "TABLE_NOT_FOUND")


def test_older_than_days_keeps_what_was_trashed_recently(api, rt, clients_table):
    record = api.post(f"/tables/{clients_table}/records", json={"name": "Old"}).get_json()
    recent = api.post(f"/tables/{clients_table}/records", json={"name": "New"}).get_json()
    real = rt.records.clock
    rt.records.clock = lambda: real() - dt.timedelta(days=10)
    api.delete(f"/tables/{clients_table}/records/{record['id']}")
    rt.records.clock = real
    api.delete(f"/tables/{clients_table}/records/{recent['id']}")
    assert api.delete(f"/tables/{clients_table}/trash?older_than_days=7").get_json()["purged"] == 1
    assert trashed_ids(api, clients_table) == [recent["id"]]


def test_the_trash_routes_are_documented(api, clients_table):
    doc = api.get("/openapi.json").get_json()
    assert "delete" in doc["paths"]["/tables/{table}/trash"]
    assert "delete" in doc["paths"]["/tables/{table}/trash/{record_id}"]
    assert doc["components"]["schemas"]["PurgeResult"]["required"] == ["table", "purged", "lines", "links_emptied"]
