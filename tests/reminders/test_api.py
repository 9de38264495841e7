"""Reminder rules, the inbox and mailings over the REST API: shapes, errors, unknown keys."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.reminders import ReminderEngine

UTC = dt.timezone.utc


@pytest.fixture
def api(app, rt):
    boss = rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
    _, secret = rt.users.create_token(boss, "t")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    rt.schema.create_table(boss, {"label": "Events", "api_name": "events", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Email", "api_name": "email", "type": "email"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    client.boss = boss
    return client


def rule_body(**extra):
    body = {"table": "events", "name": "Call", "field": "starts_at",
            "offset": {"amount": 15, "unit": "minutes", "direction": "before"},
            "recipients": [{"type": "field", "field": "responsible"}], "message": "Call about {subject}"}
    body.update(extra)
    return body


def test_rules_crud(api):
    created = api.post("/api/v1/reminder-rules", json=rule_body())
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()
    assert created.headers["Location"].endswith(f"/reminder-rules/{rule['id']}")
    assert rule["field"] == "starts_at" and rule["offset"]["amount"] == 15 and rule["problem"] is None
    assert api.get("/api/v1/reminder-rules?table=events").get_json()["rules"][0]["id"] == rule["id"]
    changed = api.patch(f"/api/v1/reminder-rules/{rule['id']}", json={"enabled": False})
    assert changed.status_code == 200 and changed.get_json()["enabled"] is False
    assert api.delete(f"/api/v1/reminder-rules/{rule['id']}").status_code == 200
    assert api.get(f"/api/v1/reminder-rules/{rule['id']}").status_code == 404
    assert api.post(f"/api/v1/reminder-rules/{rule['id']}/restore").status_code == 200
    assert api.get(f"/api/v1/reminder-rules/{rule['id']}/log").get_json() == {"log": []}


def test_bad_rules_are_refused_with_the_position(api):
    bad = api.post("/api/v1/reminder-rules", json=rule_body(condition='stauts == "x"'))
    error = bad.get_json()["error"]
    assert bad.status_code == 422 and error["code"] == "FORMULA_UNKNOWN_NAME"
    assert error["details"]["position"]["column"] == 1
    unknown = api.post("/api/v1/reminder-rules", json=rule_body(colour="red"))
    assert unknown.status_code == 400 and unknown.get_json()["error"]["code"] == "UNKNOWN_KEYS"
    nested = api.post("/api/v1/reminder-rules", json=rule_body(offset={"amount": 1, "units": "days"}))
    assert nested.status_code == 422 and "offset" in nested.get_json()["error"]["message"]
    assert api.get("/api/v1/reminder-rules/99").get_json()["error"]["code"] == "REMINDER_RULE_NOT_FOUND"


def test_inbox_over_the_api(api, rt):
    boss = api.boss
    rt.records.create(boss, "events", {"subject": "prices", "responsible": boss.id,
                                       "starts_at": "2026-03-02T09:00:00Z"})
    api.post("/api/v1/reminder-rules", json=rule_body())
    from cardfile.metamodel.storage.messaging_tables import cf_reminder_rules
    import sqlalchemy as sa
    with rt.engine.begin() as conn:  # the rule was made at 8:00
        conn.execute(sa.update(cf_reminder_rules).values(checked_until=dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))
    ReminderEngine(rt).tick(dt.datetime(2026, 3, 2, 8, 46, tzinfo=UTC))
    assert api.get("/api/v1/inbox/count").get_json() == {"unread": 1}
    [item] = api.get("/api/v1/inbox").get_json()["items"]
    assert item["body"] == "Call about prices" and item["table"] == "events"
    future = (dt.datetime.now(UTC) + dt.timedelta(hours=1)).isoformat()
    snoozed = api.post(f"/api/v1/inbox/{item['id']}/snooze", json={"until": future})
    assert snoozed.status_code == 200 and snoozed.get_json()["snoozed_until"]
    assert api.get("/api/v1/inbox/count").get_json() == {"unread": 0}
    assert api.post(f"/api/v1/inbox/{item['id']}/snooze", json={"until": "tomorrow"}).status_code == 400
    assert api.post(f"/api/v1/inbox/{item['id']}/read").get_json()["read_at"]
    assert api.get("/api/v1/inbox?show=all").get_json()["total"] == 1
    assert api.post("/api/v1/inbox/999/read").status_code == 404
    history = api.get(f"/api/v1/tables/events/records/{item['record']}/history").get_json()["history"]
    assert history[-1]["action"] == "reminder"


def test_mailings_over_the_api(api, rt):
    rt.records.create(api.boss, "events", {"subject": "a", "email": "a@example.com"})
    body = {"table": "events", "name": "News", "email_field": "email", "audience": {"filters": []},
            "subject": "About {subject}", "text": "Hello"}
    created = api.post("/api/v1/mailings", json=body)
    assert created.status_code == 201, created.get_json()
    mailing = created.get_json()
    preview = api.get(f"/api/v1/mailings/{mailing['id']}/preview").get_json()
    assert preview["subject"] == "About a" and preview["total"] == 1
    unsaved = api.post("/api/v1/mailings/preview", json={**body, "record": 1})
    assert unsaved.status_code == 200 and unsaved.get_json()["subject"] == "About a"
    started = api.post(f"/api/v1/mailings/{mailing['id']}/start")  # no site address yet
    assert started.status_code == 422 and "address" in started.get_json()["error"]["message"]
    assert api.post("/api/v1/mailings", json={**body, "audience": {"filter": []}}).status_code == 422
    assert api.post("/api/v1/mailings", json={**body, "from": "x"}).status_code == 400
    assert api.get(f"/api/v1/mailings/{mailing['id']}/recipients").get_json()["total"] == 0
    assert api.post(f"/api/v1/mailings/{mailing['id']}/cancel").get_json()["state"] == "cancelled"
