"""A time limit on every statement of a read transaction.

Reads are what a user drives at request time — lists with their filters and ``where=``,
search, pivots, exports, lookups — and every one of them runs on a connection opened
with ``execution_options(cf_readonly=True)``. :func:`install` puts each such statement
under ``seconds``:

* **PostgreSQL**: ``statement_timeout`` for every session, lifted by each write
  transaction for itself (``SET LOCAL``); the server cancels a statement that runs
  longer (SQLSTATE 57014).
* **SQLite**: a progress handler, called every :data:`PROGRESS_STEPS` steps of SQLite's
  virtual machine, aborts the statement once its deadline has passed. The deadline is
  set when the statement starts; :func:`restart` gives a streamed read (an export) a
  fresh one for its next batch, as PostgreSQL's per-``FETCH`` limit does.

Either way the driver's error becomes :class:`QueryTooExpensive` (``QUERY_TOO_EXPENSIVE``),
so nobody waits on a runaway query and nothing answers 500. Writes are not limited:
imports, schema changes and recomputation may rightly take long, and they are not
written at request time by whoever reads.
"""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ..errors import CardfileError

#: SQLite virtual-machine steps between two looks at the clock (about a millisecond).
PROGRESS_STEPS = 10_000
#: PostgreSQL's error code for a statement cancelled by statement_timeout.
QUERY_CANCELED = "57014"
_CLOCK = "cf_time_limit"


class QueryTooExpensive(CardfileError):
    code = "QUERY_TOO_EXPENSIVE"

    def __init__(self, seconds: float):
        super().__init__(
            f"The query took longer than {seconds:g} seconds and was stopped: narrow the filter "
            "or simplify the expression.", {"limit_seconds": seconds})


class _Clock:
    """The running statement's deadline on one SQLite connection (None: no limit)."""

    __slots__ = ("limit", "deadline", "expired")

    def __init__(self, limit: float):
        self.limit = limit
        self.deadline: float | None = None
        self.expired = False

    def __call__(self) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.expired = True
            return 1        # non-zero: SQLite stops the statement ("interrupted")
        return 0


def install(engine: Engine, seconds: float | None) -> None:
    """Limit every statement of ``engine``'s read transactions to ``seconds`` (None or 0: no limit)."""
    if not seconds or seconds <= 0:
        return
    if engine.dialect.name == "sqlite":
        _install_sqlite(engine, float(seconds))
    elif engine.dialect.name == "postgresql":
        _install_postgresql(engine, float(seconds))


def restart(conn: Connection) -> None:
    """A fresh deadline for the statement a streamed read on ``conn`` goes on fetching."""
    clock = conn.info.get(_CLOCK) if conn.dialect.name == "sqlite" else None
    if clock is not None and clock.deadline is not None:
        clock.deadline = time.monotonic() + clock.limit


def _readonly(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get("cf_readonly"))


def _install_sqlite(engine: Engine, seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        clock = record.info[_CLOCK] = _Clock(seconds)
        dbapi_connection.set_progress_handler(clock, PROGRESS_STEPS)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        clock = conn.info.get(_CLOCK)
        if clock is not None:
            clock.expired = False
            clock.deadline = time.monotonic() + seconds if _readonly(conn) else None

    def _stop(conn):
        clock = conn.info.get(_CLOCK)
        if clock is not None:
            clock.deadline = None

    event.listen(engine, "commit", _stop)
    event.listen(engine, "rollback", _stop)

    @event.listens_for(engine, "handle_error")
    def _translate(context):
        conn = context.connection
        clock = conn.info.get(_CLOCK) if conn is not None and not conn.closed else None
        if clock is not None and clock.expired and isinstance(context.original_exception,
                                                               sqlite3.OperationalError):
            clock.expired = False
            raise QueryTooExpensive(seconds) from context.original_exception


def _install_postgresql(engine: Engine, seconds: float) -> None:
    """Every session starts with ``statement_timeout`` set (once, when it connects), so a
    read costs no extra statement; a write transaction lifts it for itself with
    ``SET LOCAL``, which PostgreSQL undoes at its commit or rollback. (A write on a
    connection in autocommit would keep the limit: Cardfile writes in transactions.)"""
    milliseconds = max(1, int(seconds * 1000))

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute(f"SET statement_timeout = {milliseconds}")
        finally:
            dbapi_connection.autocommit = autocommit

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if not _readonly(conn):
            conn.exec_driver_sql("SET LOCAL statement_timeout = 0")

    @event.listens_for(engine, "handle_error")
    def _translate(context):
        if getattr(context.original_exception, "sqlstate", None) == QUERY_CANCELED:
            raise QueryTooExpensive(seconds) from context.original_exception
