"""Access set-up as the pages show it: a card draws only what the reader may see and offers
only what they may do (the customer-accounting roles, tax id hidden from managers)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import sample_path

ROLES = {"senior": "Senior managers", "anna": "Managers", "boris": "Managers", "victor": "Viewers"}


@pytest.fixture
def world(app):
    """The customer-accounting package and its roles; a client (with a contact) per manager."""
    rt = app.extensions["cardfile"]
    admin = rt.users.create("admin", "admin-password", name="Admin", bootstrap=True, is_admin=True)
    apply_package(rt, admin, load_package(sample_path("customer-accounting")))
    users = {"admin": admin}
    for name, group in ROLES.items():
        users[name] = rt.users.create(name, f"{name}-password", name=name.title(), actor=admin)
        rt.groups.add_member(admin, group, name)
    ids = {}
    for manager in ("anna", "boris"):
        client = rt.records.create(admin, "clients", {"name": f"Client of {manager}", "manager": users[manager].id,
                                                      "tax_id": f"TAXSECRET-{manager}"})
        rt.records.create(admin, "contacts", {"client": client["id"], "name": f"Contact {manager}"})
        ids[manager] = {"clients": client["id"]}
    api = {name: app.test_client() for name in users}
    tokens = {name: rt.users.create_token(user, "tests")[1] for name, user in users.items()}
    return SimpleNamespace(app=app, rt=rt, users=users, ids=ids, api=api, tokens=tokens)


def signed_in(world, name: str):
    client = world.app.test_client()
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    answer = client.post("/login", data={"username": name, "password": f"{name}-password", "csrf_token": token})
    assert answer.status_code == 302
    return client


def csrf(client) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)


@pytest.fixture
def hidden_tax_id(world):
    """Managers may not see the clients' tax id."""
    rt, admin = world.rt, world.users["admin"]
    rule = rt.groups.get(admin, "Managers")["permissions"]
    clients = next(p for p in rule if p["table"] == "clients")
    rt.groups.set_permission(admin, "Managers", "clients", {
        "actions": clients["actions"], "rows": clients["rows"],
        "fields": {**clients["fields"], "tax_id": "hidden"}})
    return world


def test_a_managers_card_shows_no_hidden_field_and_no_button_they_may_not_use(hidden_tax_id):
    world = hidden_tax_id
    anna = signed_in(world, "anna")
    card = anna.get(f"/t/clients/{world.ids['anna']['clients']}").get_data(as_text=True)
    assert "Tax ID" not in card and "TAXSECRET" not in card and 'data-field="tax_id"' not in card
    assert 'id="save-record"' in card and 'id="delete-record"' not in card  # no delete right
    # the account manager is shown, not editable (read-only for managers after creation)
    manager = re.search(r'<div class="field field-user" data-field="manager".*?</div>', card, re.S).group(0)
    assert "<output" in manager and "<select" not in manager
    listing = anna.get("/t/clients").get_data(as_text=True)
    assert "Tax ID" not in listing and "TAXSECRET" not in listing


def test_a_new_card_preselects_the_current_user_and_leaves_hidden_fields_out(hidden_tax_id):
    world = hidden_tax_id
    anna = signed_in(world, "anna")
    card = anna.get("/t/clients/new").get_data(as_text=True)
    assert 'data-field="tax_id"' not in card
    picker = re.search(r'<select id="f-manager".*?</select>', card, re.S).group(0)
    assert re.search(rf'<option value="{world.users["anna"].id}" selected>Anna</option>', picker)
    token = csrf(anna)
    made = anna.post("/t/clients/new", json={"name": "Made on the card", "manager": str(world.users["anna"].id),
                                             "kind": "organization", "status": "lead"},
                     headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["manager"]["id"] == world.users["anna"].id


def test_an_administrator_picks_the_account_manager_from_the_users(world):
    admin = signed_in(world, "admin")
    card = admin.get(f"/t/clients/{world.ids['anna']['clients']}").get_data(as_text=True)
    picker = re.search(r'<select id="f-manager".*?</select>', card, re.S).group(0)
    for name in ("Anna", "Boris", "Senior", "Victor"):
        assert f">{name}</option>" in picker
    assert re.search(rf'<option value="{world.users["anna"].id}" selected>', picker)
    employees = admin.get("/t/employees/new").get_data(as_text=True)
    assert re.search(r'<select id="f-user"', employees)  # the employee's user account too
    assert 'id="delete-record"' in card


def test_a_related_list_of_a_table_the_reader_may_not_read_is_left_out(world):
    """B24: a new table linking to clients, not granted to managers, does not break their cards."""
    rt, admin = world.rt, world.users["admin"]
    rt.schema.create_table(admin, {"label": "Equipment rentals", "api_name": "rentals", "fields": [
        {"label": "Item", "type": "text"},
        {"label": "Client", "api_name": "client", "type": "link", "options": {"target": "clients"}}]})
    rt.records.create(admin, "rentals", {"item": "Drill", "client": world.ids["anna"]["clients"]})
    anna = signed_in(world, "anna")
    card = anna.get(f"/t/clients/{world.ids['anna']['clients']}")
    assert card.status_code == 200
    text = card.get_data(as_text=True)
    assert "Equipment rentals" not in text and "Contact persons" in text
    assert "Add new" in text  # managers may add contacts
    shown = signed_in(world, "victor").get(f"/t/clients/{world.ids['anna']['clients']}").get_data(as_text=True)
    assert "Equipment rentals" in shown and "Add new" not in shown and 'id="save-record"' not in shown
    assert "Read only" in shown


def test_the_layout_names_no_hidden_field(hidden_tax_id):
    world = hidden_tax_id
    layout = world.api["anna"].get("/api/v1/tables/clients/layout",
                                   headers={"Authorization": f"Bearer {world.tokens['anna']}"}).get_json()
    names = [n for tab in layout["layout"]["tabs"] for s in tab["sections"] for col in s["fields"] for n in col]
    assert "tax_id" not in names and "name" in names


def test_the_administration_pages_speak_in_labels(world):
    admin = signed_in(world, "admin")
    home = admin.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in home  # the top bar links the administration
    page = admin.get("/admin/").get_data(as_text=True)
    assert "Clients · Account manager" in page and "Employees · User account" in page
    assert 'aria-label="Test as a member of Managers"' in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", page)  # dates in the reader's format
    managers = world.rt.groups.get(world.users["admin"], "Managers")["id"]
    group = admin.get(f"/admin/groups/{managers}").get_data(as_text=True)
    assert "Records where Account manager is the user" in group
    assert re.search(r'<option value="user:manager" selected>', group)  # manager == me shown as a choice
    assert ">Tax ID</span>" in group and "field_tax_id" in group
    log = admin.get("/admin/security-log").get_data(as_text=True)
    assert "Signed in" in log and not re.search(r"\d{4}-\d\d-\d\dT\d\d:", log)


def test_a_group_is_set_up_from_the_form(world):
    rt = world.rt
    admin = signed_in(world, "admin")
    token = csrf(admin)
    admin.post("/admin/groups", data={"name": "Sales team", "description": "Own clients", "csrf_token": token})
    group = rt.groups.get(world.users["admin"], "Sales team")
    answer = admin.post(f"/admin/groups/{group['id']}/permissions/clients", data={
        "csrf_token": token, "action_read": "1", "action_create": "1", "action_update": "1",
        "rows": "user:manager", "condition": "", "field_tax_id": "hidden", "field_name": ""})
    assert answer.status_code == 302
    admin.post(f"/admin/groups/{group['id']}/members", data={"csrf_token": token, "members": ["", "boris"]})
    group = rt.groups.get(world.users["admin"], "Sales team")
    assert group["permissions"] == [{"table": "clients", "actions": ["read", "create", "update"],
                                     "rows": {"condition": "manager == me"}, "fields": {"tax_id": "hidden"}}]
    assert [m["username"] for m in group["members"]] == ["boris"]
    refused = admin.post(f"/admin/groups/{group['id']}/permissions/invoices", data={
        "csrf_token": token, "action_read": "1", "rows": "condition", "condition": "client.managr == me"},
        follow_redirects=True).get_data(as_text=True)
    assert "unknown field" in refused and "managr" in refused


def test_reassign_moves_a_user_field_chosen_from_a_list(world):
    rt = world.rt
    admin = signed_in(world, "admin")
    answer = admin.post("/admin/reassign-owner", data={"csrf_token": csrf(admin), "what": "clients:manager",
                                                       "from": "anna", "to": "boris"}, follow_redirects=True)
    assert "1 record(s) moved from anna to boris." in answer.get_data(as_text=True)
    moved = rt.records.get(world.users["admin"], "clients", world.ids["anna"]["clients"])
    assert moved["manager"]["id"] == world.users["boris"].id
    assert moved["owner"] == world.users["admin"].id  # the owner stays
    history = rt.records.history(world.users["admin"], "clients", moved["id"])
    assert "manager" in history[-1]["changes"]
    assert rt.records.list(world.users["anna"], "clients")["total"] == 0
    assert rt.records.list(world.users["boris"], "clients")["total"] == 2
    wrong = admin.post("/admin/reassign-owner", data={"csrf_token": csrf(admin), "what": "clients:name",
                                                      "from": "boris", "to": "anna"}, follow_redirects=True)
    assert "has no user field" in wrong.get_data(as_text=True)


def test_a_hidden_required_field_is_not_required_of_those_who_cannot_see_it(hidden_tax_id):
    """B23: managers create clients though the tax id is required and hidden from them."""
    world = hidden_tax_id
    rt, admin = world.rt, world.users["admin"]
    rt.schema.update_field(admin, "clients", "tax_id", {"options": {"required": True, "max_length": 30}})
    anna = signed_in(world, "anna")
    made = anna.post("/t/clients/new", json={"name": "No tax id known", "kind": "organization", "status": "lead"},
                     headers={"X-CSRF-Token": csrf(anna)})
    assert made.status_code == 201, made.get_json()
    assert "tax_id" not in made.get_json()
    preview = anna.post("/t/clients/preview", json={"values": {"name": "x"}}, headers={"X-CSRF-Token": csrf(anna)})
    assert "tax_id" not in preview.get_json()["errors"]
    refused = world.app.test_client().post(
        "/api/v1/tables/clients/records", json={"name": "Still required of the administrator"},
        headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    assert refused.status_code == 422 and "tax_id" in refused.get_json()["error"]["details"]["fields"]


def test_list_buttons_follow_the_rights(world):
    """B25: New record, Trash and Delete selected only for those who may use them."""
    viewer = signed_in(world, "victor").get("/t/clients").get_data(as_text=True)
    assert "New record" not in viewer and "/t/clients/trash" not in viewer and "bulk-delete" not in viewer
    manager = signed_in(world, "anna").get("/t/clients").get_data(as_text=True)
    assert "New record" in manager and "bulk-delete" not in manager  # managers may not delete clients
    contacts = signed_in(world, "anna").get("/t/contacts").get_data(as_text=True)
    assert "bulk-delete" in contacts and "/t/contacts/trash" in contacts


def test_home_counts_what_the_user_may_read_and_what_is_due(hidden_tax_id):
    world = hidden_tax_id
    rt, admin = world.rt, world.users["admin"]
    import datetime as dt
    today = dt.date.today()
    for client, due in (("anna", today), ("anna", today - dt.timedelta(days=3)), ("boris", today),
                        ("anna", today + dt.timedelta(days=5))):
        rt.records.create(admin, "invoices", {"client": world.ids[client]["clients"], "date": (today - dt.timedelta(days=10)).isoformat(),
                                              "due_date": due.isoformat()})
    home = signed_in(world, "anna").get("/").get_data(as_text=True)
    clients = re.search(r'tile-main" href="/t/clients">.*?</li>', home, re.S).group(0)
    assert "1 record<" in clients
    invoices = re.search(r'tile-main" href="/t/invoices">.*?</li>', home, re.S).group(0)
    assert "3 records" in invoices and "1 due today" in invoices and "1 overdue" in invoices
    assert "where=due_date" in invoices
    everything = signed_in(world, "admin").get("/").get_data(as_text=True)
    assert "2 due today" in re.search(r'tile-main" href="/t/invoices">.*?</li>', everything, re.S).group(0)


def test_home_search_finds_across_tables_what_the_user_may_read(hidden_tax_id):
    world = hidden_tax_id
    anna = signed_in(world, "anna")
    found = anna.get("/?q=anna").get_data(as_text=True)
    assert "Client of anna" in found and "Contact anna" in found and "Client of boris" not in found
    assert "Nothing found" in anna.get("/?q=TAXSECRET").get_data(as_text=True)  # a hidden field is not searched
    assert "Client of boris" in signed_in(world, "admin").get("/?q=client").get_data(as_text=True)


def test_reassign_a_user_field_over_the_api_recomputes_what_reads_it(world):
    rt, admin = world.rt, world.users["admin"]
    rt.schema.add_field(admin, "clients", {"label": "Manager number", "api_name": "manager_no", "type": "formula",
                                           "options": {"expression": "manager"}})
    client = world.app.test_client()
    auth = {"Authorization": f"Bearer {world.tokens['admin']}"}
    answer = client.post("/api/v1/reassign-owner", headers=auth, json={
        "from": "anna", "to": "boris", "tables": ["clients"], "field": "manager"})
    assert answer.status_code == 200 and answer.get_json()["moved"] == {"clients": 1}
    moved = rt.records.get(admin, "clients", world.ids["anna"]["clients"])
    assert str(moved["manager_no"]).split(".")[0] == str(world.users["boris"].id)
    no_table = client.post("/api/v1/reassign-owner", headers=auth, json={"from": "boris", "to": "anna",
                                                                         "field": "manager"})
    assert no_table.status_code == 400 and "table" in no_table.get_json()["error"]["message"]
    log = rt.security.list(admin, event="owner_reassigned")[0]
    assert log["details"]["field"] == "manager" and log["details"]["moved"] == {"clients": 1}
