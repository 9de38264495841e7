"""Indexes over live rows (``deleted_at IS NULL``), laid out per database.

Every list, count and link lookup filters on ``deleted_at IS NULL``, so the plain indexes
of user tables are partial indexes over live rows. PostgreSQL reads such an index alone for
a count (the predicate is implied). SQLite uses the index but still visits a row cursor
per entry; with ``deleted_at`` as the index's first column (always NULL, one byte an
entry) the same count reads the index alone (a covering index), and sorting by the
indexed column still walks the index in order. On PostgreSQL a leading ``deleted_at``
would stop the index from giving the order, so there the index keeps its own columns.

``live_index`` builds the index; the SQLite layout is applied when the index is created,
whichever path creates it (``Table.create``, alembic's ``create_index``, ``Index.create``).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, Table, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex

LIVE_ROWS = "deleted_at IS NULL"


def live_index(name: str, *columns: str) -> Index:
    """A partial index over live rows."""
    return Index(name, *columns, sqlite_where=text(LIVE_ROWS), postgresql_where=text(LIVE_ROWS))


def live_unique_index(name: str, *columns: str) -> Index:
    """A unique index over live rows: a value is unique among the records that are not in
    the trash, so a trashed record (a reverted import, say) does not hold its value and the
    same data can be entered again. Restoring a record whose value was taken since is
    refused as a duplicate. Its columns stay as they are on both databases (a leading
    ``deleted_at``, always NULL here, would make every entry distinct)."""
    return Index(name, *columns, unique=True, sqlite_where=text(LIVE_ROWS), postgresql_where=text(LIVE_ROWS))


def _is_live(index: Index) -> bool:
    where = index.dialect_options["sqlite"]["where"]
    return (not index.unique and where is not None and str(where) == LIVE_ROWS
            and [c.name for c in index.columns][:1] != ["deleted_at"])


@compiles(CreateIndex, "sqlite")
def _create_live_index(create, compiler, **kw):
    index = create.element
    if not _is_live(index):
        return compiler.visit_create_index(create, **kw)
    names = [c.name for c in index.columns]
    twin_table = Table(index.table.name, MetaData(), Column("deleted_at"), *[Column(n) for n in names],
                       schema=index.table.schema)
    twin = Index(index.name, twin_table.c.deleted_at, *[twin_table.c[n] for n in names],
                 sqlite_where=text(LIVE_ROWS))
    return compiler.visit_create_index(CreateIndex(twin, if_not_exists=create.if_not_exists), **kw)
