"""Card layouts, saved views and navigation sections over the API (both databases)."""

from __future__ import annotations


def make_clients(api):
    fields = [{"label": "Name", "type": "text"}, {"label": "City", "type": "text"},
              {"label": "Notes", "type": "long_text"}, {"label": "Since", "type": "date"}]
    assert api.post("/tables", json={"label": "Clients", "section": "Sales", "fields": fields}).status_code == 201


def test_a_new_table_has_a_default_layout_that_can_be_saved_and_reset(api):
    make_clients(api)
    got = api.get("/tables/clients/layout").get_json()
    assert got["stored"] is False
    tab = got["layout"]["tabs"][0]
    assert tab["sections"][0]["fields"] == [["name", "since"], ["city"]]
    assert tab["sections"][1]["fields"] == [["notes"]]
    layout = {"tabs": [{"title": "Main", "sections": [{"title": "Who", "columns": 1, "fields": [["name"]]}]},
                       {"title": "More", "sections": [{"title": "", "columns": 2, "fields": [["city"], ["notes"]]}]}]}
    saved = api.request("PUT", "/tables/clients/layout", json={"layout": layout}).get_json()
    # the unplaced field (since) is appended to the last section
    assert saved["layout"]["tabs"][1]["sections"][0]["fields"] == [["city"], ["notes", "since"]]
    api.post("/tables/clients/fields", json={"label": "Phone", "type": "phone"})
    again = api.get("/tables/clients/layout").get_json()
    assert again["stored"] is True and again["layout"]["tabs"][1]["sections"][0]["fields"][1][-1] == "phone"
    assert api.delete("/tables/clients/layout").get_json()["stored"] is False


def test_a_bad_layout_is_refused_with_the_envelope(api):
    make_clients(api)
    bad = {"tabs": [{"title": "A", "sections": [{"columns": 1, "fields": [["nope"]]}]}]}
    r = api.request("PUT", "/tables/clients/layout", json={"layout": bad})
    assert r.status_code == 422 and r.get_json()["error"]["details"] == {"field": "nope"}
    twice = {"tabs": [{"title": "A", "sections": [{"columns": 2, "fields": [["name"], ["name"]]}]}]}
    assert api.request("PUT", "/tables/clients/layout", json={"layout": twice}).status_code == 422
    r = api.request("PUT", "/tables/clients/layout", json={"layout": {"tabs": []}})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "INVALID_DEFINITION"


def test_views_personal_shared_and_default(api, clerk_api):
    make_clients(api)
    definition = {"columns": ["name", "city"], "widths": {"name": 220}, "filters": [["city", "eq", "Oslo"]],
                  "sort": ["-name"]}
    mine = clerk_api.post("/tables/clients/views", json={"name": "Oslo", "definition": definition})
    assert mine.status_code == 201 and mine.get_json()["kind"] == "personal"
    denied = clerk_api.post("/tables/clients/views", json={"name": "All", "kind": "shared", "definition": {}})
    assert denied.status_code == 403
    shared = api.post("/tables/clients/views", json={"name": "All", "kind": "shared", "definition": {}}).get_json()
    default = api.post("/tables/clients/views",
                       json={"name": "Default", "kind": "default", "definition": {"columns": ["city"]}}).get_json()
    names = [v["name"] for v in clerk_api.get("/tables/clients/views").get_json()["views"]]
    assert names == ["Default", "All", "Oslo"]
    assert [v["name"] for v in api.get("/tables/clients/views").get_json()["views"]] == ["Default", "All"]
    view_id = mine.get_json()["id"]
    assert api.get(f"/tables/clients/views/{view_id}").status_code == 404  # personal: only its owner
    assert clerk_api.delete(f"/tables/clients/views/{shared['id']}").status_code == 403
    renamed = clerk_api.patch(f"/tables/clients/views/{view_id}", json={"name": "Oslo clients"}).get_json()
    assert renamed["name"] == "Oslo clients" and renamed["definition"]["widths"] == {"name": 220}
    api.delete("/tables/clients/fields/city")
    assert clerk_api.get(f"/tables/clients/views/{view_id}").get_json()["definition"]["columns"] == ["name"]
    assert api.delete(f"/tables/clients/views/{default['id']}").get_json() == {"id": default["id"], "deleted": True}
    bad = clerk_api.post("/tables/clients/views", json={"name": "x", "definition": {"columns": ["ghost"]}})
    assert bad.status_code == 422


def test_sections_order_and_hide(api, clerk_api):
    make_clients(api)
    api.post("/tables", json={"label": "Products", "section": "Stock"})
    api.post("/tables", json={"label": "Notes"})
    got = api.get("/sections").get_json()["sections"]
    assert [(s["name"], s["tables"]) for s in got] == [("Sales", ["clients"]), ("Stock", ["products"]),
                                                        ("", ["notes"])]
    saved = api.request("PUT", "/sections", json={"sections": [{"name": "Stock"}, {"name": "Sales", "hidden": True}]})
    assert [(s["name"], s["hidden"]) for s in saved.get_json()["sections"]] == [("Stock", False), ("Sales", True), ("", False)]
    assert clerk_api.request("PUT", "/sections", json={"sections": []}).status_code == 403
    dup = api.request("PUT", "/sections", json={"sections": [{"name": "A"}, {"name": "a"}]})
    assert dup.status_code == 422
