"""Counter values, allocated inside the record's transaction.

``UPDATE … SET value = value + n … RETURNING value`` holds the row lock (PostgreSQL) or
the write lock (SQLite, ``BEGIN IMMEDIATE``) until commit, so concurrent writers get
distinct numbers, and a rolled-back save gives its number back (no gaps, never +2).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite

from ..fieldtypes.builtin.counter import TOKEN, period_of, render
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


def fill(conn, table, data: list[list], count: int, today: dt.date, kept: list[dict] | None = None) -> None:
    """Add to ``data`` (a batch column by column) a column of the next ``count`` values of
    every counter field of ``table``. ``kept``: per row, counter values to keep (a table
    restored from an export): those rows keep theirs, the sequence moves past them
    (``keep``), the other rows get the next values."""
    for f in table.fields:
        if f.type != "counter":
            continue
        given = [None if kept is None else kept[i].get(f.api_name) for i in range(count)]
        given = [None if v in (None, "") else str(v).strip() for v in given]
        missing = [i for i, v in enumerate(given) if v is None]
        keep(conn, f, [v for v in given if v is not None])
        new = iter(allocate(conn, f, len(missing), today)) if missing else iter(())
        data.append([v if v is not None else next(new) for v in given])


def keep(conn, field: FieldDef, values: list[str]) -> None:
    """Values given to a counter (an import keeping them): each period's sequence moves on
    to the largest number given, so the next record gets the number after it. A value that
    does not follow the pattern is kept as it is and moves nothing."""
    pattern = field.options["pattern"]
    parser = _parser(pattern)
    top: dict[str, int] = {}
    for value in values:
        match = parser.fullmatch(value)
        if match is None:
            continue
        parts = match.groupdict()
        number = int(parts.pop("n"))
        key = f"{field.id}:" + "-".join(parts[f"p{i}"] for i in range(len(parts)))
        top[key] = max(top.get(key, 0), number)
    for key, number in top.items():
        _insert_missing(conn, key)
        conn.execute(update(cf_counters).where(cf_counters.c.key == key)
                     .values(value=func.max(cf_counters.c.value, number) if conn.dialect.name == "sqlite"
                             else func.greatest(cf_counters.c.value, number)))


def _parser(pattern: str) -> re.Pattern:
    """A regular expression reading a value of ``pattern`` back: the date parts as groups
    ``p0``, ``p1``… (in the order ``period_of`` joins them) and the number as ``n``."""
    out, pos, index = [], 0, 0
    for match in TOKEN.finditer(pattern):
        out.append(re.escape(pattern[pos:match.start()]))
        token = match.group(1)
        if token.startswith("#"):
            out.append(r"(?P<n>\d+)")
        else:
            out.append(f"(?P<p{index}>\\d{{{len(token)}}})")
            index += 1
        pos = match.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out))
