"""The History tab: links by name (B9), and a forced retype recorded with the values it
emptied, never shown as "— → —" (B17)."""

from __future__ import annotations

import html
import re

import pytest


@pytest.fixture
def crm(rt, boss):
    rt.schema.create_table(boss, {"api_name": "clients", "label": "Clients", "fields": [
        {"api_name": "name", "label": "Name", "type": "text"}]})
    rt.schema.create_table(boss, {"api_name": "deals", "label": "Deals", "fields": [
        {"api_name": "title", "label": "Title", "type": "text"},
        {"api_name": "client", "label": "Client", "type": "link", "options": {"target": "clients"}},
        {"api_name": "code", "label": "Code", "type": "text"}]})
    acme = rt.records.create(boss, "clients", {"name": "Acme Ltd"})
    globex = rt.records.create(boss, "clients", {"name": "Globex"})
    deal = rt.records.create(boss, "deals", {"title": "Chairs", "client": acme["id"], "code": "12"})
    deal = rt.records.update(boss, "deals", deal["id"], {"client": globex["id"]}, version=deal["version"])
    return deal


def _history(page: str) -> str:
    found = re.search(r'<section[^>]*id="tab-history".*?</section>', page, re.S)
    assert found, page
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def test_history_names_linked_records(rt, boss, crm, browser):
    history = rt.records.history(boss, "deals", crm["id"])
    assert history[0]["changes"]["client"] == [None, {"id": 1, "display": "Acme Ltd"}]
    assert history[1]["changes"]["client"] == [{"id": 1, "display": "Acme Ltd"}, {"id": 2, "display": "Globex"}]
    text = _history(browser.get(f"/t/deals/{crm['id']}").get_data(as_text=True))
    assert "Client : Acme Ltd → Globex" in text
    assert "Client : — → Acme Ltd" in text
    assert "Client : — → 1" not in text and "Acme Ltd → 2" not in text


def test_a_forced_retype_is_recorded_with_the_values_it_emptied(rt, boss, crm, browser):
    other = rt.records.create(boss, "deals", {"title": "Desks", "code": "A-7"})
    rt.records.update(boss, "deals", other["id"], {"code": "B-8"}, version=other["version"])
    result = rt.schema.update_field(boss, "deals", "code", {"type": "integer"}, force=True)
    assert result["conversion"]["lost"] == 1
    history = rt.records.history(boss, "deals", other["id"])
    assert history[-1]["action"] == "convert"
    assert history[-1]["changes"]["code"] == ["B-8", None]
    assert history[-1]["changes"]["_conversion"]["from"] == "text"
    assert history[-1]["version"] == 2  # the record itself did not change version
    assert [e["action"] for e in rt.records.history(boss, "deals", crm["id"])] == ["create", "update"]

    text = _history(browser.get(f"/t/deals/{other['id']}").get_data(as_text=True))
    assert "Code : A-7 → B-8" in text  # older values are shown as they were, not as "—"
    assert "Code : B-8 → —" in text
    assert "from Single-line text to Integer" in text and "could not be kept" in text
    assert "— → —" not in text


def test_the_retype_note_follows_the_fields_visibility(rt, boss, crm):
    viewer = rt.users.create("viewer", "viewer-password", name="Viewer", actor=boss)
    rt.groups.create(boss, "viewers")
    rt.groups.set_permission(boss, "viewers", "*", {"actions": ["read"]})
    rt.groups.set_permission(boss, "viewers", "deals", {"actions": ["read"], "fields": {"code": "hidden"}})
    rt.groups.add_member(boss, "viewers", "viewer")
    other = rt.records.create(boss, "deals", {"title": "Desks", "code": "A-7"})
    rt.schema.update_field(boss, "deals", "code", {"type": "integer"}, force=True)
    entry = rt.records.history(viewer, "deals", other["id"])[-1]
    assert entry["action"] == "convert" and entry["changes"] == {}
    assert rt.records.history(boss, "deals", other["id"])[-1]["changes"]["_conversion"]["field"] == "code"
