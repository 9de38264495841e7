"""The one gate across links: a reader's row rules and hidden fields hold wherever a request
reaches into another table — pivots grouped by a linked field, ``where=`` through links and
back-link aggregates, filters, quick search, sort, link labels and the formula check.

Two readers besides the world of ``conftest``:

* **carl** ("Callers"): every contact and event, but only the clients he manages, with
  their tax id and phone hidden;
* **dora** ("Desk"): every client (tax id hidden), but only invoices of clients she manages
  (none).
"""

from __future__ import annotations

import pytest

from .conftest import SECRETS


def make_readers(app, rt, admin):
    """The groups Callers and Desk, carl and dora in them, carl's own client; returns
    (API clients by name, carl's client)."""
    rt.groups.create(admin, "Callers")
    rt.groups.set_permission(admin, "Callers", "clients", {
        "actions": ["read"], "rows": {"condition": "manager == me"},
        "fields": {"tax_id": "hidden", "phone": "hidden"}})
    for table in ("contacts", "events"):
        rt.groups.set_permission(admin, "Callers", table, {"actions": ["read", "export"]})
    rt.groups.create(admin, "Desk")
    rt.groups.set_permission(admin, "Desk", "clients", {"actions": ["read"], "fields": {"tax_id": "hidden"}})
    rt.groups.set_permission(admin, "Desk", "invoices", {
        "actions": ["read", "export"], "rows": {"condition": "client.manager == me"}})
    users = {}
    for name, group in (("carl", "Callers"), ("dora", "Desk")):
        users[name] = rt.users.create(name, f"{name}-password", name=name.title(), actor=admin)
        rt.groups.add_member(admin, group, name)
    own = rt.records.create(admin, "clients", {"name": "Client of carl", "manager": users["carl"].id,
                                                "tax_id": "TAXSECRET-CARL", "phone": "+44 20 7946 0001"})
    rt.records.create(admin, "contacts", {"client": own["id"], "name": "Contact carl"})
    from .conftest import Api
    api = {name: Api(app.test_client(), rt.users.create_token(user, "tests")[1])
           for name, user in users.items()}
    return api, own


@pytest.fixture
def readers(world):
    rt, admin = world.rt, world.users["admin"]
    api, own = make_readers(world.app, rt, admin)
    for manager in ("anna", "boris"):
        client = world.ids[manager]["clients"]
        row = rt.records.get(admin, "clients", client)
        rt.records.update(admin, "clients", client, {"phone": "+44 20 7946 0958"}, version=row["version"])
    return api, own


def _pivot(api, table, definition):
    response = api.post("/reports/preview", json={"table": table, "definition": definition})
    return response


def _list(api, table, **params):
    response = api.get(f"/tables/{table}/records", query_string=params)
    return response


def test_a_pivot_grouped_by_a_linked_field_shows_only_linked_records_in_reach(world, readers):
    api, _ = readers
    r = _pivot(api["carl"], "contacts", {"rows": [{"field": "client.name"}], "values": [{"agg": "count"}]})
    assert r.status_code == 200, r.get_json()
    text = r.get_data(as_text=True)
    assert "Client of carl" in text
    assert "Client of anna" not in text and "Client of boris" not in text
    # contacts of other clients still count, as contacts without a (readable) client
    groups = {tuple(row["keys"]): row["cells"] for row in r.get_json()["result"]["rows"]}
    assert sum(cells[0] for cells in groups.values() if cells and cells[0] is not None) >= 3
    for hidden in ("client.tax_id", "client.phone"):
        r = _pivot(api["carl"], "contacts", {"rows": [{"field": hidden}], "values": [{"agg": "count"}]})
        assert r.status_code == 404 and SECRETS["anna"] not in r.get_data(as_text=True), r.get_json()
        assert r.get_json()["error"]["code"] == "FIELD_NOT_FOUND"  # as for a field that does not exist


def test_a_pivot_where_cannot_read_hidden_or_out_of_reach_fields(world, readers):
    api, _ = readers
    r = _pivot(api["carl"], "contacts", {"values": [{"agg": "count"}],
                                         "where": 'left(client.phone, 3) == "+44"'})
    assert r.status_code in (400, 422), r.get_json()
    assert "phone" in r.get_json()["error"]["message"] or r.get_json()["error"]["code"]
    counted = _pivot(api["carl"], "contacts", {"values": [{"agg": "count"}],
                                               "where": 'client.name == "Client of anna"'})
    assert counted.status_code == 200
    rows = counted.get_json()["result"]["rows"]
    assert all(row["cells"][0] in (0, None) for row in rows), rows
    everyone = _pivot(world.api["admin"], "contacts", {"values": [{"agg": "count"}],
                                                        "where": 'client.name == "Client of anna"'})
    assert everyone.get_json()["result"]["rows"][-1]["cells"][0] == 1


def test_a_list_where_through_a_link_sees_only_linked_records_in_reach(world, readers):
    api, _ = readers
    assert _list(api["carl"], "contacts", where='client.name == "Client of anna"').get_json()["total"] == 0
    assert _list(api["carl"], "contacts", where='client.name == "Client of carl"').get_json()["total"] == 1
    refused = _list(api["carl"], "contacts", where=f'client.tax_id == "{SECRETS["anna"]}"')
    assert refused.status_code in (400, 422)
    assert "tax_id" not in str(refused.get_json()["error"].get("details", {}).get("suggestions", ""))
    # an empty link: the contact of anna's client has, for carl, no client at all
    assert _list(api["carl"], "contacts", where="is_empty(client)").get_json()["total"] >= 2
    # the same through OR: the row rule and the trash still apply to the whole condition
    both = _list(api["carl"], "contacts", where='name == "x" or client.name == "Client of boris"')
    assert both.get_json()["total"] == 0


def test_back_link_aggregates_count_only_rows_in_reach(world, readers):
    api, _ = readers
    assert _list(api["dora"], "clients", where="count(invoices) > 0").get_json()["total"] == 0
    assert world.api["admin"].get("/tables/clients/records",
                                  query_string={"where": "count(invoices) > 0"}).get_json()["total"] == 2


def test_quick_search_and_sort_see_linked_display_values_only_in_reach(world, readers):
    api, _ = readers
    assert _list(api["carl"], "contacts", search="Client of anna").get_json()["total"] == 0
    found = _list(api["carl"], "contacts", search="Client of carl").get_json()
    assert [r["name"] for r in found["records"]] == ["Contact carl"]
    admin_found = world.api["admin"].get("/tables/contacts/records", query_string={"search": "Client of anna"})
    assert admin_found.get_json()["total"] == 1
    listed = _list(api["carl"], "contacts", sort="client", per_page=50).get_json()["records"]
    shown = [r["client"]["display"] for r in listed if r.get("client")]
    assert "Client of carl" in shown and not any("Client of" in s and "carl" not in s for s in shown)


def test_filter_and_sort_through_a_link_on_the_pivot_drill_and_export(world, readers):
    api, _ = readers
    r = api["carl"].get("/tables/contacts/export", query_string={"format": "csv", "sort": "client"})
    assert r.status_code == 200
    assert b"Client of anna" not in r.data and b"Client of carl" in r.data
    r = _list(api["carl"], "contacts", filter="client.name:contains:Client of")
    assert r.get_json()["total"] == 1


def test_the_formula_check_knows_no_hidden_names(world, readers):
    api, _ = readers
    r = api["carl"].post("/tables/contacts/formula/check", json={"expression": "client.tax_i"})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert not r.get_json()["ok"] and "tax_id" not in body
    r = api["carl"].post("/tables/contacts/formula/check", json={"expression": "client.name"})
    assert r.get_json()["ok"]


def test_shared_reports_naming_what_a_reader_may_not_see_are_not_shown_to_them(world, readers):
    api, _ = readers
    admin = world.api["admin"]
    made = {}
    for name, table, definition in (
            ("By tax id", "clients", {"rows": [{"field": "tax_id"}], "values": [{"agg": "count"}]}),
            ("Invoices", "invoices", {"values": [{"agg": "count"}]}),
            ("Contacts by client", "contacts", {"rows": [{"field": "client.name"}], "values": [{"agg": "count"}]}),
            ("Where phone", "contacts", {"values": [{"agg": "count"}], "where": 'client.phone == "1"'})):
        r = admin.post("/reports", json={"name": name, "table": table, "definition": definition, "shared": True})
        assert r.status_code in (200, 201), r.get_json()
        made[name] = r.get_json()["id"]
    names = {r["name"] for r in api["carl"].get("/reports").get_json()["reports"]}
    assert names == {"Contacts by client"}
    for hidden in ("By tax id", "Invoices", "Where phone"):
        assert api["carl"].get(f"/reports/{made[hidden]}").status_code == 404
        assert api["carl"].get(f"/reports/{made[hidden]}/run").status_code == 404
    ran = api["carl"].get(f"/reports/{made['Contacts by client']}/run")
    assert ran.status_code == 200 and b"Client of anna" not in ran.data
