"""Records over the API: CRUD, list queries, optimistic locking, trash, history, bulk."""

from __future__ import annotations


def test_create_read_update_delete_restore_history(api, clients_table):
    base = f"/tables/{clients_table}/records"
    created = api.post(base, json={"name": "Acme", "age": 7, "balance": "12.5", "kind": "org"})
    assert created.status_code == 201
    record = created.get_json()
    assert record["balance"] == {"amount": "12.50", "currency": "EUR"}
    assert created.headers["Location"].endswith(f"{base}/{record['id']}")
    assert created.headers["ETag"] == '"1"'

    got = api.get(f"{base}/{record['id']}")
    assert got.get_json()["name"] == "Acme" and got.headers["ETag"] == '"1"'

    updated = api.patch(f"{base}/{record['id']}", json={"age": 8, "version": 1})
    assert updated.status_code == 200 and updated.get_json()["age"] == 8
    assert updated.get_json()["version"] == 2
    by_header = api.patch(f"{base}/{record['id']}", json={"name": "Acme Ltd"}, headers={"If-Match": '"2"'})
    assert by_header.status_code == 200 and by_header.get_json()["version"] == 3

    assert api.delete(f"{base}/{record['id']}?version=3").get_json() == {
        "id": record["id"], "trashed": True, "version": 4}
    assert api.get(base).get_json()["total"] == 0
    assert api.get(f"{base}?trashed=true").get_json()["total"] == 1
    assert api.get(f"{base}/{record['id']}?trashed=true").get_json()["name"] == "Acme Ltd"
    assert api.post(f"{base}/{record['id']}/restore").get_json()["trashed"] is False
    assert api.get(f"{base}/{record['id']}").status_code == 200

    history = api.get(f"{base}/{record['id']}/history").get_json()["history"]
    assert [h["action"] for h in history] == ["create", "update", "update", "delete", "restore"]
    assert history[1]["changes"] == {"age": [7, 8]}
    assert history[0]["user"]["display"] == "Boss"


def test_list_filters_search_sort_and_pages(api, clients_table):
    base = f"/tables/{clients_table}/records"
    rows = [{"name": f"Client {i:02}", "age": i, "balance": str(i * 10), "kind": "org" if i % 2 else "person"}
            for i in range(1, 13)]
    assert api.post(f"{base}/bulk", json=rows).get_json() == {"created": 12}

    page = api.get(f"{base}?filter=kind:eq:org&filter=age:gte:5&sort=-balance&per_page=2&page=2").get_json()
    assert page["total"] == 4 and page["page"] == 2 and page["per_page"] == 2
    assert [r["age"] for r in page["records"]] == [7, 5]

    assert api.get(f"{base}?search=client 1").get_json()["total"] == 3  # Client 10, 11 and 12
    found = api.get(f"{base}?search=ent 03").get_json()
    assert [r["name"] for r in found["records"]] == ["Client 03"]
    assert [r["age"] for r in api.get(f"{base}?sort=kind,-age&per_page=3").get_json()["records"]] == [11, 9, 7]


def test_bad_list_parameters_are_400(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    error = expect_error(api.get(f"{base}?page=0"), 400, "BAD_QUERY")
    assert "page" in error["message"]
    expect_error(api.get(f"{base}?per_page=lots"), 400, "BAD_QUERY")
    expect_error(api.get(f"{base}?per_page=100000"), 400, "BAD_QUERY")
    expect_error(api.get(f"{base}?trashed=perhaps"), 400, "BAD_QUERY")
    expect_error(api.get(f"{base}?filter=name"), 400, "BAD_QUERY")
    error = expect_error(api.get(f"{base}?filter=age:contains:3"), 400, "BAD_QUERY")
    assert error["details"]["allowed"]
    expect_error(api.get(f"{base}?filter=age:gt:old"), 400, "BAD_QUERY")
    expect_error(api.get(f"{base}?filter=colour:eq:red"), 404, "FIELD_NOT_FOUND")
    expect_error(api.get(f"{base}?sort=colour"), 404, "FIELD_NOT_FOUND")


def test_wrong_value_type_is_422_naming_field_and_type(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    error = expect_error(api.post(base, json={"name": "Acme", "age": "seven"}), 422, "VALIDATION_FAILED")
    assert "age" in error["message"]
    assert "integer" in error["details"]["fields"]["age"][0].lower()
    error = expect_error(api.post(base, json={"name": "Acme", "kind": "robot"}), 422, "VALIDATION_FAILED")
    assert list(error["details"]["fields"]) == ["kind"]
    error = expect_error(api.post(base, json={"age": 3}), 422, "VALIDATION_FAILED")
    assert error["details"]["fields"]["name"] == ["is required"]
    assert api.get(base).get_json()["total"] == 0


def test_unknown_field_in_payload_is_422(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    error = expect_error(api.post(base, json={"name": "Acme", "colour": "red"}), 422, "VALIDATION_FAILED")
    assert "colour" in error["details"]["fields"]
    record = api.post(base, json={"name": "Acme"}).get_json()
    error = expect_error(api.patch(f"{base}/{record['id']}", json={"version": 1, "colour": "red"}),
                         422, "VALIDATION_FAILED")
    assert "unknown field" in error["details"]["fields"]["colour"][0]


def test_stale_version_is_409_and_writes_nothing(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    record = api.post(base, json={"name": "Acme", "age": 1}).get_json()
    api.patch(f"{base}/{record['id']}", json={"age": 2, "version": 1})

    error = expect_error(api.patch(f"{base}/{record['id']}", json={"name": "Mine", "version": 1}),
                         409, "STALE_VERSION")
    assert error["details"]["your_version"] == 1 and error["details"]["current_version"] == 2
    assert error["details"]["changes"][0]["changes"] == {"age": [1, 2]}
    expect_error(api.patch(f"{base}/{record['id']}", json={"name": "Mine"}, headers={"If-Match": 'W/"1"'}),
                 409, "STALE_VERSION")
    expect_error(api.delete(f"{base}/{record['id']}?version=1"), 409, "STALE_VERSION")

    now = api.get(f"{base}/{record['id']}").get_json()
    assert (now["name"], now["age"], now["version"]) == ("Acme", 2, 2)
    assert len(api.get(f"{base}/{record['id']}/history").get_json()["history"]) == 2


def test_update_needs_a_version_that_makes_sense(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    record = api.post(base, json={"name": "Acme"}).get_json()
    expect_error(api.patch(f"{base}/{record['id']}", json={"name": "X"}), 400, "BAD_QUERY")
    expect_error(api.patch(f"{base}/{record['id']}", json={"name": "X"}, headers={"If-Match": "*"}),
                 400, "BAD_QUERY")
    expect_error(api.patch(f"{base}/{record['id']}", json={"name": "X", "version": 1},
                           headers={"If-Match": '"2"'}), 400, "BAD_QUERY")
    assert api.get(f"{base}/{record['id']}").get_json()["name"] == "Acme"


def test_unknown_records_are_404(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    for path in (f"{base}/999", f"{base}/abc", f"{base}/-1", f"{base}/999/history"):
        error = expect_error(api.get(path), 404, "RECORD_NOT_FOUND")
        assert error["details"]["table"] == clients_table
    expect_error(api.patch(f"{base}/999", json={"version": 1}), 404, "RECORD_NOT_FOUND")
    expect_error(api.delete(f"{base}/999"), 404, "RECORD_NOT_FOUND")
    expect_error(api.post(f"{base}/999/restore"), 404, "RECORD_NOT_FOUND")


def test_bulk_is_all_or_nothing(api, clients_table, expect_error):
    base = f"/tables/{clients_table}/records"
    error = expect_error(api.post(f"{base}/bulk", json=[{"name": "A"}, {"name": "B", "age": "x"}, {"age": 1}]),
                         422, "VALIDATION_FAILED")
    assert set(error["details"]["fields"]) == {"row 2.age", "row 3.name"}
    assert api.get(base).get_json()["total"] == 0
    expect_error(api.post(f"{base}/bulk", json={"name": "A"}), 400, "BAD_JSON")
    assert api.post(f"{base}/bulk", json=[]).get_json() == {"created": 0}


def test_staff_work_with_records(clerk_api, clients_table):
    base = f"/tables/{clients_table}/records"
    record = clerk_api.post(base, json={"name": "Mine"}).get_json()
    assert record["owner"] == record["created_by"]
    assert clerk_api.patch(f"{base}/{record['id']}", json={"name": "Still mine", "version": 1}).status_code == 200
