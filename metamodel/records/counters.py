"""Counter values, allocated inside the record's transaction.

``UPDATE … SET value = value + n … RETURNING value`` holds the row lock (PostgreSQL) or
the write lock (SQLite, ``BEGIN IMMEDIATE``) until commit, so concurrent writers get
distinct numbers, and a rolled-back save gives its number back (no gaps, never +2).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from ..fieldtypes.builtin.counter import period_of, render
from ..model import FieldDef
from ..storage.names import column_name
from ..storage.platform_tables import cf_counters


def _insert_missing(conn, key: str) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(cf_counters).values(key=key, value=0).on_conflict_do_nothing(index_elements=["key"])
    conn.execute(stmt)


def allocate(conn, field: FieldDef, count: int, today: dt.date) -> list[str]:
    """``count`` consecutive counter values for ``field``."""
    pattern = field.options["pattern"]
    key = f"{field.id}:{period_of(pattern, today)}"
    _insert_missing(conn, key)
    last = conn.execute(update(cf_counters).where(cf_counters.c.key == key)
                        .values(value=cf_counters.c.value + count)
                        .returning(cf_counters.c.value)).scalar_one()
    return [render(pattern, n, today) for n in range(last - count + 1, last + 1)]


def columns(table) -> list[str]:
    """The columns of ``table``'s counter fields (the order ``fill`` adds their values in)."""
    return [column_name(f.id) for f in table.fields if f.type == "counter"]


def fill(conn, table, data: list[list], count: int, today: dt.date) -> None:
    """Add to ``data`` (a batch column by column) a column of the next ``count`` values of
    every counter field of ``table``."""
    for f in table.fields:
        if f.type == "counter":
            data.append(allocate(conn, f, count, today))
