"""The platform's own schema: migrations produce exactly ``platform_tables`` and run once."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cardfile.metamodel.storage import migrations
from cardfile.metamodel.storage.platform_tables import metadata


def test_migrated_schema_equals_the_metadata(runtime):
    with runtime.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "version_table": migrations.VERSION_TABLE})
        diff = compare_metadata(ctx, metadata)
        tables = set(sa.inspect(conn).get_table_names())
    assert diff == []
    assert {t for t in tables if t.startswith("cf_")} == set(metadata.tables) | {"cf_alembic_version"}


def test_upgrade_is_idempotent(runtime):
    with runtime.engine.begin() as conn:
        before = migrations.current(conn)
        migrations.upgrade(conn)
        migrations.upgrade(conn)
    with runtime.engine.connect() as conn:
        assert migrations.current(conn) == before == migrations.head()
        assert conn.execute(sa.text("SELECT value FROM cf_meta WHERE key = 'schema_version'")).scalar_one() == "1"
        assert conn.execute(sa.text("SELECT count(*) FROM cf_alembic_version")).scalar_one() == 1


def test_a_second_runtime_on_the_same_database_sees_the_schema(runtime, admin, make_table, settings):
    from cardfile.metamodel.runtime import build_runtime
    make_table("Clients", [("Name", "text")], api_name="clients")
    runtime.records.create(admin, "clients", {"name": "Acme"})
    other = build_runtime(settings)
    try:
        assert other.records.list(admin, "clients")["records"][0]["name"] == "Acme"
        other.schema.add_field(admin, "clients", {"label": "City", "type": "text"})
        rec = runtime.records.create(admin, "clients", {"name": "B", "city": "Berlin"})
        assert rec["city"] == "Berlin"
    finally:
        other.dispose()
