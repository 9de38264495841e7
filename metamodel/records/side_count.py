"""Counting a list's total on a second connection while the first reads the page.

A list request runs two queries: the page (``ORDER BY … LIMIT``) and the total
(``count(*)`` over the same filter). On a large table each takes milliseconds of database
work; run one after the other, the request waits for their sum. ``SideCounter`` starts the
count on a pooled connection in a worker thread before the page is read, so the request
waits for the longer of the two. Both drivers release the GIL while the database works
(SQLite inside ``sqlite3_step``, PostgreSQL while waiting on the socket).

The count runs in its own read transaction, so under concurrent writes it may see a moment
slightly later than the page; the total of a list is a figure for the pager, not a
balance. When every worker is busy, or the database lives in memory (one connection per
thread, each its own database), the count runs inline on the caller's connection as before;
so does the count of a table whose last count was quick (a few hundred invoices): a thread
hand-off would cost more than the overlap saves, and under load it only adds work.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from ..storage.engine import in_memory, reading
from .query import count

#: counts that may run beside their page at once; more wait inline, not in a queue
WORKERS = 4
#: a table whose last count took less (seconds) is counted inline next time
QUICK_COUNT = 0.002


class SideCounter:
    def __init__(self, engine: Engine, workers: int = WORKERS):
        self.engine = engine
        self.enabled = workers > 0 and not in_memory(engine.url)
        self._slots = threading.BoundedSemaphore(max(workers, 1))
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._workers = workers
        self._quick: dict[str, bool] = {}  # table -> its last count took under QUICK_COUNT

    def start(self, sql: Table, where: list) -> Callable[[Connection], int]:
        """Begin counting the rows of ``sql`` matching ``where``; returns ``total(conn)``,
        which gives the count (inline on ``conn`` if it could not run beside, or if the
        table's last count took under :data:`QUICK_COUNT`: handing it to a thread would
        cost more than it saves)."""
        if not self.enabled or self._quick.get(sql.name) or not self._slots.acquire(blocking=False):
            return lambda conn: self._timed(conn, sql, where)
        try:
            future = self._executor().submit(self._count, sql, where)
        except RuntimeError:  # shut down meanwhile
            self._slots.release()
            return lambda conn: self._timed(conn, sql, where)
        return lambda conn: future.result()

    def _timed(self, conn: Connection, sql: Table, where: list) -> int:
        started = time.perf_counter()
        total = count(conn, sql, where)
        self._quick[sql.name] = time.perf_counter() - started < QUICK_COUNT
        return total

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="cardfile-count")
            return self._pool

    def _count(self, sql: Table, where: list) -> int:
        try:
            with reading(self.engine) as conn, conn.begin():
                return self._timed(conn, sql, where)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
