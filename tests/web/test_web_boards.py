"""Calendar and kanban views: pages, the JSON API, moves with the version check, saved
views, and the access rules (row scope, hidden and read-only fields) — on SQLite and
PostgreSQL."""

from __future__ import annotations

import re

import pytest

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import resolve
from cardfile.metamodel.packages.extras import apply_extras

from .conftest import form_token  # noqa: F401  (the login fixture uses it)

KINDS = [{"value": "call", "label": "Call", "color": "#3498db"},
         {"value": "meeting", "label": "Meeting", "color": "#16a085"}]
STAGES = [{"value": "new", "label": "New"}, {"value": "won", "label": "Won"}, {"value": "lost", "label": "Lost"}]


@pytest.fixture(autouse=True)
def _fast(fast_password_hashing):
    return None


@pytest.fixture
def crm(rt, boss):
    rt.schema.create_table(boss, {"label": "Events", "api_name": "events", "display_field": "subject", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Kind", "api_name": "kind", "type": "choice", "options": {"choices": KINDS}},
        {"label": "Responsible", "api_name": "responsible", "type": "user"},
        {"label": "Secret", "api_name": "secret", "type": "text"}]})
    rt.schema.create_table(boss, {"label": "Deals", "api_name": "deals", "display_field": "title", "fields": [
        {"label": "Title", "api_name": "title", "type": "text"},
        {"label": "Stage", "api_name": "stage", "type": "choice", "options": {"choices": STAGES}},
        {"label": "Due", "api_name": "due", "type": "date"},
        {"label": "Responsible", "api_name": "responsible", "type": "user"},
        {"label": "Secret", "api_name": "secret", "type": "text"}]})
    return rt


@pytest.fixture
def people(crm, boss):
    """Mia, a manager: reads every event and deal but changes only her own; the secret
    field is hidden from her and a deal's stage is read-only... for the "viewers" group only."""
    mia = crm.users.create("mia", "mia-password", name="Mia", actor=boss)
    leo = crm.users.create("leo", "leo-password", name="Leo", actor=boss)
    crm.groups.create(boss, "managers")
    crm.groups.create(boss, "editors")
    for table in ("events", "deals"):
        crm.groups.set_permission(boss, "managers", table, {
            "actions": ["read"], "fields": {"secret": "hidden"}})
        crm.groups.set_permission(boss, "editors", table, {
            "actions": ["read", "update"], "rows": {"condition": "responsible == me"},
            "fields": {"secret": "hidden"}})
    for group in ("managers", "editors"):
        crm.groups.add_member(boss, group, "mia")
    return {"mia": mia, "leo": leo}


def add(rt, actor, table, **values):
    return rt.records.create(actor, table, values)


def signed_in(app, login, username, password):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def csrf(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def post(client, url, body):
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf(client)})


# --- calendar ---------------------------------------------------------------------------
def test_calendar_shows_the_range_by_day_and_moves_with_the_version(crm, boss, browser):
    march = add(crm, boss, "events", subject="Call «Acme» <b>", starts_at="2026-03-10T14:30:00Z", kind="call")
    add(crm, boss, "events", subject="April meeting", starts_at="2026-04-20T09:00:00Z", kind="meeting")

    page = browser.get("/t/events/calendar?at=2026-03-05")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Call «Acme» &lt;b&gt;" in html and "<b>" not in html.split("Call «Acme»")[1][:20]
    assert "April meeting" not in html  # 2026-03-05's month page ends on 5 April
    assert 'data-day="2026-03-10"' in html and 'data-color="#3498db"' in html and 'draggable="true"' in html

    data = browser.get("/api/v1/tables/events/calendar?from=2026-03-01&to=2026-03-31").get_json()
    assert "items" in data, data
    assert [(i["title"], i["day"], i["time"], i["color"]["value"], i["movable"]) for i in data["items"]] == \
        [("Call «Acme» <b>", "2026-03-10", "14:30", "call", True)]

    moved = post(browser, "/api/v1/tables/events/calendar/move",
                 {"id": march["id"], "version": march["version"], "day": "2026-03-12", "date": "starts_at"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["starts_at"] == "2026-03-12T14:30:00Z"  # the time of day stays

    stale = post(browser, "/api/v1/tables/events/calendar/move",
                 {"id": march["id"], "version": march["version"], "day": "2026-03-20", "date": "starts_at"})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "STALE_VERSION"
    assert crm.records.get(boss, "events", march["id"])["starts_at"] == "2026-03-12T14:30:00Z"

    timed = post(browser, "/api/v1/tables/events/calendar/move", {
        "id": march["id"], "version": march["version"] + 1, "day": "2026-03-13", "time": "08:15",
        "date": "starts_at"})
    assert timed.get_json()["starts_at"] == "2026-03-13T08:15:00Z"
    week = browser.get("/t/events/calendar?mode=week&at=2026-03-13").get_data(as_text=True)
    assert 'data-hour="8"' in week and "08:15" in week


def test_calendar_range_is_bounded_and_bad_input_is_a_clear_error(crm, browser):
    too_long = browser.get("/api/v1/tables/events/calendar?from=2026-01-01&to=2026-06-01")
    assert too_long.status_code == 400 and "62 days" in too_long.get_json()["error"]["message"]
    not_a_date = browser.get("/api/v1/tables/events/calendar?from=2026-01-01&to=2026-01-05&date=subject")
    assert not_a_date.status_code == 422
    assert browser.get("/api/v1/tables/events/calendar?to=2026-01-05").status_code == 400


def test_a_manager_sees_all_but_moves_only_her_own_and_never_sees_hidden_fields(app, crm, boss, people, login):
    mine = add(crm, boss, "events", subject="Mia's call", starts_at="2026-03-10T10:00:00Z",
               responsible=people["mia"].id, secret="mia-secret-text")
    theirs = add(crm, boss, "events", subject="Leo's call", starts_at="2026-03-11T10:00:00Z",
                 responsible=people["leo"].id, secret="leo-secret-text")
    mia = signed_in(app, login, "mia", "mia-password")

    data = mia.get("/api/v1/tables/events/calendar?from=2026-03-01&to=2026-03-31").get_json()
    assert {i["title"]: i["movable"] for i in data["items"]} == {"Mia's call": True, "Leo's call": False}
    assert all("secret" not in i["record"] for i in data["items"])
    html = mia.get("/t/events/calendar?at=2026-03-01&color=kind").get_data(as_text=True)
    assert "secret-text" not in html and html.count('draggable="true"') == 1

    # the person filter: a calendar per employee
    only_leo = mia.get(f"/api/v1/tables/events/calendar?from=2026-03-01&to=2026-03-31"
                       f"&person_field=responsible&person={people['leo'].id}").get_json()
    assert [i["title"] for i in only_leo["items"]] == ["Leo's call"]

    refused = post(mia, "/api/v1/tables/events/calendar/move",
                   {"id": theirs["id"], "version": theirs["version"], "day": "2026-03-20", "date": "starts_at"})
    assert refused.status_code == 403, refused.get_json()
    assert "outside what you may update" in refused.get_json()["error"]["message"]
    assert crm.records.get(boss, "events", theirs["id"])["starts_at"] == "2026-03-11T10:00:00Z"
    ok = post(mia, "/api/v1/tables/events/calendar/move",
              {"id": mine["id"], "version": mine["version"], "day": "2026-03-20", "date": "starts_at"})
    assert ok.status_code == 200 and ok.get_json()["starts_at"] == "2026-03-20T10:00:00Z"

    # a field she may not see is no calendar for her
    hidden = mia.get("/api/v1/tables/events/calendar?from=2026-03-01&to=2026-03-02&date=secret")
    assert hidden.status_code == 422


def test_an_own_records_scope_shows_only_own_items(app, crm, boss, people, login):
    crm.groups.remove_permission(boss, "managers", "events")  # only the editors' own rows remain
    add(crm, boss, "events", subject="Mine", starts_at="2026-03-10T10:00:00Z", responsible=people["mia"].id)
    add(crm, boss, "events", subject="Not mine", starts_at="2026-03-10T11:00:00Z", responsible=people["leo"].id)
    mia = signed_in(app, login, "mia", "mia-password")
    data = mia.get("/api/v1/tables/events/calendar?from=2026-03-01&to=2026-03-31").get_json()
    assert [i["title"] for i in data["items"]] == ["Mine"] and data["total"] == 1
    assert "Not mine" not in mia.get("/t/events/calendar?at=2026-03-10").get_data(as_text=True)


# --- kanban -----------------------------------------------------------------------------
def test_kanban_columns_limit_more_and_moves(crm, boss, browser):
    for n in range(5):
        add(crm, boss, "deals", title=f"Deal {n}", stage="new", due="2026-05-01")
    won = add(crm, boss, "deals", title="Big one", stage="won")
    add(crm, boss, "deals", title="Unsorted")

    data = browser.get("/api/v1/tables/deals/kanban?field=stage&per_column=2").get_json()
    assert [(c["value"], c["total"], len(c["cards"]), c["more"]) for c in data["columns"]] == \
        [("new", 5, 2, True), ("won", 1, 1, False), ("lost", 0, 0, False), ("", 1, 1, False)]
    more = browser.get("/api/v1/tables/deals/kanban?field=stage&per_column=2&column=new&page=3").get_json()
    assert [len(c["cards"]) for c in more["columns"]] == [1]

    html = browser.get("/t/deals/kanban?field=stage").get_data(as_text=True)
    assert "Big one" in html and "No value" in html and 'data-value="won"' in html
    fragment = browser.get("/t/deals/kanban/cards?field=stage&column=&page=1").get_data(as_text=True)
    assert "Unsorted" in fragment

    moved = post(browser, "/api/v1/tables/deals/kanban/move",
                 {"id": won["id"], "version": won["version"], "value": "lost", "field": "stage"})
    assert moved.status_code == 200 and moved.get_json()["stage"] == "lost"
    stale = post(browser, "/api/v1/tables/deals/kanban/move",
                 {"id": won["id"], "version": won["version"], "value": "new", "field": "stage"})
    assert stale.status_code == 409
    assert crm.records.get(boss, "deals", won["id"])["stage"] == "lost"
    cleared = post(browser, "/api/v1/tables/deals/kanban/move",
                   {"id": won["id"], "version": won["version"] + 1, "value": None, "field": "stage"})
    assert cleared.get_json()["stage"] is None


def test_kanban_refuses_a_read_only_field_and_records_out_of_scope(app, crm, boss, people, login):
    crm.groups.set_permission(boss, "editors", "deals", {
        "actions": ["read", "update"], "rows": {"condition": "responsible == me"},
        "fields": {"secret": "hidden", "stage": "read_only"}})
    mine = add(crm, boss, "deals", title="Mine", stage="new", responsible=people["mia"].id, secret="s3cr3t")
    theirs = add(crm, boss, "deals", title="Theirs", stage="new", responsible=people["leo"].id)
    mia = signed_in(app, login, "mia", "mia-password")
    data = mia.get("/api/v1/tables/deals/kanban?field=stage").get_json()
    cards = {c["title"]: c for col in data["columns"] for c in col["cards"]}
    assert set(cards) == {"Mine", "Theirs"} and not any(c["movable"] for c in cards.values())
    assert "s3cr3t" not in mia.get("/t/deals/kanban?field=stage").get_data(as_text=True)
    for rec in (mine, theirs):
        refused = post(mia, "/api/v1/tables/deals/kanban/move",
                       {"id": rec["id"], "version": rec["version"], "value": "won", "field": "stage"})
        assert refused.status_code == 403, refused.get_json()
        assert crm.records.get(boss, "deals", rec["id"])["stage"] == "new"


# --- saved views --------------------------------------------------------------------------
def test_saved_board_views_open_from_the_list_and_are_checked(crm, boss, browser):
    bad = post(browser, "/api/v1/tables/deals/views", {"name": "Wrong", "definition": {
        "display": "kanban", "kanban": {"field": "due"}}})
    assert bad.status_code == 422 and "choice" in bad.get_json()["error"]["message"]
    missing = post(browser, "/api/v1/tables/deals/views", {"name": "Wrong", "definition": {"display": "calendar"}})
    assert missing.status_code == 422
    made = post(browser, "/api/v1/tables/deals/views", {"name": "Pipeline", "definition": {
        "display": "kanban", "kanban": {"field": "stage", "fields": ["due"]}, "filters": [["title", "contains", "x"]]}})
    assert made.status_code == 201, made.get_json()
    view_id = made.get_json()["id"]
    opened = browser.get(f"/t/deals?view={view_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/t/deals/kanban?view={view_id}")
    listed = browser.get("/t/deals").get_data(as_text=True)
    assert "Pipeline · kanban" in listed and "/t/deals/calendar" in listed and "/t/deals/kanban" in listed
    wrong_kind = browser.get(f"/api/v1/tables/deals/calendar?view={view_id}&from=2026-01-01&to=2026-01-02")
    assert wrong_kind.status_code == 400
    # the view's filter applies to the board
    add(crm, boss, "deals", title="x marks", stage="new")
    add(crm, boss, "deals", title="Zebra deal", stage="new")
    board = browser.get(f"/t/deals/kanban?view={view_id}").get_data(as_text=True)
    assert "x marks" in board and "Zebra deal" not in board


def test_the_customer_accounting_package_installs_its_boards(rt, boss):
    path, _source = resolve("customer-accounting")
    pkg = load_package(path)
    apply_package(rt, boss, pkg)
    boards = [v for v in pkg.extras["views"] if v["definition"].get("display") in ("calendar", "kanban")]
    assert {(v["table"], v["definition"]["display"]) for v in boards} >= \
        {("events", "calendar"), ("tasks", "calendar"), ("orders", "kanban"), ("contracts", "kanban"),
         ("deals", "kanban")}
    apply_extras(rt, boss, pkg.extras, {})
    from cardfile.metamodel.views import ViewService
    views = ViewService(rt.engine, rt.catalog, rt.access).list_views(boss, "events")
    calendar = next(v for v in views if v["name"] == "Events calendar")
    assert calendar["kind"] == "shared" and calendar["definition"]["calendar"]["person"] == "responsible"
    start = __import__("datetime").date(2026, 3, 2)
    from cardfile.metamodel.boards import Boards
    assert Boards(rt).calendar(boss, "events", calendar["definition"]["calendar"], start, start)["items"] == []


def test_what_a_manager_may_not_see_never_changes_her_boards(app, crm, boss, people, login):
    """Noninterference: change, add and move every record outside her scope — her calendar
    and kanban answers stay byte-identical (hidden fields: the tests above)."""
    crm.groups.remove_permission(boss, "managers", "events")  # events: her own only
    crm.groups.remove_permission(boss, "managers", "deals")
    mine = [add(crm, boss, "events", subject="Mine", starts_at="2026-03-10T10:00:00Z", kind="call",
                responsible=people["mia"].id, secret="a"),
            add(crm, boss, "deals", title="My deal", stage="new", responsible=people["mia"].id, secret="a")]
    theirs = [add(crm, boss, "events", subject="Leo's", starts_at="2026-03-11T10:00:00Z", kind="call",
                  responsible=people["leo"].id, secret="b"),
              add(crm, boss, "deals", title="Leo's deal", stage="new", responsible=people["leo"].id)]
    mia = signed_in(app, login, "mia", "mia-password")
    urls = ["/api/v1/tables/events/calendar?from=2026-03-01&to=2026-03-31&color=kind",
            "/api/v1/tables/deals/kanban?field=stage", "/t/deals/kanban/cards?field=stage&column=new&page=1"]

    def answers():
        return [mia.get(url).get_data() for url in urls]

    before = answers()
    crm.records.update(boss, "events", theirs[0]["id"], {"subject": "Other", "kind": "meeting", "secret": "c",
                                                         "starts_at": "2026-03-12T11:00:00Z"},
                       version=theirs[0]["version"])
    crm.records.update(boss, "deals", theirs[1]["id"], {"stage": "won", "title": "Other"}, version=theirs[1]["version"])
    add(crm, boss, "events", subject="New of Leo", starts_at="2026-03-15T10:00:00Z", responsible=people["leo"].id)
    add(crm, boss, "deals", title="New of Leo", stage="new", responsible=people["leo"].id)
    assert answers() == before
    assert b"Mine" in before[0] and b"My deal" in before[1]


def test_the_shown_fields_are_chosen_on_the_board(crm, boss, browser):
    add(crm, boss, "deals", title="Chosen", stage="new", due="2026-05-01", secret="visible-to-boss")
    default = browser.get("/t/deals/kanban?field=stage").get_data(as_text=True)
    assert "Due:" in default  # the first three fields besides the name and the column's field
    chosen = browser.get("/t/deals/kanban?field=stage&fields=&fields=secret").get_data(as_text=True)
    assert "visible-to-boss" in chosen and "Due:" not in chosen
    assert "fields=secret" in chosen  # "More" keeps the choice
    none = browser.get("/t/deals/kanban?field=stage&fields=").get_data(as_text=True)
    assert "Due:" not in none and "Chosen" in none
