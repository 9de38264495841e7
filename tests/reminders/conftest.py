"""Reminder fixtures: a small events table, two users, and a clock the tests move."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.reminders import Inbox, ReminderEngine, RuleService

UTC = dt.timezone.utc
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    return None


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, now: dt.datetime = START):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def crm(runtime, admin):
    """Clients (with a manager) and events (with a responsible user and a date-time)."""
    runtime.schema.create_table(admin, {"label": "Clients", "api_name": "clients", "fields": [
        {"label": "Name", "api_name": "name", "type": "text"},
        {"label": "Manager", "api_name": "manager", "type": "user"},
        {"label": "Secret", "api_name": "secret", "type": "text"},
        {"label": "Birthday", "api_name": "birthday", "type": "date"}]})
    runtime.schema.create_table(admin, {"label": "Events", "api_name": "events", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Status", "api_name": "status", "type": "choice", "options": {
            "choices": [{"value": "planned", "label": "Planned"}, {"value": "done", "label": "Done"}]}},
        {"label": "Client", "api_name": "client", "type": "link", "options": {"target": "clients"}},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    return runtime


@pytest.fixture
def anna(runtime, admin, crm):
    """A user who reads everything except the clients' secret field."""
    user = runtime.users.create("anna", "anna-password", name="Anna", email="anna@example.com", actor=admin)
    runtime.groups.create(admin, "sales")
    runtime.groups.set_permission(admin, "sales", "*", {"actions": ["read", "create", "update", "delete"]})
    runtime.groups.set_permission(admin, "sales", "clients", {
        "actions": ["read", "create", "update", "delete"], "fields": {"secret": "hidden"}})
    runtime.groups.add_member(admin, "sales", "anna")
    return user


@pytest.fixture
def boris(runtime, admin, crm):
    """A user who may read only his own events (row rule: responsible == me)."""
    user = runtime.users.create("boris", "boris-password", name="Boris", email="boris@example.com", actor=admin)
    runtime.groups.create(admin, "field")
    runtime.groups.set_permission(admin, "field", "events", {"actions": ["read"],
                                                             "rows": {"condition": "responsible == me"}})
    runtime.groups.add_member(admin, "field", "boris")
    return user


@pytest.fixture
def rules(runtime, clock):
    return RuleService(runtime, clock=clock)


@pytest.fixture
def engine(runtime, clock):
    return ReminderEngine(runtime, clock=clock)


@pytest.fixture
def inbox(runtime, clock):
    return Inbox(runtime, clock=clock)
