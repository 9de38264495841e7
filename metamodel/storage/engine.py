"""Engines for the embedded default (SQLite, WAL, foreign keys on) and PostgreSQL.

SQLite: write transactions start with ``BEGIN IMMEDIATE`` so concurrent writers queue on
the busy timeout instead of failing half-way (counters and optimistic locking rely on it);
a connection marked ``cf_readonly`` starts a plain deferred transaction. Sorts use two
helper threads (``PRAGMA threads``: large GROUP BY and ORDER BY sort in parallel).
``bulk_cache(conn)`` gives one connection a larger page cache while a bulk write runs.
With ``query_timeout`` every statement of a read transaction runs under that time limit
(:mod:`.time_limit`).
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError

from . import time_limit
from .sqltypes import sqlite_casefold

_sqlite_function_hooks: list = []
#: helper threads SQLite may use for one large sort (pivots' GROUP BY, big ORDER BY)
SORT_THREADS = 2
#: a pooled PostgreSQL connection idle for longer is checked with a round trip first
PING_AFTER_IDLE = 10.0
_IDLE_SINCE = "cf_idle_since"
#: page cache of a connection during a bulk write, in KiB (the default is 2 MiB)
BULK_CACHE_KIB = 65536


def on_sqlite_connect(hook) -> None:
    """Register ``hook(dbapi_connection)`` to run on every new SQLite connection."""
    if hook not in _sqlite_function_hooks:
        _sqlite_function_hooks.append(hook)


def make_engine(url: str, *, schema: str | None = None, echo: bool = False,
                query_timeout: float | None = None) -> Engine:
    """The engine for ``url``; ``query_timeout`` (seconds) limits each read statement."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, echo)
    else:
        # JIT compilation pays off for long analytic queries, not for a list page: on a filter
        # through a link its set-up alone took 85 ms of a 190 ms count
        given = make_url(url).query.get("options")  # the URL's own options (a search_path) stay
        options = [given if isinstance(given, str) else " ".join(given or ()), "-cjit=off"]
        if schema:
            options.append(f"-csearch_path={schema}")
        connect_args = {"options": " ".join(o for o in options if o)}
        engine = create_engine(url, echo=echo, connect_args=connect_args, pool_size=10, max_overflow=20)
        _ping_when_idle(engine)
    time_limit.install(engine, query_timeout)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection with a round trip before handing it out, only when it has
    idled for :data:`PING_AFTER_IDLE` seconds: one the server closed meanwhile (a restart,
    an idle timeout) is replaced at once. A connection handed back a moment ago is alive;
    pinging it at every checkout cost a round trip per query under load. A connection that
    dies in use anyway fails that request (503 DATABASE_UNAVAILABLE), and the pool
    replaces every connection as old as it."""

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy):
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means: use another connection
            raise DisconnectionError(f"the pooled connection did not answer: {exc}") from exc


def reading(engine: Engine) -> Connection:
    """A connection for a request's read, under the read time limit (``cf_readonly``).

    On PostgreSQL it runs in autocommit, which spares the ``BEGIN`` and ``COMMIT`` round
    trips around each read (a token check, a card, a list page): under PostgreSQL's READ
    COMMITTED every statement of a transaction takes its own snapshot anyway, so a read
    loses no consistency. Not for a server-side cursor (an export), which needs a
    transaction. On SQLite a deferred read transaction as before (one WAL snapshot for
    all its statements)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn.execution_options(cf_readonly=True)


def in_memory(url: str | URL) -> bool:
    """An in-memory SQLite database: every connection (one per thread) is a database of its own."""
    url = make_url(url)
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_engine(url: str, echo: bool) -> Engine:
    memory = in_memory(url)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA threads={SORT_THREADS}")
        cur.close()
        dbapi_connection.create_function("cf_casefold", 1, sqlite_casefold, deterministic=True)
        for hook in _sqlite_function_hooks:
            hook(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(conn):
        readonly = conn.get_execution_options().get("cf_readonly")
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def bulk_cache(conn):
    """SQLite: a larger page cache for ``conn`` while a bulk write runs, so the index pages
    that many inserts touch at random stay in memory instead of being spilled and read
    back; the connection's own size comes back afterwards (a large cache slows SQLite's
    big sorts, which then sort in one piece instead of in parallel runs)."""
    with page_cache(conn, -BULK_CACHE_KIB):
        yield


@contextmanager
def page_cache(conn, size: int):
    """SQLite: ``PRAGMA cache_size=size`` on ``conn`` for a while (negative: KiB, positive:
    pages), the connection's own size back afterwards. Other databases: nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    conn.exec_driver_sql(f"PRAGMA cache_size={int(size)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={before}")
