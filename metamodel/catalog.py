"""The catalog: metadata loaded from the ``cf_`` tables, with SQLAlchemy tables built from it.

A ``Snapshot`` is immutable once built; ``Catalog.current(conn)`` returns the snapshot for
the database's ``schema_version`` (a counter bumped by every schema change), so several
app processes see each other's changes on their next request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field as dc_field

from sqlalchemy import (
    BigInteger, Column, ForeignKey, Index, Integer, MetaData, Table, and_, select, update,
)
from sqlalchemy.sql import ColumnElement

from .errors import FieldNotFound, TableNotFound
from .fieldtypes.registry import FieldTypeRegistry
from .model import FieldDef, TableDef
from .storage import names
from .storage.live_rows import live_index, live_unique_index
from .storage.platform_tables import cf_fields, cf_meta, cf_tables, cf_users
from .storage.sqltypes import UtcDateTime

ID_TYPE = BigInteger().with_variant(Integer, "sqlite")


def system_columns() -> list[Column]:
    return [
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("created_by", Integer, nullable=True),
        Column("updated_at", UtcDateTime, nullable=False),
        Column("updated_by", Integer, nullable=True),
        Column("owner", Integer, nullable=True),
        Column("deleted_at", UtcDateTime, nullable=True),
    ]


def build_sql_table(metadata: MetaData, table: TableDef, registry: FieldTypeRegistry,
                    parent_table_id: int | None = None) -> Table:
    """The SQLAlchemy table for a user table, from its metadata (trashed fields included)."""
    name = names.table_name(table.id)
    columns = system_columns()
    indexes = [live_index(f"ix_{table.id}_owner", "owner")]
    if parent_table_id is not None:
        columns += [
            Column("parent_id", ID_TYPE, ForeignKey(f"{names.table_name(parent_table_id)}.id",
                                                    name=f"fk_{table.id}_parent"), nullable=True),
            Column("position", Integer, nullable=False, default=0),
        ]
        indexes.append(live_index(f"ix_{table.id}_parent", "parent_id", "position"))
    for f in table.all_fields:
        ftype = registry.get(f.type)
        if not ftype.has_column:
            continue
        columns += ftype.columns(f)
        indexes += field_indexes(table, f, registry)
    # SQLite: AUTOINCREMENT, so the id of a record deleted for good (an emptied trash) is
    # never given out again (PostgreSQL's sequences never repeat one)
    return Table(name, metadata, *columns, *indexes, sqlite_autoincrement=True)


def field_indexes(table: TableDef, f: FieldDef, registry: FieldTypeRegistry) -> list[Index]:
    ftype = registry.get(f.type)
    if not ftype.has_column:
        return []
    column = names.column_name(f.id)
    result = []
    if f.opt("unique") and ftype.supports_unique:
        result.append(live_unique_index(names.index_name(table.id, f.id, "uq"), column))
    elif f.opt("indexed") or f.type in ("link", "user"):
        result.append(live_index(names.index_name(table.id, f.id), column))
    return result


@dataclass
class Snapshot:
    version: str
    tables: dict[int, TableDef]
    sql: "Mapping[int, Table]"  # built table by table on first use (SqlTables)
    metadata: MetaData
    parents: dict[int, int] = dc_field(default_factory=dict)  # line-item table id -> its record's table id

    def table(self, api_name: str, include_trashed: bool = False) -> TableDef:
        for t in self.tables.values():
            if t.api_name == api_name and (include_trashed or t.live):
                return t
        raise TableNotFound(api_name)

    def table_by_id(self, table_id: int) -> TableDef:
        try:
            return self.tables[table_id]
        except KeyError:
            raise TableNotFound(table_id) from None

    def field(self, table: TableDef, api_name: str) -> FieldDef:
        f = table.field(api_name)
        if f is None:
            raise FieldNotFound(table.api_name, api_name)
        return f

    def sql_table(self, table: TableDef) -> Table:
        return self.sql[table.id]

    def live(self, table: TableDef, sql) -> ColumnElement:
        """The rows of ``table`` (``sql``: its table or an alias) that count: not in the
        trash and, for line items, belonging to a record that is not in the trash either
        (a trashed invoice takes its lines out of every list, total and export; restoring
        it brings them back)."""
        clause = sql.c.deleted_at.is_(None)
        parent_id = self.parents.get(table.id)
        if parent_id is None:
            return clause
        return and_(clause, self.live_parent(table, sql))

    def live_parent(self, table: TableDef, sql) -> ColumnElement | None:
        """For line items: their record is not in the trash (None for other tables)."""
        parent_id = self.parents.get(table.id)
        if parent_id is None:
            return None
        parent = self.tables[parent_id]
        parent_sql = self.sql[parent_id].alias(f"live_{parent_id}")
        return sql.c.parent_id.in_(select(parent_sql.c.id).where(self.live(parent, parent_sql)))

    def live_tables(self, include_children: bool = False) -> list[TableDef]:
        tables = [t for t in self.tables.values() if t.live and (include_children or not t.is_child)]
        return sorted(tables, key=lambda t: (t.position, t.id))

    def child_table(self, field: FieldDef) -> TableDef:
        return self.table_by_id(int(field.options["table_id"]))

    def parent_of(self, table: TableDef) -> tuple[TableDef, FieldDef]:
        for t in self.tables.values():
            f = t.field_by_id(table.parent_field_id)
            if f is not None:
                return t, f
        raise TableNotFound(table.api_name)

    def back_links(self, table: TableDef) -> list[tuple[TableDef, FieldDef]]:
        """(table, link field) pairs of live link fields pointing at ``table``."""
        result = []
        for t in self.live_tables(include_children=True):
            for f in t.fields:
                if f.type == "link" and f.options.get("target_id") == table.id:
                    result.append((t, f))
        return result


SCHEMA_VERSION_KEY = "schema_version"
#: cf_meta keys whose values every request compares with what the process has cached
VERSION_KEYS = (SCHEMA_VERSION_KEY, "access_version")
_VERSIONS = "cf_meta_versions"


def meta_versions(conn) -> dict[str, str]:
    """The catalog's and the access rules' versions, read in one statement once per
    transaction; a missing key reads as "0". Whatever changes either version in a
    transaction calls :func:`forget_versions` there (``bump_version``)."""
    # a savepoint rolled back may have undone a version: a new savepoint is a new look
    txn = conn.get_transaction()
    nested = conn.get_nested_transaction()
    seen = conn.info.get(_VERSIONS)
    if seen is not None and txn is not None and seen[0] is txn and seen[1] is nested:
        return seen[2]
    found = dict.fromkeys(VERSION_KEYS, "0")
    found.update(conn.execute(select(cf_meta.c.key, cf_meta.c.value).where(cf_meta.c.key.in_(VERSION_KEYS))).all())
    conn.info[_VERSIONS] = (txn, nested, found)
    return found


def forget_versions(conn) -> None:
    """The versions were written in this transaction: the next look reads them again."""
    conn.info.pop(_VERSIONS, None)


class Catalog:
    def __init__(self, registry: FieldTypeRegistry):
        self.registry = registry
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    @staticmethod
    def read_version(conn) -> str:
        return meta_versions(conn)[SCHEMA_VERSION_KEY]

    @staticmethod
    def bump_version(conn) -> None:
        current = int(Catalog.read_version(conn))
        conn.execute(update(cf_meta).where(cf_meta.c.key == SCHEMA_VERSION_KEY).values(value=str(current + 1)))
        forget_versions(conn)

    def current(self, conn) -> Snapshot:
        version = self.read_version(conn)
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        fresh = self.load(conn, version)
        with self._lock:
            self._snapshot = fresh
        return fresh

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None

    def load(self, conn, version: str) -> Snapshot:
        tables: dict[int, TableDef] = {}
        for row in conn.execute(select(cf_tables).order_by(cf_tables.c.position, cf_tables.c.id)).mappings():
            tables[row["id"]] = TableDef(
                id=row["id"], api_name=row["api_name"], label=row["label"],
                display_field_id=row["display_field_id"], parent_field_id=row["parent_field_id"],
                section=row["section"], position=row["position"], options=row["options"] or {},
                created_at=row["created_at"], deleted_at=row["deleted_at"])
        for row in conn.execute(select(cf_fields).order_by(cf_fields.c.position, cf_fields.c.id)).mappings():
            table = tables.get(row["table_id"])
            if table is not None:
                table.all_fields.append(FieldDef(
                    id=row["id"], table_id=row["table_id"], api_name=row["api_name"],
                    label=row["label"], type=row["type"], options=row["options"] or {},
                    position=row["position"], created_at=row["created_at"], deleted_at=row["deleted_at"]))
        metadata = MetaData()
        cf_users.to_metadata(metadata)
        field_owner = {f.id: t.id for t in tables.values() for f in t.all_fields}
        parents = {}
        for t in tables.values():
            parent = field_owner.get(t.parent_field_id) if t.parent_field_id else None
            if parent is not None:
                parents[t.id] = parent
        sql = SqlTables(tables, parents, metadata, self.registry)
        return Snapshot(version=version, tables=tables, sql=sql, metadata=metadata, parents=parents)


class SqlTables(Mapping):
    """Table id -> SQLAlchemy table, each built the first time it is asked for.

    A snapshot is loaded after every design change (a package apply loads a few hundred),
    and most requests use two or three of its tables: building them all up front cost more
    than everything else a load does."""

    def __init__(self, tables: dict, parents: dict, metadata: MetaData, registry: FieldTypeRegistry):
        self._tables, self._parents, self._metadata, self._registry = tables, parents, metadata, registry
        self._built: dict[int, Table] = {}
        self._lock = threading.Lock()

    def __getitem__(self, table_id: int) -> Table:
        built = self._built.get(table_id)
        if built is not None:
            return built
        table = self._tables[table_id]
        parent = self._parents.get(table_id)
        if parent is not None:
            self[parent]  # the line-item table's foreign key names its record's table
        with self._lock:
            built = self._built.get(table_id)
            if built is None:
                built = self._built[table_id] = build_sql_table(self._metadata, table, self._registry, parent)
        return built

    def __iter__(self):
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)
