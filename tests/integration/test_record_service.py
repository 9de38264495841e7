"""The record service on both databases: validation, defaults, unique values, references,
optimistic locking, the trash and the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import (
    AuthenticationFailed, BadQuery, RecordNotFound, StaleVersion, ValidationFailed,
)


@pytest.fixture
def crm(runtime, admin, make_table):
    make_table("Clients", [("Name", "text", {"required": True, "max_length": 40}),
                           ("Email", "email", {"unique": True}),
                           ("Discount", "percent", {"default": "5"}),
                           ("Active", "boolean", {"default": True}),
                           ("Visits", "integer", {"min": 0})], api_name="clients")
    make_table("Orders", [("Title", "text"), ("Client", "link", {"target": "clients"}),
                          ("Total", "money", {"currency": "EUR"}), ("Due", "date")], api_name="orders")
    return runtime.records


def audit_rows(runtime, record_id):
    from cardfile.metamodel.storage.platform_tables import cf_audit
    with runtime.engine.connect() as conn:
        return conn.execute(sa.select(cf_audit).where(cf_audit.c.record_id == record_id)
                            .order_by(cf_audit.c.id)).mappings().all()


def test_validation_errors_name_each_field_and_the_expected_type(crm, admin):
    with pytest.raises(ValidationFailed) as info:
        crm.create(admin, "clients", {"name": "x" * 41, "email": "nope", "discount": "lots",
                                      "active": "perhaps", "visits": -1, "colour": "red"})
    errors = info.value.errors
    assert set(errors) == {"name", "email", "discount", "active", "visits", "colour"}
    assert "(a single-line text field)" in errors["name"][0]
    assert errors["email"][0].startswith("not a valid email address") and "(an email field)" in errors["email"][0]
    assert errors["discount"][0] == "expected a number, got 'lots' (a percent field)"
    assert errors["visits"][0] == "must be at least 0 (an integer field)"
    assert "expected true or false" in errors["active"][0]
    assert "must be at least 0" in errors["visits"][0]
    assert "unknown field" in errors["colour"][0]
    assert crm.list(admin, "clients")["total"] == 0
    assert info.value.to_dict()["details"]["fields"] == errors


def test_required_and_defaults(crm, admin):
    with pytest.raises(ValidationFailed) as info:
        crm.create(admin, "clients", {"email": "a@example.com"})
    assert info.value.errors == {"name": ["is required"]}
    with pytest.raises(ValidationFailed):
        crm.create(admin, "clients", {"name": "   "})
    rec = crm.create(admin, "clients", {"name": "Acme"})
    assert (rec["discount"], rec["active"], rec["visits"]) == ("5.00", True, None)
    explicit = crm.create(admin, "clients", {"name": "Zeta", "discount": None, "active": False})
    assert (explicit["discount"], explicit["active"]) == (None, False)
    with pytest.raises(ValidationFailed) as info:
        crm.update(admin, "clients", rec["id"], {"name": ""}, version=rec["version"])
    assert info.value.errors == {"name": ["is required"]}
    assert crm.update(admin, "clients", rec["id"], {"visits": 3}, version=1)["name"] == "Acme"


def test_unique_values_have_a_clear_message_and_an_index(runtime, crm, admin):
    first = crm.create(admin, "clients", {"name": "A", "email": "a@example.com"})
    with pytest.raises(ValidationFailed) as info:
        crm.create(admin, "clients", {"name": "B", "email": "a@EXAMPLE.com"})
    assert info.value.errors["email"] == [f"must be unique; record #{first['id']} already has this value"]
    other = crm.create(admin, "clients", {"name": "B", "email": "b@example.com"})
    with pytest.raises(ValidationFailed):
        crm.update(admin, "clients", other["id"], {"email": "a@example.com"}, version=1)
    assert crm.update(admin, "clients", first["id"], {"email": "a@example.com"}, version=1)["version"] == 2
    # the database enforces it too (two writers racing past the service's check)
    snap = runtime.schema.snapshot()
    table = snap.table("clients")
    email = table.field("email")
    with runtime.engine.connect() as conn:
        found = [i for i in sa.inspect(conn).get_indexes(f"t_{table.id}")
                 if i["column_names"] == [f"f_{email.id}"]]
    assert found and found[0]["unique"]


def test_unique_violation_at_insert_becomes_a_field_error(runtime, crm, admin, monkeypatch):
    """The service's pre-check can lose a race; the index's error is reported the same way."""
    crm.create(admin, "clients", {"name": "A", "email": "a@example.com"})
    monkeypatch.setattr(type(crm), "_check_refs", lambda self, *a, **k: None)
    with pytest.raises(ValidationFailed) as info:
        crm.create(admin, "clients", {"name": "B", "email": "a@example.com"})
    assert list(info.value.errors) == ["email"] and "unique" in info.value.errors["email"][0]
    assert crm.list(admin, "clients")["total"] == 1


def test_links_must_point_at_live_records(crm, admin):
    client = crm.create(admin, "clients", {"name": "Acme"})
    with pytest.raises(ValidationFailed) as info:
        crm.create(admin, "orders", {"title": "o", "client": 999})
    assert info.value.errors == {"client": ["Clients #999 does not exist"]}
    order = crm.create(admin, "orders", {"title": "o", "client": client["id"]})
    crm.delete(admin, "clients", client["id"], version=client["version"])
    with pytest.raises(ValidationFailed):
        crm.create(admin, "orders", {"title": "p", "client": client["id"]})
    with pytest.raises(ValidationFailed):
        crm.update(admin, "orders", order["id"], {"client": client["id"]}, version=1)
    with pytest.raises(ValidationFailed):
        crm.create(admin, "orders", {"client": "abc"})
    assert crm.list(admin, "orders")["total"] == 1


def test_stale_update_is_refused_and_writes_nothing(runtime, crm, admin, staff):
    rec = crm.create(admin, "clients", {"name": "Acme", "visits": 1})
    crm.update(staff, "clients", rec["id"], {"visits": 2}, version=1)
    with pytest.raises(StaleVersion) as info:
        crm.update(admin, "clients", rec["id"], {"name": "Mine", "visits": 5}, version=1)
    assert "Staff Member" in info.value.message
    assert info.value.details["current_version"] == 2
    assert info.value.details["changes"][0]["changes"] == {"visits": [1, 2]}
    got = crm.get(admin, "clients", rec["id"])
    assert (got["name"], got["visits"], got["version"]) == ("Acme", 2, 2)
    assert [r["action"] for r in audit_rows(runtime, rec["id"])] == ["create", "update"]
    with pytest.raises(BadQuery):
        crm.update(admin, "clients", rec["id"], {"visits": 5})
    with pytest.raises(StaleVersion):
        crm.delete(admin, "clients", rec["id"], version=1)
    assert crm.get(admin, "clients", rec["id"])["version"] == 2


def test_version_in_the_data_is_used(crm, admin):
    rec = crm.create(admin, "clients", {"name": "Acme"})
    updated = crm.update(admin, "clients", rec["id"], {"name": "B", "version": 1})
    assert updated["version"] == 2
    with pytest.raises(StaleVersion):
        crm.update(admin, "clients", rec["id"], {"name": "C", "version": 1})


def test_soft_delete_and_restore(runtime, crm, admin):
    rec = crm.create(admin, "clients", {"name": "Acme", "email": "a@example.com"})
    assert crm.delete(admin, "clients", rec["id"], version=1) == {"id": rec["id"], "trashed": True, "version": 2}
    with pytest.raises(RecordNotFound):
        crm.get(admin, "clients", rec["id"])
    with pytest.raises(RecordNotFound):
        crm.update(admin, "clients", rec["id"], {"name": "X"}, version=2)
    with pytest.raises(RecordNotFound):
        crm.delete(admin, "clients", rec["id"])
    assert crm.get(admin, "clients", rec["id"], trashed=True)["deleted_at"]
    assert crm.list(admin, "clients")["total"] == 0
    restored = crm.restore(admin, "clients", rec["id"])
    assert restored["version"] == 3
    got = crm.get(admin, "clients", rec["id"])
    assert got["name"] == "Acme" and "deleted_at" not in got
    with pytest.raises(RecordNotFound):
        crm.restore(admin, "clients", rec["id"])
    for bad in ("abc", -1, 0, 2**70, None):
        with pytest.raises(RecordNotFound):
            crm.get(admin, "clients", bad)


def test_audit_entries_match_the_changes(crm, admin, staff):
    rec = crm.create(admin, "clients", {"name": "Acme", "visits": 1})
    crm.update(staff, "clients", rec["id"], {"name": "Acme", "visits": 2, "discount": "7.5"}, version=1)
    crm.update(admin, "clients", rec["id"], {"visits": 2}, version=2)  # no change
    crm.delete(staff, "clients", rec["id"], version=3)
    crm.restore(admin, "clients", rec["id"])
    history = crm.history(admin, "clients", rec["id"])
    assert [(h["action"], h["version"], h["user"]["id"]) for h in history] == [
        ("create", 1, admin.id), ("update", 2, staff.id), ("update", 3, admin.id),
        ("delete", 4, staff.id), ("restore", 5, admin.id)]
    assert history[0]["changes"] == {"name": [None, "Acme"], "visits": [None, 1], "discount": [None, "5.00"],
                                     "active": [None, True]}
    assert history[1]["changes"] == {"visits": [1, 2], "discount": ["5.00", "7.50"]}
    assert history[2]["changes"] == {}
    assert history[1]["user"]["display"] == "Staff Member"
    assert all(h["at"].endswith("Z") for h in history)


def test_audit_of_links_money_and_dates_is_json(crm, admin):
    a = crm.create(admin, "clients", {"name": "A"})
    b = crm.create(admin, "clients", {"name": "B"})
    order = crm.create(admin, "orders", {"client": a["id"], "total": "10", "due": "2025-01-31"})
    crm.update(admin, "orders", order["id"], {"client": b["id"], "total": {"amount": "12.5", "currency": "USD"},
                                              "due": None}, version=1)
    changes = crm.history(admin, "orders", order["id"])[1]["changes"]
    assert changes == {"client": [{"id": a["id"], "display": "A"}, {"id": b["id"], "display": "B"}],  # by name
                       "total": [{"amount": "10.00", "currency": "EUR"}, {"amount": "12.50", "currency": "USD"}],
                       "due": ["2025-01-31", None]}


def test_actor_is_required(crm, admin):
    from cardfile.metamodel.actors import Actor
    with pytest.raises(AuthenticationFailed):
        crm.create(None, "clients", {"name": "A"})
    disabled = Actor(id=admin.id, username="admin", is_active=False)
    with pytest.raises(AuthenticationFailed):
        crm.list(disabled, "clients")


def test_owner_and_system_columns(crm, admin, staff):
    rec = crm.create(staff, "clients", {"name": "Mine", "owner": admin.id, "id": 77, "version": 9})
    assert (rec["owner"], rec["created_by"], rec["version"]) == (staff.id, staff.id, 1)
    assert rec["id"] != 77 or rec["id"] == 1
    given = crm.create(admin, "clients", {"name": "Theirs", "owner": staff.id})
    assert given["owner"] == staff.id
    moved = crm.update(admin, "clients", given["id"], {"owner": admin.id}, version=1)
    assert moved["owner"] == admin.id
    for bad in ("abc", 999, True, None):
        with pytest.raises(ValidationFailed) as info:
            crm.update(admin, "clients", given["id"], {"name": "X", "owner": bad}, version=2)
        assert list(info.value.errors) == ["owner"]
    got = crm.get(admin, "clients", given["id"])
    assert (got["owner"], got["name"], got["version"]) == (admin.id, "Theirs", 2)
    assert rec["created_at"].endswith("Z") and rec["updated_at"].endswith("Z")
