"""Reminders in the browser: the rule designer checks the condition as it is typed and
saves a rule; the scheduler's tick (time moved, not waited for) rings the bell; the inbox
opens the record, snoozes and marks read."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from playwright.sync_api import expect

from cardfile.metamodel.reminders import ReminderEngine
from cardfile.metamodel.storage.messaging_tables import cf_reminder_rules

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_rule_designer_bell_and_inbox(live, boss, new_page, sign_in, shot):
    rt = live.rt
    rt.schema.create_table(boss, {"label": "Events", "api_name": "events", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Status", "api_name": "status", "type": "choice", "options": {
            "choices": [{"value": "planned", "label": "Planned"}, {"value": "done", "label": "Done"}]}},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    for subject in ("Call Acme", "Call Zeta"):
        rt.records.create(boss, "events", {"subject": subject, "status": "planned", "responsible": boss.id,
                                           "starts_at": "2026-03-02T09:00:00Z"})
    page = new_page()
    sign_in(page)

    # the designer: a condition that does not check is shown with its column, as typed
    page.goto("/reminders/new?table=events")
    page.get_by_label("Name").fill("Call soon")
    page.get_by_label("How long").fill("15")
    page.get_by_label("Only when (optional)").fill('stauts != "done"')
    expect(page.locator("#condition-state")).to_contain_text("column 1")
    page.get_by_label("Only when (optional)").fill('status != "done"')
    expect(page.locator("#condition-state")).to_have_text("✓")
    page.get_by_label("Responsible").check()
    page.get_by_label("The record's owner").uncheck()
    page.get_by_label("Message").fill("")
    page.locator(".insert-name[data-name='subject']").click()
    shot(page, "reminders-01-rule-designer")
    with page.expect_navigation():
        page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("Reminder rule saved.")).to_be_visible()

    # time moves to 8:45 (the rule was made at 8:00): the scheduler's tick delivers both
    with rt.engine.begin() as conn:
        conn.execute(sa.update(cf_reminder_rules).values(checked_until=NOW))
    assert ReminderEngine(rt).tick(NOW + dt.timedelta(minutes=45)).delivered == 2
    page.goto("/")
    bell = page.locator("#bell")
    expect(bell.locator(".bell-count")).to_have_text("2")
    shot(page, "reminders-02-bell")
    with page.expect_navigation():
        bell.click()
    items = page.locator(".inbox-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Call soon")
    shot(page, "reminders-03-inbox")

    # snooze one: it leaves the unread list and the count
    first = items.first
    first.get_by_label("Snooze for").select_option("tomorrow")
    with page.expect_navigation():
        first.get_by_role("button", name="Snooze").click()
    expect(page.locator(".inbox-item")).to_have_count(1)
    expect(page.locator("#bell .bell-count")).to_have_text("1")

    # open the other: it is read, the bell is quiet, the card shows the record
    with page.expect_navigation():
        page.locator(".inbox-item").first.get_by_role("button", name="Open the record").click()
    assert "/t/events/" in page.url
    expect(page.locator("#bell .bell-count")).to_have_count(0)
    page.goto("/inbox?show=all")
    expect(page.locator(".inbox-item")).to_have_count(2)
    expect(page.locator(".inbox-item.unread")).to_have_count(1)  # the snoozed one, still unread
