"""The bulk insert fast path (imports, demo data): values already validated by the service.

SQLite holds the write lock for the whole transaction (``BEGIN IMMEDIATE``), so new rows
get the rowids after the current maximum; rows go to the driver's ``executemany`` with
SQLAlchemy's own bind processors applied once per column, skipping per-row statement
bookkeeping. PostgreSQL takes ids from the table's sequence and sends the rows with ``COPY``.
"""

from __future__ import annotations

from operator import itemgetter

from sqlalchemy import Table, exc, func, insert, select, text

_UNSET = object()


def insert_many(conn, table: Table, params: list[dict]) -> list[int]:
    """Insert rows (dicts with the same keys), returning their ids in order."""
    if not params:
        return []
    if conn.dialect.name != "sqlite":
        ids = conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                           {"t": conn.dialect.identifier_preparer.format_table(table), "n": len(params)}
                           ).scalars().all()
        _copy(conn, table, ["id", *params[0]], ids, params)
        return ids
    before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    executemany(conn, table, params)
    after = conn.execute(select(func.max(table.c.id))).scalar_one()
    if after - before != len(params):  # pragma: no cover - would mean a second writer
        raise RuntimeError("bulk insert ids are not consecutive")
    return list(range(before + 1, after + 1))


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
    """PostgreSQL: ``COPY … FROM STDIN`` (one statement for the batch, no SQL text to parse)."""
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    quote = conn.dialect.identifier_preparer.quote
    statement = (f"COPY {conn.dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(k) for k in keys)}) FROM STDIN")
    data_keys = keys[1:] if ids is not None else keys
    rows = _rows(compiled, data_keys, ids, params)
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
