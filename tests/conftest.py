"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL.

``db_url`` is parametrised over both databases. PostgreSQL comes from
``CARDFILE_TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1/test``); each test
gets its own schema, dropped afterwards. When ``CI`` is set, an unreachable PostgreSQL
fails the run instead of skipping.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from cardfile.metamodel.runtime import Settings, build_runtime

PG_URL = os.environ.get("CARDFILE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
_pg_state: dict = {}


def _pg_engine():
    if "engine" not in _pg_state:
        url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            _pg_state["engine"] = engine
        except Exception as exc:  # noqa: BLE001 - report the reason
            _pg_state["error"] = str(exc)
            _pg_state["engine"] = None
    return _pg_state["engine"]


def pg_schema():
    """Create a fresh PostgreSQL schema; returns (name, drop function)."""
    engine = _pg_engine()
    if engine is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {_pg_state.get('error')}")
        pytest.skip(f"PostgreSQL not reachable: {_pg_state.get('error')}")
    name = "cft_" + uuid.uuid4().hex[:12]
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')

    def drop():
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    return name, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """(database_url, schema) for one fresh database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}", None
        return
    name, drop = pg_schema()
    yield PG_URL, name
    drop()


@pytest.fixture
def settings(db, tmp_path) -> Settings:
    url, schema = db
    return Settings(data_dir=tmp_path / "data", database_url=url, db_schema=schema,
                    secret_key="test-secret", max_upload_bytes=1024 * 1024, max_json_bytes=256 * 1024)


@pytest.fixture
def runtime(settings):
    rt = build_runtime(settings)
    yield rt
    rt.dispose()


@pytest.fixture
def admin(runtime):
    return runtime.users.create("admin", "admin-password", name="Admin", is_admin=True, bootstrap=True)


@pytest.fixture
def staff(runtime, admin):
    """A user in the "staff" group, which may read, add, change, delete, export and print
    the records of every table (no design, no administration)."""
    user = runtime.users.create("staff", "staff-password", name="Staff Member", actor=admin)
    runtime.groups.create(admin, "staff")
    runtime.groups.set_permission(admin, "staff", "*", {
        "actions": ["read", "create", "update", "delete", "export", "print"]})
    runtime.groups.add_member(admin, "staff", "staff")
    return user


@pytest.fixture
def make_table(runtime, admin):
    """Factory: ``make_table("Clients", [("Name", "text", {...}), …])`` -> api name."""

    def make(label: str, fields: list, **extra) -> str:
        spec = {"label": label, **extra, "fields": [
            {"label": f[0], "type": f[1], **({"options": f[2]} if len(f) > 2 else {})} for f in fields]}
        return runtime.schema.create_table(admin, spec)["api_name"]

    return make


@pytest.fixture
def fast_password_hashing(monkeypatch):
    """Argon2 with the smallest cost: still real argon2id hashes, without 0.1 s per user.

    Suites that create users in every test turn it on with an autouse fixture.
    """
    from argon2 import PasswordHasher

    from cardfile.metamodel import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def app_config(settings) -> dict:
    """create_app's test configuration for the parametrised database."""
    return {**{f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}, "TESTING": True}


@pytest.fixture
def app(settings):
    """The Flask app over the parametrised database (imported here: platform is the top layer)."""
    from cardfile.platform.app import create_app

    app = create_app(app_config(settings))
    yield app
    app.extensions["cardfile"].dispose()


@pytest.fixture
def rt(app):
    return app.extensions["cardfile"]
