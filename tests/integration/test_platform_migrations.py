"""The platform's own schema: migrations produce exactly ``platform_tables`` and run once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cardfile.metamodel.records.query import ListQuery
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


def index_sql(conn, table: str) -> dict:
    return {i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes(table)}


def test_live_indexes_lead_with_deleted_at_on_sqlite_only(runtime, admin, make_table, db):
    make_table("Clients", [("Name", "text", {"indexed": True}), ("Code", "text", {"unique": True})],
               api_name="clients")
    runtime.records.bulk_create(admin, "clients", [{"name": f"n{i % 7}", "code": f"c{i}"} for i in range(50)])
    snap = runtime.schema.snapshot()
    table = snap.table("clients")
    sql = snap.sql_table(table)
    name_ix, name_col = f"ix_{table.id}_{table.field('name').id}", f"f_{table.field('name').id}"
    with runtime.engine.connect() as conn:
        found = index_sql(conn, sql.name)
        if db[0].startswith("sqlite"):
            assert found[name_ix] == ["deleted_at", name_col] and found[f"ix_{table.id}_owner"] == ["deleted_at", "owner"]
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT count(*) FROM {sql.name} WHERE deleted_at IS NULL AND {name_col} = 'n1'"))
            assert f"COVERING INDEX {name_ix}" in plan
        else:
            assert found[name_ix] == [name_col] and found[f"ix_{table.id}_owner"] == ["owner"]
        assert [c for c in found.values() if c[-1] == f"f_{table.field('code').id}"] == [[f"f_{table.field('code').id}"]]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # PostgreSQL keeps its indexes (above)
def test_revision_0005_lays_out_an_older_sqlite_database(runtime, admin, make_table):
    make_table("Clients", [("Name", "text", {"indexed": True})], api_name="clients")
    runtime.records.bulk_create(admin, "clients", [{"name": f"n{i % 7}"} for i in range(50)])
    snap = runtime.schema.snapshot()
    table = snap.table("clients")
    name_ix, name_col = f"ix_{table.id}_{table.field('name').id}", f"f_{table.field('name').id}"
    with runtime.engine.begin() as conn:  # as revision 0004 left user tables
        for ix, cols in ((name_ix, name_col), (f"ix_{table.id}_owner", "owner")):
            conn.exec_driver_sql(f"DROP INDEX {ix}")
            conn.exec_driver_sql(f"CREATE INDEX {ix} ON t_{table.id} ({cols}) WHERE deleted_at IS NULL")
        conn.exec_driver_sql("DROP INDEX ix_cf_audit_run")  # and the audit log as it was before 0006
        conn.exec_driver_sql("ALTER TABLE cf_audit DROP COLUMN last_record_id")
        for later in ("cf_template_versions", "cf_templates", "cf_documents", "cf_print_jobs",  # revision 0007
                      "cf_sessions", "cf_file_uploads",  # revision 0008
                      "cf_reminder_deliveries", "cf_reminder_rules", "cf_reminder_log", "cf_inbox",  # 0009
                      "cf_mail_outbox", "cf_mail_log", "cf_mailing_recipients", "cf_mailings",
                      "cf_unsubscribes", "cf_jobs", "cf_package_applies"):  # 0011
            conn.exec_driver_sql(f"DROP TABLE {later}")
        conn.exec_driver_sql("UPDATE cf_alembic_version SET version_num = '0004'")
    with runtime.engine.begin() as conn:
        migrations.upgrade(conn)
    with runtime.engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        found = index_sql(conn, f"t_{table.id}")
    assert found[name_ix] == ["deleted_at", name_col] and found[f"ix_{table.id}_owner"] == ["deleted_at", "owner"]
    assert runtime.records.list(admin, "clients", ListQuery(filters=[("name", "eq", "n1")]))["total"] == 7
    first = runtime.records.list(admin, "clients", ListQuery(sort=["id"], per_page=1))["records"][0]["id"]
    assert [e["action"] for e in runtime.records.history(admin, "clients", first)] == ["create"]
