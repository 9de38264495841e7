"""The navigation lists the saved reports a user may open: own and shared ones on tables
the user may read — never another user's personal report."""

from __future__ import annotations

import html
import re

import pytest

from cardfile.reports.service import ReportService


pytestmark = pytest.mark.usefixtures("fast_password_hashing")


COUNT = {"rows": [{"field": "name"}], "values": [{"agg": "count"}]}


def nav_reports(page: str) -> list[str]:
    block = re.search(r'<div class="nav-section nav-reports">(.*?)</div>', page, re.S)
    return [html.unescape(n) for n in re.findall(r">([^<>]+)</a>", block.group(1))] if block else []


def test_saved_reports_the_user_may_open_are_in_the_navigation(app, rt, boss, login):
    rt.schema.create_table(boss, {"label": "Clients", "fields": [{"label": "Name", "type": "text"}]})
    rt.schema.create_table(boss, {"label": "Secrets", "fields": [{"label": "Name", "type": "text"}]})
    clerk = rt.users.create("clerk", "clerk-password", name="Clerk", actor=boss)
    rt.groups.create(boss, "clerks")
    rt.groups.set_permission(boss, "clerks", "clients", {"actions": ["read"]})
    rt.groups.add_member(boss, "clerks", "clerk")
    reports = ReportService(rt)
    reports.create(boss, {"name": "Boss's own", "table": "clients", "definition": COUNT})
    shared = reports.create(boss, {"name": "Clients by name", "table": "clients", "definition": COUNT,
                                   "shared": True})
    reports.create(boss, {"name": "Secret count", "table": "secrets", "definition": COUNT, "shared": True})
    mine = reports.create(clerk, {"name": "My clients", "table": "clients", "definition": COUNT})

    client = app.test_client()
    assert login(client, "clerk", "clerk-password").status_code == 302
    for url in ("/", "/t/clients", "/reports/", f"/reports/{shared['id']}"):
        page = client.get(url).get_data(as_text=True)
        assert nav_reports(page) == ["Clients by name", "My clients"], url
    page = client.get(f"/reports/{mine['id']}").get_data(as_text=True)
    assert re.search(rf'href="/reports/{mine["id"]}" aria-current="page"', page)

    boss_client = app.test_client()
    assert login(boss_client).status_code == 302
    assert nav_reports(boss_client.get("/").get_data(as_text=True)) == [
        "Boss's own", "Clients by name", "My clients", "Secret count"]
