"""Users and API tokens: argon2 hashes, one message for every failed sign-in, hashed tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import AccessDenied, AuthenticationFailed, InvalidDefinition, NameClash, NotFound
from cardfile.metamodel.storage.platform_tables import cf_tokens, cf_users
from cardfile.metamodel.users import TOKEN_USE_STEP


def user_row(runtime, username):
    with runtime.engine.connect() as conn:
        return conn.execute(sa.select(cf_users).where(cf_users.c.username == username)).mappings().one()


def test_passwords_are_stored_as_argon2_hashes(runtime, admin, staff):
    row = user_row(runtime, "staff")
    assert row["password_hash"].startswith("$argon2id$")
    assert "staff-password" not in row["password_hash"]
    assert runtime.users.authenticate("staff", "staff-password") == staff
    assert user_row(runtime, "staff")["last_login_at"] is not None
    runtime.users.set_password("staff", "a-new-password", actor=staff)
    assert user_row(runtime, "staff")["password_hash"] != row["password_hash"]
    assert runtime.users.authenticate("staff", "a-new-password").id == staff.id


def test_failed_sign_ins_give_the_same_message(runtime, admin, staff):
    messages = set()
    for username, password in (("staff", "wrong-password"), ("nobody", "staff-password"), ("", ""),
                               ("staff", None)):
        with pytest.raises(AuthenticationFailed) as info:
            runtime.users.authenticate(username, password)
        messages.add(info.value.message)
    assert messages == {"Wrong username or password."}


def test_a_disabled_user_is_refused(runtime, admin, staff):
    token_id, secret = runtime.users.create_token(staff, "script")
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(cf_users).where(cf_users.c.id == staff.id).values(is_active=False))
    with pytest.raises(AuthenticationFailed) as info:
        runtime.users.authenticate("staff", "staff-password")
    assert info.value.message == "Wrong username or password."
    with pytest.raises(AuthenticationFailed):
        runtime.users.actor_for_token(secret)
    assert runtime.users.get(staff.id).is_active is False


def test_tokens_are_stored_hashed_and_can_be_revoked(runtime, admin, staff):
    token_id, secret = runtime.users.create_token(staff, "integration")
    with runtime.engine.connect() as conn:
        row = conn.execute(sa.select(cf_tokens).where(cf_tokens.c.id == token_id)).mappings().one()
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(dict(row)) and row["last_used_at"] is None
    assert runtime.users.actor_for_token(secret) == staff
    listed = runtime.users.list_tokens(staff.id)
    assert listed[0]["last_used_at"] is not None and listed[0]["prefix"] == secret[:8]
    with pytest.raises(AuthenticationFailed):
        runtime.users.actor_for_token(secret + "x")
    with pytest.raises(AuthenticationFailed):
        runtime.users.actor_for_token("")
    other_id, _ = runtime.users.create_token(admin, "admin's")
    with pytest.raises(AccessDenied):
        runtime.users.revoke_token(other_id, actor=staff)
    runtime.users.revoke_token(token_id, actor=staff)
    with pytest.raises(AuthenticationFailed):
        runtime.users.actor_for_token(secret)
    assert runtime.users.list_tokens(staff.id)[0]["revoked"] is True
    with pytest.raises(NotFound):
        runtime.users.revoke_token(9999, trusted=True)


def test_a_token_of_an_admin_group_member_acts_as_an_administrator(runtime, admin, staff):
    _, secret = runtime.users.create_token(staff, "member")
    assert runtime.users.actor_for_token(secret).is_admin is False
    runtime.groups.create(admin, "admins", is_admin=True)
    runtime.groups.create(admin, "clerks")
    runtime.groups.add_member(admin, "clerks", "staff")
    assert runtime.users.actor_for_token(secret).is_admin is False
    runtime.groups.add_member(admin, "admins", "staff")
    assert runtime.users.actor_for_token(secret).is_admin is True
    runtime.groups.remove_member(admin, "admins", "staff")
    assert runtime.users.actor_for_token(secret) == staff


def test_user_management_rules(runtime, admin, staff):
    with pytest.raises(AccessDenied):
        runtime.users.create("third", "password-3", actor=staff)
    with pytest.raises(NameClash):
        runtime.users.create("staff", "password-3", actor=admin)
    with pytest.raises(InvalidDefinition):
        runtime.users.create("has space", "password-3", actor=admin)
    with pytest.raises(InvalidDefinition):
        runtime.users.create("short", "1234567", actor=admin)
    with pytest.raises(InvalidDefinition):
        runtime.users.create("second-admin", "password-3", bootstrap=True)
    with pytest.raises(AccessDenied):
        runtime.users.set_password("admin", "hijacked-password", actor=staff)
    assert [u["username"] for u in runtime.users.list()] == ["admin", "staff"]


def test_token_use_is_written_at_most_once_a_step(runtime, staff):
    token_id, secret = runtime.users.create_token(staff, "poller")

    def last_used():
        with runtime.engine.connect() as conn:
            return conn.execute(sa.select(cf_tokens.c.last_used_at).where(cf_tokens.c.id == token_id)).scalar_one()

    runtime.users.actor_for_token(secret)
    first = last_used()
    assert first is not None
    for _ in range(3):  # within the step: read only, the time stays
        assert runtime.users.actor_for_token(secret) == staff
    assert last_used() == first
    older = first - TOKEN_USE_STEP - dt.timedelta(seconds=1)
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(cf_tokens).where(cf_tokens.c.id == token_id).values(last_used_at=older))
    runtime.users.actor_for_token(secret)
    assert last_used() > older + TOKEN_USE_STEP
