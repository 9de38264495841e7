"""System fields (owner, created_by, updated_by, created_at, updated_at) in row rules,
formulas and ``where=``: read-only names on every table, in SQL and in Python."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.formulas.filters import where_filter
from cardfile.metamodel.records.query import ListQuery


def test_a_row_rule_through_a_link_reads_the_linked_records_owner(world):
    """B26: ``client.owner == me`` on invoices is accepted and limits the rows."""
    rt, admin = world.rt, world.users["admin"]
    rt.groups.create(admin, "Owners")
    rt.users.create("olga", "olga-password", name="Olga", actor=admin)
    rt.groups.add_member(admin, "Owners", "olga")
    olga = rt.users.by_username("olga")
    rt.groups.set_permission(admin, "Owners", "invoices", {"actions": ["read"],
                                                           "rows": {"condition": "client.owner == me"}})
    rt.groups.set_permission(admin, "Owners", "clients", {"actions": ["read", "create"], "rows": "own"})
    mine = rt.records.create(olga, "clients", {"name": "Olga's client"})
    assert mine["owner"] == olga.id
    invoice = rt.records.create(admin, "invoices", {"client": mine["id"], "date": "2026-02-01"})
    seen = rt.records.list(olga, "invoices")["records"]
    assert [r["id"] for r in seen] == [invoice["id"]]


def test_a_condition_on_created_at_and_created_by(world):
    rt, admin = world.rt, world.users["admin"]
    rt.groups.create(admin, "Recent")
    rt.groups.set_permission(admin, "Recent", "clients", {
        "actions": ["read"], "rows": {"condition": "created_by == me or date(updated_at) < date(2000, 1, 1)"}})
    rt.users.create("rita", "rita-password", actor=admin)
    rt.groups.add_member(admin, "Recent", "rita")
    assert rt.records.list(rt.users.by_username("rita"), "clients")["total"] == 0
    with pytest.raises(CardfileError) as info:
        rt.groups.set_permission(admin, "Recent", "contacts", {
            "actions": ["read"], "rows": {"condition": "created_at + 1"}})
    assert "yes or no" in info.value.details["errors"][0]["message"]


def test_formula_fields_read_system_fields_in_sql_and_in_python(world):
    rt, admin = world.rt, world.users["admin"]
    anna = world.users["anna"]
    rt.schema.add_field(admin, "clients", {"label": "Mine", "api_name": "mine", "type": "formula",
                                           "options": {"expression": "owner == created_by"}})
    rt.schema.add_field(admin, "clients", {"label": "Age", "api_name": "age_days", "type": "formula",
                                           "options": {"expression": "days_between(created_at, updated_at)"}})
    # line items read their parent's system fields too: a Python-only path
    rt.schema.add_field(admin, "contacts", {"label": "Client owner", "api_name": "client_owner",
                                            "type": "formula", "options": {"expression": "client.owner"}})
    client = rt.records.create(admin, "clients", {"name": "Fresh", "manager": anna.id})
    got = rt.records.get(admin, "clients", client["id"])
    assert got["mine"] is True
    assert got["age_days"] in ("0", 0, "0.00")
    contact = rt.records.create(admin, "contacts", {"client": client["id"], "name": "Someone"})
    assert str(rt.records.get(admin, "contacts", contact["id"])["client_owner"]) == str(admin.id)


def test_where_filters_use_system_fields(world):
    rt, admin = world.rt, world.users["admin"]
    anna = world.users["anna"]
    rt.records.create(anna, "clients", {"name": "Anna's own"})
    where = where_filter("owner == me", rt.registry, me=anna)
    names = [r["name"] for r in rt.records.list(anna, "clients", ListQuery(where=where))["records"]]
    assert names == ["Anna's own"]
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date()
    where = where_filter(f"date(created_at) < date({later.year}, {later.month}, {later.day})", rt.registry, me=admin)
    assert rt.records.list(admin, "clients", ListQuery(where=where))["total"] >= 3


def test_a_new_manager_creates_and_sees_their_own_clients(world):
    """B21: the sample's account manager defaults to whoever adds the client (``me``)."""
    rt, admin = world.rt, world.users["admin"]
    rt.users.create("nina", "nina-password", name="Nina", actor=admin)
    rt.groups.add_member(admin, "Managers", "nina")
    nina = rt.users.by_username("nina")
    assert rt.records.list(nina, "clients")["total"] == 0
    created = rt.records.create(nina, "clients", {"name": "Nina's first client"})
    assert created["manager"]["id"] == nina.id
    assert [r["name"] for r in rt.records.list(nina, "clients")["records"]] == ["Nina's first client"]
    by_admin = rt.records.create(admin, "clients", {"name": "Given to Nina", "manager": nina.id})
    assert rt.records.get(nina, "clients", by_admin["id"])["manager"]["id"] == nina.id
