"""The pages: bell and inbox, the rule designer, mailings, the mail admin page, unsubscribe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from cardfile.metamodel.mail.unsubscribe import make_token
from cardfile.metamodel.reminders import ReminderEngine
from cardfile.metamodel.storage.messaging_tables import cf_reminder_rules, cf_unsubscribes

UTC = dt.timezone.utc


def token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


@pytest.fixture
def site(app, rt):
    boss = rt.users.create("boss", "boss-password", name="Boss", email="boss@example.com", is_admin=True,
                           bootstrap=True)
    rt.schema.create_table(boss, {"label": "Events", "api_name": "events", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Email", "api_name": "email", "type": "email"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"username": "boss", "password": "boss-password",
                                       "csrf_token": token(page)}).status_code == 302
    client.boss = boss
    return client


def test_the_bell_counts_and_the_inbox_lists(site, rt):
    rt.records.create(site.boss, "events", {"subject": "call <Acme>", "responsible": site.boss.id,
                                            "starts_at": "2026-03-02T09:00:00Z"})
    page = site.get("/reminders/new?table=events").get_data(as_text=True)
    saved = site.post("/reminders/save", data={
        "csrf_token": token(page), "table": "events", "name": "Call soon", "kind": "reminder", "field": "starts_at",
        "offset_amount": "15", "offset_unit": "minutes", "offset_direction": "before", "at": "09:00",
        "recipient": ["field:responsible"], "message": "Call: {subject}", "channel": ["inbox"], "enabled": "1"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with rt.engine.begin() as conn:
        conn.execute(sa.update(cf_reminder_rules).values(checked_until=dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))
    ReminderEngine(rt).tick(dt.datetime(2026, 3, 2, 8, 45, tzinfo=UTC))
    home = site.get("/").get_data(as_text=True)
    assert 'class="bell-count" data-count="1"' in home
    inbox = site.get("/inbox").get_data(as_text=True)
    assert "Call soon" in inbox and "Call: call &lt;Acme&gt;" in inbox
    item = re.search(r'data-id="(\d+)"', inbox).group(1)
    opened = site.post(f"/inbox/{item}", data={"csrf_token": token(inbox), "action": "open"})
    assert opened.status_code == 302 and "/t/events/1" in opened.headers["Location"]
    assert "bell-count" not in site.get("/").get_data(as_text=True)
    snoozed = site.post(f"/inbox/{item}", data={"csrf_token": token(inbox), "action": "snooze", "until": "1h"})
    assert snoozed.status_code == 302
    assert "Snoozed until" in site.get("/inbox?show=snoozed").get_data(as_text=True)
    card = site.get("/t/events/1").get_data(as_text=True)
    assert "reminder sent" in card and "“Call soon” to Boss" in card


def test_the_rule_designer_shows_errors_and_problems(site, rt):
    page = site.get("/reminders/new?table=events").get_data(as_text=True)
    assert "Starts at" in page and "Responsible" in page
    bad = site.post("/reminders/save", data={
        "csrf_token": token(page), "table": "events", "name": "Broken", "kind": "reminder", "field": "starts_at",
        "offset_amount": "1", "offset_unit": "hours", "offset_direction": "before", "condition": "nosuch > 1",
        "recipient": ["owner"], "message": "x", "channel": ["inbox"], "enabled": "1"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "nosuch" in body and 'value="nosuch &gt; 1"' in body
    assert site.get("/reminders").status_code == 200


def test_mailing_pages(site, rt):
    rt.records.create(site.boss, "events", {"subject": "Ana", "email": "ana@example.com"})
    page = site.get("/mailings/new?table=events").get_data(as_text=True)
    saved = site.post("/mailings/save", data={
        "csrf_token": token(page), "table": "events", "name": "Prices", "email_field": "email",
        "audience": "filter", "where": "", "subject": "Hi {subject}", "text": "New prices"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    shown = site.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Hi Ana" in shown and "one of 1 recipients" in shown
    assert "Prices" in site.get("/mailings").get_data(as_text=True)


def test_mail_admin_page_and_test_button(site, rt):
    page = site.get("/admin/mail").get_data(as_text=True)
    assert "Outgoing mail server" in page and "reminders" in page
    saved = site.post("/admin/mail/settings", data={"csrf_token": token(page), "host": "127.0.0.1", "port": "1",
                                                     "security": "none", "from_addr": "office@example.com",
                                                     "per_minute": "30", "base_url": "https://crm.example.com"})
    assert saved.status_code == 302
    tested = site.post("/admin/mail/test", data={"csrf_token": token(page), "to": "me@example.com"},
                       follow_redirects=True)
    assert "The test message was not sent" in tested.get_data(as_text=True)


def test_unsubscribe_without_signing_in(app, rt, site):
    table = rt.schema.snapshot().table("events")
    link = f"/unsubscribe/{make_token(app.config['SECRET_KEY'], table.id, 7, 1)}"
    anonymous = app.test_client()
    assert "Stop receiving" in anonymous.get(link).get_data(as_text=True)
    done = anonymous.post(link)
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert anonymous.get(link.replace("/1.", "/2.")).status_code == 404
    with rt.engine.connect() as conn:
        assert conn.execute(sa.select(cf_unsubscribes.c.record_id)).scalars().all() == [7]
