"""Copy a whole Cardfile base to another database: ``cardfile db copy SRC_URL DST_URL``.

SQLite to PostgreSQL (the usual move when a business grows), PostgreSQL to SQLite, or
PostgreSQL to PostgreSQL. The destination must be empty (no tables at all). In one
transaction on the destination:

1. the platform's own tables (``cf_…``) are created by the migrations, as on any new base;
2. their rows are copied in foreign-key order, ids kept (rows the migrations seed are
   replaced by the source's);
3. the user tables (``t_17``) are built from the copied catalog, exactly as the designers
   build them, and filled in batches, ids kept; on PostgreSQL the foreign keys of user
   tables are added after their rows, so links in any order (and cycles) copy;
4. id counters continue after the copied numbers (PostgreSQL sequences; SQLite's
   ``sqlite_sequence`` follows explicit ids by itself) — never below the source's own
   counter, so an id emptied from the trash there is not given out again;
5. every table is verified: row counts and a SHA-256 over its rows in key order, values
   normalised (numbers, times in UTC, JSON with sorted keys), on both sides. A mismatch
   rolls the whole copy back and is an error.

Like a backup, it works below the record service: stored rows are copied as they are
(versions, timestamps, owners, the audit log), not re-saved by anyone.

The source is only read, in one read transaction (a consistent snapshot); stop the app
while you copy so nothing written after the snapshot is left behind. Uploaded files stay in
the data directory: copy ``<data>/files`` along.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable

from .catalog import Catalog, forget_versions
from .errors import CardfileError
from .fieldtypes.registry import FieldTypeRegistry, default_registry
from .storage import migrations
from .storage import package_tables  # noqa: F401 - registers cf_package_applies in the metadata
from .storage import messaging_tables  # noqa: F401 - registers the mail and reminder tables
from .storage.engine import make_engine
from .storage.platform_tables import metadata as platform_metadata

BATCH = 2000
SKIPPED = {migrations.VERSION_TABLE, "sqlite_sequence"}


class CopyRefused(CardfileError):
    code = "COPY_REFUSED"


class CopyMismatch(CardfileError):
    code = "COPY_MISMATCH"


@dataclasses.dataclass
class TableCopy:
    name: str
    rows: int
    checksum: str
    ok: bool


def shown(url: str) -> str:
    try:
        return make_url(_driver_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def _driver_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


def copy_base(src_url: str, dst_url: str, *, src_schema: str | None = None, dst_schema: str | None = None,
              registry: FieldTypeRegistry | None = None, batch: int = BATCH,
              progress: Callable[[TableCopy], None] | None = None) -> list[TableCopy]:
    """Copy the base at ``src_url`` into the empty database at ``dst_url``; returns one
    ``TableCopy`` per table. Raises ``CopyRefused`` (nothing written) or ``CopyMismatch``
    (the copy rolled back)."""
    registry = registry or default_registry()
    _check_url(src_url, "source")
    _check_url(dst_url, "destination")
    src = make_engine(src_url, schema=src_schema)
    dst = make_engine(dst_url, schema=dst_schema)
    try:
        with _read(src) as s_conn:
            _check_source(s_conn)
            with dst.begin() as d_conn:
                _check_empty(d_conn, dst_url)
                migrations.upgrade(d_conn)
                return _copy(s_conn, d_conn, registry, batch, progress or (lambda _t: None))
    finally:
        src.dispose()
        dst.dispose()


def _check_url(url: str, what: str) -> None:
    try:
        parsed = make_url(_driver_url(url))
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise CopyRefused(f"The {what} is not a database URL Cardfile can use: give sqlite:///PATH or "
                          "postgresql://USER:PASSWORD@HOST/DATABASE.", {"which": what})
    if parsed.get_backend_name() == "sqlite" and (not parsed.database or parsed.database == ":memory:"):
        raise CopyRefused(f"The {what} must be an SQLite file: sqlite:///PATH.", {"which": what})
    if what == "source" and parsed.get_backend_name() == "sqlite" and not Path(parsed.database).is_file():
        raise CopyRefused(f"There is no SQLite file at {parsed.database}.", {"which": what})


def _read(engine):
    conn = engine.connect()
    if conn.dialect.name == "sqlite":
        conn = conn.execution_options(cf_readonly=True)  # a plain BEGIN: a snapshot, no write lock
    else:
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    conn.begin()
    return conn


def _check_source(conn: Connection) -> None:
    found = migrations.current(conn)
    if found is None:
        raise CopyRefused("The source holds no Cardfile base (no platform tables were found).")
    if found != migrations.head():
        raise CopyRefused(f"The source base is at schema revision {found}, this Cardfile at {migrations.head()}: "
                          "run `cardfile migrate` on the source first (or use the Cardfile that wrote it).",
                          {"source_revision": found, "code_revision": migrations.head()})


def _check_empty(conn: Connection, url: str) -> None:
    names = [n for n in inspect(conn).get_table_names() if n != "sqlite_sequence"]
    if names:
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        raise CopyRefused(f"The destination {shown(url)} is not empty (it holds {', '.join(sorted(names)[:5])}{more}). "
                          "Copy into a new, empty database (or an empty schema); nothing was changed.",
                          {"tables": sorted(names)})


def _copy(s_conn: Connection, d_conn: Connection, registry, batch: int, progress) -> list[TableCopy]:
    source_tables = set(inspect(s_conn).get_table_names())
    platform = [t for t in platform_metadata.sorted_tables if t.name in source_tables]
    if d_conn.dialect.name == "sqlite":
        d_conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # checked at commit
    for table in reversed(platform):
        d_conn.execute(table.delete())  # rows the migrations seeded (cf_meta …)
    for table in platform:
        _copy_rows(s_conn, d_conn, table, batch)
    forget_versions(d_conn)  # cf_meta was rewritten in this transaction
    snap = Catalog(registry).load(d_conn, Catalog.read_version(d_conn))
    user = [snap.sql[tid] for tid in sorted(snap.tables)]
    missing = [t.name for t in user if t.name not in source_tables]
    if missing:
        raise CopyRefused(f"The source's catalog names tables it does not hold: {', '.join(missing)}.")
    pg = d_conn.dialect.name == "postgresql"
    for table in user:
        d_conn.execute(CreateTable(table, include_foreign_key_constraints=[] if pg else None))
        for index in table.indexes:
            d_conn.execute(CreateIndex(index))
    for table in user:
        _copy_rows(s_conn, d_conn, table, batch)
    if pg:
        for table in user:
            for fk in table.foreign_key_constraints:
                d_conn.execute(AddConstraint(fk))
    for table in [*platform, *user]:
        _continue_counter(s_conn, d_conn, table)
    results = []
    for table in [*platform, *user]:
        s_count, s_sum = table_checksum(s_conn, table)
        d_count, d_sum = table_checksum(d_conn, table)
        item = TableCopy(table.name, d_count, d_sum, (s_count, s_sum) == (d_count, d_sum))
        progress(item)
        results.append(item)
    bad = [r.name for r in results if not r.ok]
    if bad:
        raise CopyMismatch(f"The copy does not match the source in {', '.join(bad)}; it was rolled back.",
                           {"tables": bad})
    return results


def _copy_rows(s_conn: Connection, d_conn: Connection, table, batch: int) -> None:
    result = s_conn.execution_options(yield_per=batch).execute(select(table).order_by(*_key(table)))
    for part in result.mappings().partitions(batch):
        d_conn.execute(table.insert(), [dict(row) for row in part])


def _key(table) -> list:
    return list(table.primary_key.columns) or list(table.columns)


def _id_column(table):
    cols = list(table.primary_key.columns)
    if len(cols) == 1 and cols[0].name == "id" and cols[0].type.python_type is int:
        return cols[0]
    return None


def _counter(conn: Connection, table) -> int:
    """The last id the database handed out for ``table`` (0 when unknown)."""
    if conn.dialect.name == "sqlite":
        if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first():
            return 0
        found = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :n"), {"n": table.name}).scalar()
        return int(found or 0)
    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
    if not seq:
        return 0
    last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {seq}").one()
    return int(last) if called else 0


def _continue_counter(s_conn: Connection, d_conn: Connection, table) -> None:
    column = _id_column(table)
    if column is None:
        return
    top = max(int(d_conn.execute(select(func.max(column))).scalar() or 0), _counter(s_conn, table))
    if d_conn.dialect.name == "postgresql":
        seq = d_conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
        if seq:
            d_conn.execute(text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                           {"s": seq, "v": max(top, 1), "called": top > 0})
    elif top > _counter(d_conn, table) and table.dialect_options["sqlite"].get("autoincrement"):
        d_conn.execute(text("UPDATE sqlite_sequence SET seq = :v WHERE name = :n"), {"v": top, "n": table.name})
        d_conn.execute(text("INSERT INTO sqlite_sequence (name, seq) SELECT :n, :v WHERE NOT EXISTS "
                            "(SELECT 1 FROM sqlite_sequence WHERE name = :n)"), {"v": top, "n": table.name})


def table_checksum(conn: Connection, table) -> tuple[int, str]:
    """(row count, SHA-256 over the rows in key order, values normalised)."""
    digest = hashlib.sha256()
    count = 0
    names = [c.name for c in table.columns]
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*_key(table)))
    for row in result.mappings():
        digest.update(json.dumps([_norm(row[n]) for n in names], ensure_ascii=False).encode())
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def _norm(value):
    kind = type(value)
    if value is None or kind is str or kind is bool:
        return value
    if kind is int:
        return str(value)
    if kind is float or kind is Decimal:
        return format(Decimal(str(value)).normalize(), "f")
    if kind is dt.datetime:
        if value.tzinfo is not None and value.utcoffset():
            value = value.astimezone(dt.timezone.utc)
        return value.isoformat(timespec="microseconds")[:26]  # the same instant, with or without "+00:00"
    if kind is dt.date or kind is dt.time:
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, (int, float, Decimal)):  # subclasses
        return format(Decimal(str(value)).normalize(), "f")
    return str(value)
