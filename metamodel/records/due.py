"""Records whose reminders fall due: the one query the scheduler runs against a user table.

``due_rows`` reads, over all live records (a rule is the owner's definition, like a stored
formula, and computes over all data), the records whose date field can fall due in a
window, that meet the rule's condition, with the ids of the users each recipient path
names. Nobody is shown anything here: every recipient's own access is checked when the
reminder is delivered (``RecordService.list`` as that user).

The window is a range of the date field's values, so the query walks the field's index
(``(deleted_at, field)`` on SQLite, ``field`` on PostgreSQL) instead of the table:

* a date-time field: ``value > low AND value <= high``;
* a date field: ``value IN (the dates due)``;
* yearly: the month and day of the value among those due (a scan; it runs once a day);
* a digest: the condition alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ...formula.checker import check
from ...formula.errors import FormulaError
from ..catalog import Snapshot
from ..fieldtypes.registry import FieldTypeRegistry
from ..formulas.bridge import FormulaSchema
from ..formulas.compiled import errors_of
from ..formulas.hooks import FormulaDefinitionError
from ..model import FieldDef, TableDef
from ..storage import names

#: at most this many records are read per query (the rest in the next batch)
BATCH = 5000


def month_day(column, dialect: str):
    """``MM-DD`` of a date or date-time column."""
    if dialect == "sqlite":
        return sa.func.substr(column, 6, 5)
    return sa.func.to_char(column, "MM-DD")


def due_rows(conn, snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, field: FieldDef | None,
             candidates, condition: str | None, recipient_paths: list[str], *, today: dt.date,
             now: dt.datetime, after=None, limit: int = BATCH, changed_after: dt.datetime | None = None) -> list[dict]:
    """``[{"id", "value", "owner", "users": {path: user id}}]`` in the order of the date field
    (then id; a digest: id), the next batch after ``after`` (the last row's ``key``).
    ``changed_after``: only records created or changed since then (rows add ``updated_at``)."""
    dialect = conn.dialect.name
    sql = snap.sql_table(table)
    schema = FormulaSchema(snap, registry, dialect)
    view = schema.view(table)
    columns = [sql.c.id, sql.c.owner, sql.c.updated_at]
    where = [sql.c.deleted_at.is_(None)]
    if changed_after is not None:
        where.append(sql.c.updated_at >= changed_after)  # a change at the tick itself too (keys stop doubles)
    order = [sql.c.id]
    if field is None and after is not None:
        where.append(sql.c.id > after)
    if field is not None:
        column = sql.c[names.column_name(field.id)]
        columns.append(column.label("value"))
        order = [column, sql.c.id]  # walks the date's index in order (no scan by id)
        if after is not None:
            last_value, last_id = after
            where.append(sa.or_(column > last_value, sa.and_(column == last_value, sql.c.id > last_id)))
        if candidates.kind == "range":
            where += [column > candidates.low, column <= candidates.high]
        elif candidates.kind == "dates":
            where.append(column.in_(list(candidates.days)))
        elif candidates.kind == "month_days":
            wanted = set(candidates.month_days)
            if field.type == "datetime":  # stored in UTC: the local day may be the next or the one before
                for month, day in list(wanted):
                    base = dt.date(2000, month, day)
                    for shift in (-1, 1):
                        other = base + dt.timedelta(days=shift)
                        wanted.add((other.month, other.day))
            where.append(month_day(column, dialect).in_(sorted(f"{m:02d}-{d:02d}" for m, d in wanted)))
    if condition:
        compiled = _check(condition, view, schema, "The condition")
        from ...formula.to_sql import to_where

        where.append(to_where(compiled, sql, schema, dialect, today=today, now=_naive(now)))
    for i, path in enumerate(recipient_paths):
        compiled = _check(path, view, schema, f"The recipient {path!r}")
        from ...formula.to_sql import to_sql

        columns.append(to_sql(compiled, sql, schema, dialect, today=today, now=_naive(now)).label(f"u{i}"))
    stmt = sa.select(*columns).where(*where).order_by(*order).limit(limit)
    rows = []
    for row in conn.execute(stmt).mappings():
        users: dict[str, Any] = {}
        for i, path in enumerate(recipient_paths):
            value = row[f"u{i}"]
            users[path] = int(value) if value is not None else None
        value = row.get("value")
        rows.append({"id": row["id"], "owner": row["owner"], "value": value, "users": users,
                     "updated_at": row["updated_at"],
                     "key": row["id"] if field is None else (value, row["id"])})
    return rows


def due_plan(conn, snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, field: FieldDef | None,
             candidates, condition: str | None, recipient_paths: list[str], *, today: dt.date,
             now: dt.datetime) -> list[str]:
    """The database's plan for the query ``due_rows`` runs (benchmarks print it)."""
    dialect = conn.dialect.name
    sql = snap.sql_table(table)
    schema = FormulaSchema(snap, registry, dialect)
    view = schema.view(table)
    columns = [sql.c.id, sql.c.owner]
    where = [sql.c.deleted_at.is_(None)]
    order = [sql.c.id]
    if field is not None and candidates.kind == "range":
        column = sql.c[names.column_name(field.id)]
        columns.append(column)
        where += [column > candidates.low, column <= candidates.high]
        order = [column, sql.c.id]
    if condition:
        from ...formula.to_sql import to_where

        where.append(to_where(_check(condition, view, schema, "The condition"), sql, schema, dialect,
                              today=today, now=_naive(now)))
    stmt = sa.select(*columns).where(*where).order_by(*order).limit(BATCH)
    compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    return [str(r[-1]) for r in conn.exec_driver_sql(prefix + str(compiled))]


def _check(source: str, view, schema, what: str):
    try:
        return check(source, view, schema)
    except FormulaError as exc:
        raise FormulaDefinitionError(errors_of(exc), what, source) from None


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
