"""Engines for the embedded default (SQLite, WAL, foreign keys on) and PostgreSQL.

SQLite: write transactions start with ``BEGIN IMMEDIATE`` so concurrent writers queue on
the busy timeout instead of failing half-way (counters and optimistic locking rely on it);
a connection marked ``cf_readonly`` starts a plain deferred transaction.
"""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from .sqltypes import sqlite_casefold

_sqlite_function_hooks: list = []


def on_sqlite_connect(hook) -> None:
    """Register ``hook(dbapi_connection)`` to run on every new SQLite connection."""
    if hook not in _sqlite_function_hooks:
        _sqlite_function_hooks.append(hook)


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        return _sqlite_engine(url, echo)
    connect_args = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(url, echo=echo, connect_args=connect_args, pool_pre_ping=True,
                         pool_size=10, max_overflow=20)


def _sqlite_engine(url: str, echo: bool) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
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
        cur.close()
        dbapi_connection.create_function("cf_casefold", 1, sqlite_casefold, deterministic=True)
        for hook in _sqlite_function_hooks:
            hook(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(conn):
        readonly = conn.get_execution_options().get("cf_readonly")
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
