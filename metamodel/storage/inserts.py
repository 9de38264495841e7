"""``INSERT … ON CONFLICT DO NOTHING``: the one way a unique key decides who did something first."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_duplicates(conn, table, values: dict):
    """Insert ``values`` into ``table``; the new row's id, or None when a unique key is taken.

    Two transactions inserting the same key: on PostgreSQL the second waits for the first
    and then does nothing; on SQLite writers are serialized. Either way one row, one winner.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return conn.execute(stmt).scalar()
