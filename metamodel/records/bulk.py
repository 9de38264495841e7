"""The bulk insert fast path (imports, bulk creates, demo data): values already validated
by the service.

``RowInserter`` takes batches column by column: each column goes through its type's
converter (``fast_bind``, the same result as SQLAlchemy's bind processor), constants are
converted once. SQLite holds the write lock for the whole transaction (``BEGIN
IMMEDIATE``), so new rows get the rowids after the current maximum and go to the driver's
``executemany``, with the constants (timestamps, user ids) written into the statement so
that a row binds only its own values; PostgreSQL takes ids from the table's sequence and
sends the rows with ``COPY``. ``executemany`` inserts rows given as dicts (audit entries of other paths).

``DeferredIndexes``: on SQLite, a bulk create that grows a table well past its size drops
the table's plain (non-unique) indexes for the rest of the load and builds them again
before the transaction ends: one sort per index instead of a B-tree update per row.
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter

from sqlalchemy import Index, Table, exc, func, insert, literal_column, select, text

from ..storage.engine import page_cache
from ..storage.sqltypes import fast_bind

_UNSET = object()
#: rows a bulk create inserts before its table's plain indexes may be built at the end
DEFER_INDEXES_AFTER = 50_000
#: page cache while the dropped indexes are built again, in KiB when negative (SQLite's
#: default: 2 MiB)
SORT_CACHE_SIZE = -2000


class DeferredIndexes:
    """Plain indexes of ``table`` dropped once a bulk create has inserted at least
    ``max(after, rows the table had)`` rows, built again by ``restore()`` in the same
    transaction (SQLite only: its DDL is transactional and readers keep their snapshot, so
    a failure brings the indexes back with the rollback and nobody sees the table without
    them). PostgreSQL is left alone: dropping an index locks the table against readers.
    Unique indexes always stay, they check the rows as they arrive."""

    def __init__(self, conn, table: Table, after: int | None = None):
        self.conn, self.table = conn, table
        self.dropped: list[Index] = []
        self.threshold = None
        if conn.dialect.name == "sqlite":
            rows = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
            self.threshold = max(DEFER_INDEXES_AFTER if after is None else after, rows)

    def inserted(self, count: int) -> None:
        """Called with the rows inserted so far; drops the indexes once past the threshold."""
        if self.threshold is None or self.dropped or count < self.threshold:
            return
        present = {name for (name,) in self.conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (self.table.name,))}
        self.dropped = [i for i in self.table.indexes if not i.unique and i.name in present]
        for index in self.dropped:
            index.drop(self.conn)
        self.threshold = None  # once per load

    def restore(self) -> None:
        """Build the dropped indexes again. The connection's page cache is set back to
        SQLite's default meanwhile: the sort behind ``CREATE INDEX`` takes runs of that size
        and sorts them on the helper threads (``PRAGMA threads``), where a bulk-sized cache
        would make it one long single-threaded sort."""
        if not self.dropped:
            return
        with page_cache(self.conn, SORT_CACHE_SIZE):
            for index in self.dropped:
                index.create(self.conn)
        self.dropped = []


class RowInserter:
    """Inserts batches of rows into one table within one transaction: the statement, the
    bind processors and the constants (one value for every row, such as the system
    columns) are prepared once, each batch is given column by column."""

    def __init__(self, conn, table: Table, columns: list[str], constants: dict):
        self.conn, self.table, self.columns = conn, table, list(columns)
        self.keys = [*self.columns, *constants]
        self.postgres = conn.dialect.name != "sqlite"
        compiled = insert(table).compile(dialect=conn.dialect, column_keys=self.keys)
        processors = compiled._bind_processors
        self.binders = [None if processors.get(c) is None else fast_bind(table.c[c].type, conn.dialect, processors[c])
                        for c in self.columns]
        self.constants = {k: (processors[k](v) if processors.get(k) is not None and v is not None else v)
                          for k, v in constants.items()}
        if self.postgres:
            self.order = ["id", *self.keys]
            return
        # SQLite: constants that are numbers or timestamps are written into the statement,
        # so each row binds its own values only
        inline = {k: literal_column(_literal(v)) for k, v in self.constants.items() if _literal(v) is not None}
        self.constants = {k: v for k, v in self.constants.items() if k not in inline}
        self.inline = inline
        compiled = insert(table).values(inline).compile(dialect=conn.dialect,
                                                        column_keys=[*self.columns, *self.constants])
        self.statement = str(compiled)
        self.order = list(compiled.positiontup)

    def converters(self) -> dict:
        """Data column -> the converter its values go through (None: taken as they are)."""
        return dict(zip(self.columns, self.binders))

    def take_ready(self, columns: set[str]) -> None:
        """The values of ``columns`` will come in the driver's form already: not converted."""
        self.binders = [None if c in columns else b for c, b in zip(self.columns, self.binders)]

    def insert(self, data: list[list], count: int, ids: list[int] | None = None) -> list[int]:
        """Insert ``count`` rows (``data[i]`` holds the values of ``columns[i]``); returns
        the new ids in order. ``ids``: the ids to give them (an import keeping the ids of its
        file); the table's id sequence then moves past them."""
        if not count:
            return []
        if ids is not None:
            return self._insert_with_ids(data, count, list(ids))
        if self.postgres:
            ids = self.conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                                    {"t": self.conn.dialect.identifier_preparer.format_table(self.table), "n": count}
                                    ).scalars().all()
            _copy_tuples(self.conn, self.table, self.order, self._params(data, count, ids))
            return ids
        before = self.conn.execute(select(func.coalesce(func.max(self.table.c.id), 0))).scalar_one()
        self.conn.exec_driver_sql(self.statement, list(self._params(data, count)))
        after = self.conn.execute(select(func.max(self.table.c.id))).scalar_one()
        # AUTOINCREMENT may start past the largest id left (the last ones were purged)
        first = after - count + 1
        if first <= before:  # pragma: no cover - would mean a second writer
            raise RuntimeError("bulk insert ids are not consecutive")
        return list(range(first, after + 1))

    def _insert_with_ids(self, data: list[list], count: int, ids: list[int]) -> list[int]:
        if self.postgres:
            _copy_tuples(self.conn, self.table, self.order, self._params(data, count, ids))
            name = self.conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {
                "t": self.conn.dialect.identifier_preparer.format_table(self.table)}).scalar_one()
            last, called = self.conn.exec_driver_sql(f"SELECT last_value, is_called FROM {name}").one()
            top = max(ids)
            if top > last or (top == last and not called):  # never back: a purged id stays used
                self.conn.execute(text("SELECT setval(:s, :v)"), {"s": name, "v": top})
            return ids
        if not hasattr(self, "id_statement"):
            compiled = insert(self.table).values(self.inline).compile(
                dialect=self.conn.dialect, column_keys=["id", *self.columns, *self.constants])
            self.id_statement, self.id_order = str(compiled), list(compiled.positiontup)
        order, self.order = self.order, self.id_order  # AUTOINCREMENT keeps its own high mark
        try:
            rows = list(self._params(data, count, ids))
        finally:
            self.order = order
        self.conn.exec_driver_sql(self.id_statement, rows)
        return ids

    def _params(self, data: list[list], count: int, ids: list[int] | None = None):
        """Parameter tuples in statement order: each data column through its column type's
        converter (``fast_bind``), each constant converted once."""
        by_key: dict = {} if ids is None else {"id": ids}
        for key, bind, values in zip(self.columns, self.binders, data):
            if bind is None:
                by_key[key] = values
            elif None in values:
                by_key[key] = [None if v is None else bind(v) for v in values]
            else:
                by_key[key] = list(map(bind, values))
        for key, value in self.constants.items():
            by_key[key] = repeat(value, count)
        return zip(*(by_key[k] for k in self.order))  # tuples made as the driver takes them


_TIMESTAMP_TEXT = re.compile(r"[0-9][0-9 :.-]*")


def _literal(value) -> str | None:
    """The SQL text of a constant that may be written into a statement (NULL, an integer,
    or the text of a date or timestamp: digits and separators only), or None."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and _TIMESTAMP_TEXT.fullmatch(value):
        return f"'{value}'"
    return None


def executemany(conn, table: Table, params: list[dict]) -> None:
    if not params:
        return
    if conn.dialect.name != "sqlite":
        _copy(conn, table, list(params[0]), None, params)
        return
    keys = list(params[0])
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    conn.exec_driver_sql(str(compiled), _rows(compiled, list(compiled.positiontup), None, params))


def _copy(conn, table: Table, keys: list[str], ids: list[int] | None, params: list[dict]) -> None:
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    data_keys = keys[1:] if ids is not None else keys
    _copy_tuples(conn, table, keys, _rows(compiled, data_keys, ids, params))


def _copy_tuples(conn, table: Table, keys: list[str], rows) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` (one statement for the batch, no SQL text to parse)."""
    quote = conn.dialect.identifier_preparer.quote
    statement = (f"COPY {conn.dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(k) for k in keys)}) FROM STDIN")
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi_error as err:  # raised as SQLAlchemy would (IntegrityError for a unique value)
        raise exc.DBAPIError.instance(statement, None, err, dbapi_error) from None


def _rows(compiled, order: list[str], ids, params: list[dict]) -> list[tuple]:
    """Parameter tuples in ``order`` through SQLAlchemy's own bind processors (per-type
    converters), each applied once per distinct value object (a shared timestamp once)."""
    processors = compiled._bind_processors
    getter = itemgetter(*order) if len(order) > 1 else (lambda p: (p[order[0]],))
    procs = [(i, processors[name]) for i, name in enumerate(order) if processors.get(name) is not None]
    last_in: list = [_UNSET] * len(order)
    last_out: list = [None] * len(order)
    rows = []
    for n, p in enumerate(params):
        row = list(getter(p))
        for i, proc in procs:
            value = row[i]
            if value is None:
                continue
            if value is not last_in[i]:
                last_in[i], last_out[i] = value, proc(value)
            row[i] = last_out[i]
        if ids is not None:
            row.insert(0, ids[n])
        rows.append(tuple(row))
    return rows
