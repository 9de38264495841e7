"""PostgreSQL connections: JIT off (its compilation cost more than a list query: 85 ms of a
190 ms count through a link), and the search_path of the schema setting or of the URL kept."""

from __future__ import annotations

import pytest

from cardfile.metamodel.storage.engine import make_engine


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
@pytest.mark.parametrize("in_url", [False, True])
def test_jit_is_off_and_the_search_path_kept(db, in_url):
    url, schema = db
    if in_url:
        url, schema = f"{url}?options=-csearch_path%3D{schema}", None
    engine = make_engine(url, schema=schema)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
            assert conn.exec_driver_sql("SHOW search_path").scalar() == db[1]
    finally:
        engine.dispose()


def _terminate(url: str, pid: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_connection_closed_while_it_idled_is_replaced_before_use(db, monkeypatch):
    from cardfile.metamodel.storage import engine as engines

    url, schema = db
    engine = make_engine(url, schema=schema)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        _terminate(url, pid)  # the server ends it while it waits in the pool
        monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)  # it has idled long enough
        with engine.connect() as conn:  # checked with a round trip, replaced, no error
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        engine.dispose()


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_connection_handed_back_a_moment_ago_is_not_pinged(db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from cardfile.metamodel.storage import engine as engines

    url, schema = db
    monkeypatch.setattr(engines, "PING_AFTER_IDLE", 3600.0)
    engine = make_engine(url, schema=schema)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        _terminate(url, pid)
        with pytest.raises(OperationalError), engine.connect() as conn:  # not checked: it fails
            conn.exec_driver_sql("SELECT 1")
        with engine.connect() as conn:  # the pool replaced it
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        engine.dispose()
