"""The bulk insert fast path (imports, demo data): values already validated by the service.

SQLite holds the write lock for the whole transaction (``BEGIN IMMEDIATE``), so new rows
get the rowids after the current maximum; rows go to the driver's ``executemany`` with
SQLAlchemy's own bind processors applied once per column, skipping per-row statement
bookkeeping. PostgreSQL uses one batched ``INSERT … RETURNING``.
"""

from __future__ import annotations

from sqlalchemy import Table, func, insert, select


def insert_many(conn, table: Table, params: list[dict]) -> list[int]:
    """Insert rows (dicts with the same keys), returning their ids in order."""
    if not params:
        return []
    if conn.dialect.name != "sqlite":
        return conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                            params).scalars().all()
    before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    executemany(conn, table, params)
    after = conn.execute(select(func.max(table.c.id))).scalar_one()
    if after - before != len(params):  # pragma: no cover - would mean a second writer
        raise RuntimeError("bulk insert ids are not consecutive")
    return list(range(before + 1, after + 1))


def executemany(conn, table: Table, params: list[dict]) -> None:
    if not params:
        return
    if conn.dialect.name != "sqlite":  # named parameters there; psycopg batches them itself
        conn.execute(insert(table), params)
        return
    keys = list(params[0])
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    order = list(compiled.positiontup)
    processors = compiled._bind_processors  # SQLAlchemy's per-type converters
    getters = [(name, processors.get(name)) for name in order]
    rows = [tuple(proc(p[name]) if proc is not None and p[name] is not None else p[name]
                  for name, proc in getters) for p in params]
    conn.exec_driver_sql(str(compiled), rows)
