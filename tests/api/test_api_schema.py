"""Schema design over the API: tables, fields, field types, trash, and the errors of each."""

from __future__ import annotations


def test_tables_create_read_change_trash_restore_purge(api, expect_error):
    created = api.post("/tables", json={"label": "Клиенты", "api_name": "clients",
                                        "fields": [{"label": "Name", "type": "text"}]})
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/api/v1/tables/clients")
    assert created.get_json()["label"] == "Клиенты"
    assert created.get_json()["display_field"] == "name"

    listed = api.get("/tables").get_json()["tables"]
    assert [t["api_name"] for t in listed] == ["clients"]
    assert api.get("/tables/clients").get_json()["fields"][0]["api_name"] == "name"

    changed = api.patch("/tables/clients", json={"label": "Customers", "section": "Sales"})
    assert changed.status_code == 200
    assert changed.get_json()["label"] == "Customers" and changed.get_json()["section"] == "Sales"

    assert api.delete("/tables/clients").get_json() == {"table": "clients", "trashed": True}
    expect_error(api.get("/tables/clients"), 404, "TABLE_NOT_FOUND")
    assert [t["api_name"] for t in api.get("/tables?trashed=true").get_json()["tables"]] == ["clients"]

    restored = api.post("/tables/clients/restore")
    assert restored.status_code == 200 and restored.get_json()["trashed"] is False

    api.delete("/tables/clients")
    assert api.delete("/tables/clients?purge=true").get_json() == {"table": "clients", "purged": True}
    expect_error(api.post("/tables/clients/restore"), 404, "TABLE_NOT_FOUND")


def test_fields_add_read_change_trash_restore_purge(api, clients_table, expect_error):
    added = api.post(f"/tables/{clients_table}/fields", json={"label": "E-mail", "type": "email"})
    assert added.status_code == 201
    field = added.get_json()
    assert field["type"] == "email"
    assert added.headers["Location"].endswith(f"/tables/{clients_table}/fields/{field['api_name']}")

    names = [f["api_name"] for f in api.get(f"/tables/{clients_table}/fields").get_json()["fields"]]
    assert names == ["name", "age", "balance", "kind", field["api_name"]]
    assert api.get(f"/tables/{clients_table}/fields/age").get_json()["type"] == "integer"

    renamed = api.patch(f"/tables/{clients_table}/fields/age", json={"label": "Years", "api_name": "years"})
    assert renamed.status_code == 200
    assert renamed.get_json()["field"]["api_name"] == "years"
    expect_error(api.get(f"/tables/{clients_table}/fields/age"), 404, "FIELD_NOT_FOUND")

    assert api.delete(f"/tables/{clients_table}/fields/years").get_json()["trashed"] is True
    expect_error(api.get(f"/tables/{clients_table}/fields/years"), 404, "FIELD_NOT_FOUND")
    assert api.post(f"/tables/{clients_table}/fields/years/restore").get_json()["api_name"] == "years"

    api.delete(f"/tables/{clients_table}/fields/years")
    assert api.delete(f"/tables/{clients_table}/fields/years?purge=true").get_json()["purged"] is True
    expect_error(api.post(f"/tables/{clients_table}/fields/years/restore"), 404, "FIELD_NOT_FOUND")


def test_retype_refused_then_dry_run_then_forced(api, clients_table, rt, expect_error):
    for name in ("Ann", "Bob"):
        api.post(f"/tables/{clients_table}/records", json={"name": name})
    api.post(f"/tables/{clients_table}/records", json={"name": "42"})

    refused = api.patch(f"/tables/{clients_table}/fields/name", json={"type": "integer"})
    details = expect_error(refused, 422, "RETYPE_WOULD_LOSE_VALUES")["details"]
    assert details["count"] == 2 and {r["value"] for r in details["records"]} == {"Ann", "Bob"}
    assert api.get(f"/tables/{clients_table}/fields/name").get_json()["type"] == "text"

    dry = api.patch(f"/tables/{clients_table}/fields/name?dry_run=true", json={"type": "integer"})
    assert dry.status_code == 200 and dry.get_json()["conversion"]["lost"] == 2
    assert api.get(f"/tables/{clients_table}/fields/name").get_json()["type"] == "text"

    forced = api.patch(f"/tables/{clients_table}/fields/name", json={"type": "integer", "force": True})
    assert forced.status_code == 200 and forced.get_json()["field"]["type"] == "integer"
    values = sorted((r["name"] is None, r["name"]) for r in
                    api.get(f"/tables/{clients_table}/records").get_json()["records"])
    assert values == [(False, 42), (True, None), (True, None)]

    details = expect_error(api.patch(f"/tables/{clients_table}/fields/name", json={"type": "link"}),
                           422, "INVALID_DEFINITION")
    error = expect_error(api.patch(f"/tables/{clients_table}/fields/name", json={"force": "yes"}),
                         422, "INVALID_DEFINITION")
    assert "force" in error["message"]
    expect_error(api.patch(f"/tables/{clients_table}/fields/name?force=maybe", json={}), 400, "BAD_QUERY")


def test_unknown_table_and_field_are_404_naming_them(api, clients_table, expect_error):
    error = expect_error(api.get("/tables/nowhere"), 404, "TABLE_NOT_FOUND")
    assert "nowhere" in error["message"] and error["details"] == {"table": "nowhere"}
    error = expect_error(api.get(f"/tables/{clients_table}/fields/nothing"), 404, "FIELD_NOT_FOUND")
    assert "nothing" in error["message"] and error["details"]["field"] == "nothing"
    expect_error(api.patch("/tables/nowhere/fields/x", json={"label": "Y"}), 404, "TABLE_NOT_FOUND")
    expect_error(api.delete(f"/tables/{clients_table}/fields/nothing"), 404, "FIELD_NOT_FOUND")
    expect_error(api.get("/tables/nowhere/records"), 404, "TABLE_NOT_FOUND")


def test_label_and_api_name_clashes_are_409(api, clients_table, expect_error):
    error = expect_error(api.post("/tables", json={"label": "clients"}), 409, "NAME_CLASH")
    assert error["details"] == {"label": "clients"}
    error = expect_error(api.post("/tables", json={"label": "Other", "api_name": clients_table}), 409, "NAME_CLASH")
    assert error["details"] == {"api_name": clients_table}
    error = expect_error(api.post(f"/tables/{clients_table}/fields", json={"label": "NAME", "type": "text"}),
                         409, "NAME_CLASH")
    assert "NAME" in error["message"]
    expect_error(api.post(f"/tables/{clients_table}/fields", json={"label": "Other", "api_name": "age",
                                                                   "type": "text"}), 409, "NAME_CLASH")


def test_bad_definitions_are_422(api, clients_table, expect_error):
    error = expect_error(api.post(f"/tables/{clients_table}/fields", json={"label": "X", "type": "colour"}),
                         422, "UNKNOWN_FIELD_TYPE")
    assert "colour" in error["message"] and "text" in error["details"]["known"]
    unknown = expect_error(api.post("/tables", json={"label": "T", "colour": "red"}), 400, "UNKNOWN_KEYS")
    assert unknown["details"] == {"unknown": ["colour"]}
    expect_error(api.post("/tables", json={"label": ""}), 422, "INVALID_DEFINITION")
    expect_error(api.post(f"/tables/{clients_table}/fields", json={"label": "N", "type": "counter"}),
                 422, "INVALID_DEFINITION")
    expect_error(api.post("/tables", json=["not", "an", "object"]), 400, "BAD_JSON")


def test_definition_shapes_are_checked_before_the_schema_service(api, clients_table, expect_error):
    for path, body, where in [
        ("/tables", {"label": ["x"]}, "label"),
        ("/tables", {"label": "T", "position": "first"}, "position"),
        ("/tables", {"label": "T", "fields": "name"}, "fields"),
        ("/tables", {"label": "T", "fields": [{"label": "A", "type": "text", "options": "x"}]}, "fields.0.options"),
        ("/tables", {"label": "T", "fields": [{"label": "A", "type": "text", "colour": 1}]}, "fields.0.colour"),
        (f"/tables/{clients_table}/fields", {"label": "A", "type": ["money"]}, "type"),
    ]:
        error = expect_error(api.post(path, json=body), 422, "INVALID_DEFINITION")
        assert f"at {where}:" in error["message"], error
    expect_error(api.patch(f"/tables/{clients_table}/fields/name", json={"type": ["money"]}),
                 422, "INVALID_DEFINITION")
    expect_error(api.patch(f"/tables/{clients_table}/fields/name", json={"position": "last"}),
                 422, "INVALID_DEFINITION")
    expect_error(api.patch(f"/tables/{clients_table}", json={"options": "x"}), 422, "INVALID_DEFINITION")
    assert [t["api_name"] for t in api.get("/tables").get_json()["tables"]] == [clients_table]


def test_non_admin_may_read_but_not_design(clerk_api, api, clients_table, expect_error):
    assert clerk_api.get("/tables").status_code == 200
    assert clerk_api.get(f"/tables/{clients_table}/fields").status_code == 200
    for response in (
        clerk_api.post("/tables", json={"label": "Mine"}),
        clerk_api.patch(f"/tables/{clients_table}", json={"label": "Renamed"}),
        clerk_api.delete(f"/tables/{clients_table}"),
        clerk_api.post(f"/tables/{clients_table}/fields", json={"label": "X", "type": "text"}),
        clerk_api.patch(f"/tables/{clients_table}/fields/name", json={"label": "Y"}),
        clerk_api.delete(f"/tables/{clients_table}/fields/name"),
    ):
        expect_error(response, 403, "ACCESS_DENIED")
    assert api.get(f"/tables/{clients_table}").get_json()["label"] == "Clients"


def test_field_types_list_options_and_operators(api, rt):
    types = {t["key"]: t for t in api.get("/field-types").get_json()["field_types"]}
    assert set(types) == set(rt.registry.keys())
    assert "contains" in types["text"]["filter_operators"]
    assert types["counter"]["options_schema"]["required"] == ["pattern"]
    assert types["money"]["label"]
