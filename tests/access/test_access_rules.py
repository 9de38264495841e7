"""Groups, rule definitions, union semantics, disabling, throttling, reassign owner, view as."""

from __future__ import annotations

import pytest

from cardfile.metamodel.actors import Actor
from cardfile.metamodel.errors import AccessDenied, AuthenticationFailed, RecordNotFound
from cardfile.metamodel.security_log import TooManyAttempts


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    return None


@pytest.fixture
def deals(runtime, admin, make_table):
    table = make_table("Deals", [("Title", "text"), ("Region", "text"), ("Secret", "text"),
                                 ("Manager", "user")])
    return table


def _user(runtime, admin, name, **attrs):
    user = runtime.users.create(name, f"{name}-password", actor=admin)
    if attrs:
        runtime.users.update_user(name, {"attributes": attrs}, admin)
    return user


def test_a_new_group_can_do_nothing_and_grants_combine_as_a_union(runtime, admin, deals):
    ann = _user(runtime, admin, "ann", region="north")
    runtime.groups.create(admin, "north")
    runtime.groups.add_member(admin, "north", "ann")
    with pytest.raises(AccessDenied):
        runtime.records.list(ann, deals)
    runtime.records.create(admin, deals, {"title": "N1", "region": "north", "secret": "S-N1"})
    runtime.records.create(admin, deals, {"title": "S1", "region": "south", "secret": "S-S1",
                                          "manager": ann.id})
    runtime.groups.set_permission(admin, "north", deals, {
        "actions": ["read"], "rows": {"condition": "region == me.region"}, "fields": {"secret": "hidden"}})
    listed = runtime.records.list(ann, deals)["records"]
    assert [r["title"] for r in listed] == ["N1"] and "secret" not in listed[0]
    runtime.groups.create(admin, "managers")
    runtime.groups.add_member(admin, "managers", "ann")
    runtime.groups.set_permission(admin, "managers", deals, {
        "actions": ["read", "update"], "rows": {"condition": "manager == me"}})
    listed = runtime.records.list(ann, deals)["records"]
    assert sorted(r["title"] for r in listed) == ["N1", "S1"]
    # secret is hidden only when every group granting read hides it: "managers" does not
    assert all("secret" in r for r in listed)
    north = next(r for r in listed if r["title"] == "N1")
    with pytest.raises(AccessDenied):  # readable through "north", but only "managers" may update
        runtime.records.update(ann, deals, north["id"], {"title": "x"}, version=north["version"])


def test_a_condition_that_does_not_check_is_refused_with_its_position(runtime, admin, deals):
    runtime.groups.create(admin, "g")
    with pytest.raises(Exception) as info:
        runtime.groups.set_permission(admin, "g", deals, {"actions": ["read"], "rows": {"condition": "regoin == me"}})
    assert info.value.details["position"]["column"] == 1
    with pytest.raises(Exception) as info:
        runtime.groups.set_permission(admin, "g", deals, {"actions": ["read"], "rows": {"condition": "title +"}})
    assert info.value.details["position"] is not None


def test_own_and_group_scopes(runtime, admin, deals):
    a, b, c = (_user(runtime, admin, n) for n in ("a1", "b1", "c1"))
    runtime.groups.create(admin, "team")
    runtime.groups.set_members(admin, "team", ["a1", "b1"])
    runtime.groups.set_permission(admin, "team", deals, {"actions": ["read", "create"], "rows": "group"})
    runtime.groups.create(admin, "solo")
    runtime.groups.add_member(admin, "solo", "c1")
    runtime.groups.set_permission(admin, "solo", deals, {"actions": ["read", "create"], "rows": "own"})
    for user in (a, b, c):
        runtime.records.create(user, deals, {"title": user.username})
    assert sorted(r["title"] for r in runtime.records.list(a, deals)["records"]) == ["a1", "b1"]
    assert [r["title"] for r in runtime.records.list(c, deals)["records"]] == ["c1"]
    foreign = runtime.records.list(a, deals)["records"][0]["id"]
    with pytest.raises(RecordNotFound):
        runtime.records.get(c, deals, foreign)


def test_disabled_users_cannot_sign_in_and_their_tokens_stop(runtime, admin):
    bob = _user(runtime, admin, "bob")
    _, secret = runtime.users.create_token(bob, "t")
    assert runtime.users.actor_for_token(secret).id == bob.id
    runtime.users.set_active("bob", False, admin)
    with pytest.raises(AuthenticationFailed):
        runtime.users.actor_for_token(secret)
    with pytest.raises(AuthenticationFailed):
        runtime.users.authenticate("bob", "bob-password")
    with pytest.raises(AuthenticationFailed):  # an actor resolved before the change
        runtime.access.require_active(bob)
    assert next(u for u in runtime.users.list() if u["username"] == "bob")["is_active"] is False
    events = [e["event"] for e in runtime.security.list(admin)]
    assert "user_disabled" in events and "login_failed" in events


def test_repeated_failures_lock_out_without_revealing_users(runtime, admin):
    _user(runtime, admin, "carl")
    for name in ("carl", "nobody-here"):
        for _ in range(runtime.users.throttle.max_failures):
            with pytest.raises(AuthenticationFailed) as info:
                runtime.users.authenticate(name, "wrong-password")
            assert info.value.message == "Wrong username or password."
        with pytest.raises(TooManyAttempts) as locked:
            runtime.users.authenticate(name, "carl-password")
        assert "Too many failed sign-ins" in locked.value.message
    assert "login_locked" in [e["event"] for e in runtime.security.list(admin)]


def test_reassign_owner_moves_records_in_one_step_and_audits(runtime, admin, deals):
    old, new = _user(runtime, admin, "leaving"), _user(runtime, admin, "staying")
    runtime.groups.create(admin, "sales")
    runtime.groups.set_members(admin, "sales", ["leaving", "staying"])
    runtime.groups.set_permission(admin, "sales", deals, {"actions": ["read", "create"], "rows": "own"})
    for i in range(3):
        runtime.records.create(old, deals, {"title": f"D{i}", "region": "north" if i else "south"})
    with pytest.raises(AccessDenied):
        runtime.records.reassign_owner(old, "leaving", "staying")
    result = runtime.records.reassign_owner(admin, "leaving", "staying", tables=[deals],
                                            filters=[("region", "eq", "north")])
    assert result["total"] == 2
    assert sorted(r["title"] for r in runtime.records.list(new, deals)["records"]) == ["D1", "D2"]
    result = runtime.records.reassign_owner(admin, "leaving", "staying")
    assert result["moved"] == {deals: 1}
    record = runtime.records.list(new, deals)["records"][0]
    history = runtime.records.history(new, deals, record["id"])
    assert history[-1]["changes"]["owner"] == [old.id, new.id]
    assert "owner_reassigned" in [e["event"] for e in runtime.security.list(admin)]


def test_a_preview_sees_what_the_group_sees_and_changes_nothing(runtime, admin, deals):
    runtime.groups.create(admin, "readers")
    group_id = runtime.groups.get(admin, "readers")["id"]
    runtime.groups.set_permission(admin, "readers", deals, {"actions": ["read", "create"],
                                                             "fields": {"secret": "hidden"}})
    runtime.records.create(admin, deals, {"title": "T", "secret": "hush"})
    preview = Actor(id=admin.id, username="admin", previewed_by=admin.id, preview_groups=(group_id,))
    records = runtime.records.list(preview, deals)["records"]
    assert records and "secret" not in records[0]
    with pytest.raises(AccessDenied):
        runtime.records.create(preview, deals, {"title": "no"})
    with pytest.raises(AccessDenied):
        runtime.groups.create(preview, "nope")


def test_history_hides_old_values_of_hidden_fields(runtime, admin, deals):
    reader = _user(runtime, admin, "reader")
    runtime.groups.create(admin, "r")
    runtime.groups.add_member(admin, "r", "reader")
    runtime.groups.set_permission(admin, "r", deals, {"actions": ["read"], "fields": {"secret": "hidden"}})
    record = runtime.records.create(admin, deals, {"title": "T", "secret": "first-secret"})
    runtime.records.update(admin, deals, record["id"], {"secret": "second-secret", "title": "T2"},
                           version=record["version"])
    history = runtime.records.history(reader, deals, record["id"])
    assert "secret" not in repr(history) and "T2" in repr(history)


def test_a_link_to_a_record_outside_the_row_scope_shows_only_its_id(runtime, admin, make_table):
    firms = make_table("Firms", [("Name", "text"), ("Manager", "user")])
    visits = make_table("Visits", [("Subject", "text"), ("Firm", "link", {"target": firms})])
    ann = _user(runtime, admin, "ann")
    runtime.groups.create(admin, "field")
    runtime.groups.add_member(admin, "field", "ann")
    runtime.groups.set_permission(admin, "field", firms, {"actions": ["read"], "rows": {"condition": "manager == me"}})
    runtime.groups.set_permission(admin, "field", visits, {"actions": ["read"]})
    mine = runtime.records.create(admin, firms, {"name": "Ann's Firm", "manager": ann.id})
    other = runtime.records.create(admin, firms, {"name": "RIVAL-SECRET Ltd"})
    runtime.records.create(admin, visits, {"subject": "a", "firm": mine["id"]})
    runtime.records.create(admin, visits, {"subject": "b", "firm": other["id"]})
    shown = {r["subject"]: r["firm"] for r in runtime.records.list(ann, visits)["records"]}
    assert shown["a"] == {"id": mine["id"], "display": "Ann's Firm"}
    assert shown["b"] == {"id": other["id"], "display": f"#{other['id']}"}
    admin_view = {r["subject"]: r["firm"] for r in runtime.records.list(admin, visits)["records"]}
    assert admin_view["b"]["display"] == "RIVAL-SECRET Ltd"


def test_an_import_cannot_link_to_or_create_records_outside_the_row_scope(runtime, admin, make_table):
    firms = make_table("Firms", [("Name", "text"), ("Manager", "user")])
    visits = make_table("Visits", [("Subject", "text"), ("Firm", "link", {"target": firms}), ("Manager", "user")])
    ann = _user(runtime, admin, "ann")
    runtime.groups.create(admin, "field")
    runtime.groups.add_member(admin, "field", "ann")
    runtime.groups.set_permission(admin, "field", firms, {"actions": ["read"], "rows": {"condition": "manager == me"}})
    runtime.groups.set_permission(admin, "field", visits, {"actions": ["read", "create"],
                                                           "rows": {"condition": "manager == me"}})
    mine = runtime.records.create(admin, firms, {"name": "Mine", "manager": ann.id})
    other = runtime.records.create(admin, firms, {"name": "Rival"})
    report = runtime.records.write_many(ann, visits, [(1, None, {"subject": "x", "firm": other["id"], "manager": ann.id})])
    assert not report.written and report.errors and report.errors[0].field == "firm"
    with pytest.raises(AccessDenied):  # the new record would not be the importer's to read
        runtime.records.write_many(ann, visits, [(1, None, {"subject": "y", "firm": mine["id"]})])
    report = runtime.records.write_many(ann, visits, [(1, None, {"subject": "z", "firm": mine["id"], "manager": ann.id})])
    assert report.written and report.created == 1
    assert runtime.records.list(admin, visits)["total"] == 1


def test_filters_through_a_link_see_only_readable_fields_and_rows(runtime, admin, make_table):
    from cardfile.metamodel.errors import FieldNotFound
    from cardfile.metamodel.records.query import ListQuery

    firms = make_table("Firms", [("Name", "text"), ("Secret", "text"), ("Manager", "user")])
    visits = make_table("Visits", [("Subject", "text"), ("Firm", "link", {"target": firms})])
    ann = _user(runtime, admin, "ann")
    runtime.groups.create(admin, "field")
    runtime.groups.add_member(admin, "field", "ann")
    runtime.groups.set_permission(admin, "field", firms, {
        "actions": ["read"], "rows": {"condition": "manager == me"}, "fields": {"secret": "hidden"}})
    runtime.groups.set_permission(admin, "field", visits, {"actions": ["read", "export"]})
    mine = runtime.records.create(admin, firms, {"name": "Mine", "secret": "S1", "manager": ann.id})
    other = runtime.records.create(admin, firms, {"name": "Rival", "secret": "S2"})
    runtime.records.create(admin, visits, {"subject": "a", "firm": mine["id"]})
    runtime.records.create(admin, visits, {"subject": "b", "firm": other["id"]})
    by_name = lambda who, name: runtime.records.list(who, visits, ListQuery(filters=[("firm.name", "eq", name)]))["total"]
    assert by_name(admin, "Rival") == 1 and by_name(ann, "Rival") == 0 and by_name(ann, "Mine") == 1
    with pytest.raises(FieldNotFound):
        runtime.records.list(ann, visits, ListQuery(filters=[("firm.secret", "eq", "S2")]))


def test_design_on_a_table_lets_a_group_change_only_that_tables_fields(runtime, admin, make_table):
    notes = make_table("Notes", [("Title", "text")])
    other = make_table("Other", [("Title", "text")])
    dan = _user(runtime, admin, "dan")
    runtime.groups.create(admin, "designers")
    runtime.groups.add_member(admin, "designers", "dan")
    runtime.groups.set_permission(admin, "designers", notes, {"actions": ["read", "design"]})
    added = runtime.schema.add_field(dan, notes, {"label": "Due", "type": "date"})
    assert added["api_name"] == "due"
    runtime.schema.update_field(dan, notes, "due", {"label": "Due date"})
    with pytest.raises(AccessDenied):
        runtime.schema.add_field(dan, other, {"label": "Due", "type": "date"})
    with pytest.raises(AccessDenied):  # tables themselves stay with administrators
        runtime.schema.create_table(dan, {"label": "Mine"})
    with pytest.raises(AccessDenied):  # no hint whether a table exists
        runtime.schema.add_field(dan, "no_such_table", {"label": "X", "type": "text"})
