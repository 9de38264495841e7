"""What a read costs in statements before it reads any record, on both databases.

Each read transaction compares the catalog's and the access rules' versions with what the
process has cached: one statement for both. On PostgreSQL the read limit
(``statement_timeout``) is set on the connection when it changes between reading and
writing, not at every transaction, and a write is never limited, even on a connection
that served reads just before; a rolled-back ``SET`` is not trusted afterwards.
"""

from __future__ import annotations


import pytest
from sqlalchemy import event, insert, update

from cardfile.metamodel.catalog import Catalog, meta_versions
from cardfile.metamodel.runtime import build_runtime
from cardfile.metamodel.storage.engine import reading
from cardfile.metamodel.storage.platform_tables import cf_meta

LIMIT = 7.5  # seconds: 7500 ms, a value no default has


@pytest.fixture
def limited(runtime_with_limit):
    return runtime_with_limit(LIMIT)


@pytest.fixture
def people(limited):
    boss = limited.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
    limited.schema.create_table(boss, {"label": "People", "api_name": "people", "fields": [
        {"label": "Name", "type": "text"}]})
    created = limited.records.create(boss, "people", {"name": "Ann"})
    return limited, boss, created["id"]


@pytest.fixture
def statements(limited):
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(limited.engine, "before_cursor_execute", record)
    yield seen
    event.remove(limited.engine, "before_cursor_execute", record)


def _timeout(conn) -> str:
    return conn.exec_driver_sql("SHOW statement_timeout").scalar()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_record_read_checks_both_versions_in_one_statement(people, statements):
    rt, boss, record_id = people
    rt.records.get(boss, "people", record_id)  # warm: the catalog and the policy are cached
    statements.clear()
    for _ in range(3):
        assert rt.records.get(boss, "people", record_id)["name"] == "Ann"
    meta = [s for s in statements if "cf_meta" in s]
    assert len(meta) == 3, meta  # one per read, not one per cache
    assert not [s for s in statements if s.startswith("SET")], statements  # nothing to change


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_version_changed_elsewhere_is_seen_by_the_next_read(people, settings):
    rt, boss, record_id = people
    rt.records.get(boss, "people", record_id)
    other = build_runtime(settings)  # another process on the same database
    try:
        other.schema.add_field(boss, "people", {"label": "Phone", "type": "text"})
    finally:
        other.dispose()
    assert "phone" in rt.records.get(boss, "people", record_id)


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_write_transaction_reads_the_versions_it_writes(people):
    rt, _, _ = people
    with rt.engine.begin() as conn:
        before = Catalog.read_version(conn)
        Catalog.bump_version(conn)
        assert int(Catalog.read_version(conn)) == int(before) + 1
        conn.rollback()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_versions_are_read_again_in_the_next_read_transaction(people):
    rt, _, _ = people
    with rt.engine.connect().execution_options(cf_readonly=True) as conn:
        with conn.begin():
            first = meta_versions(conn)
            assert meta_versions(conn) is first
        with rt.engine.begin() as writer:
            if writer.execute(cf_meta.select().where(cf_meta.c.key == "access_version")).first() is None:
                writer.execute(insert(cf_meta).values(key="access_version", value="41"))
            writer.execute(update(cf_meta).where(cf_meta.c.key == "access_version").values(value="42"))
        with conn.begin():
            assert meta_versions(conn)["access_version"] == "42"


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_reads_are_limited_and_writes_are_not_on_the_same_connection(limited):
    engine = limited.engine
    with engine.connect() as conn:
        def read():  # execution_options changes the connection in place
            return conn.execution_options(cf_readonly=True).begin()

        def write():
            return conn.execution_options(cf_readonly=False).begin()

        for _ in range(2):
            with read():
                assert _timeout(conn) == "7500ms"
        with write():
            assert _timeout(conn) == "0"
        with read():
            assert _timeout(conn) == "7500ms"
        # a write rolled back gives the limit back too
        with write() as txn:
            assert _timeout(conn) == "0"
            txn.rollback()
        with read():
            assert _timeout(conn) == "7500ms"
        txn = read()
        assert _timeout(conn) == "7500ms"
        txn.rollback()
        with write():
            assert _timeout(conn) == "0"
        with read():
            assert _timeout(conn) == "7500ms"


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_reads_set_nothing_and_each_write_lifts_the_limit_for_itself(limited, statements):
    engine = limited.engine
    for _ in range(5):
        with engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            conn.exec_driver_sql("SELECT 1")
    assert not [s for s in statements if s.startswith("SET")], statements
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert [s for s in statements if s.startswith("SET")] == ["SET LOCAL statement_timeout = 0"]


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_savepoint_rolled_back_is_a_new_look_at_the_versions(people):
    rt, _, _ = people
    with rt.engine.begin() as conn:
        before = Catalog.read_version(conn)
        savepoint = conn.begin_nested()
        Catalog.bump_version(conn)
        assert int(Catalog.read_version(conn)) == int(before) + 1
        savepoint.rollback()
        assert Catalog.read_version(conn) == before
        conn.rollback()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_write_reads_the_versions_once(people, statements):
    rt, boss, record_id = people
    record = rt.records.get(boss, "people", record_id)
    statements.clear()
    rt.records.update(boss, "people", record_id, {"name": "Bea"}, version=record["version"])
    meta = [s for s in statements if "cf_meta" in s]
    assert len(meta) == 1, meta


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_read_spares_begin_and_commit_on_postgresql_and_writes_stay_transactions(people):
    rt, boss, record_id = people
    engine = rt.engine
    engine.dispose()  # one pooled connection serves the read, then the write
    pg = engine.dialect.name == "postgresql"
    with reading(engine) as conn, conn.begin():
        if pg:
            assert conn.connection.dbapi_connection.autocommit is True
            assert _timeout(conn) == "7500ms"
    with engine.connect() as conn:
        if pg:
            assert conn.connection.dbapi_connection.autocommit is False
        with conn.begin() as txn:
            conn.execute(update(cf_meta).where(cf_meta.c.key == "schema_version").values(value="999"))
            txn.rollback()
    with reading(engine) as conn, conn.begin():
        assert meta_versions(conn)["schema_version"] != "999"
    assert rt.records.get(boss, "people", record_id)["name"] == "Ann"
