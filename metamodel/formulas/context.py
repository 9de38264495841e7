"""Records as the formula evaluator reads them: a ``RecordContext`` over database rows.

One :class:`Loader` serves one pass (a write and its propagation, or one batch of a bulk
recompute). It caches every row and collection it reads, so a client's 200 invoices are
read once however many formulas aggregate them, and it keeps the cache current when the
pass writes a computed value (dependents then read the new value). Trashed records read
as absent: a link to one is empty, collections leave them out.

Values: numbers as ``Decimal``, money as :class:`~cardfile.formula.types.Money` in the
record's own currency, multi-choice as "a, b", files by name, date-times as naive UTC.
A formula field holding an error value raises that error, so it propagates to readers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...formula import errors as E
from ...formula.errors import FormulaError
from ...formula.types import Money
from ..catalog import Snapshot
from ..fieldtypes.builtin.computed import is_error
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from .bridge import FieldRef, FormulaSchema, utc_naive

IN_BATCH = 500


class Loader:
    def __init__(self, conn, schema: FormulaSchema, registry: FieldTypeRegistry):
        self.conn = conn
        self.schema = schema
        self.snap: Snapshot = schema.snap
        self.registry = registry
        self.rows: dict[tuple[int, int], dict] = {}
        self.members_cache: dict[tuple[int, str, int], list[dict]] = {}
        self.by_name = {t.api_name: t for t in self.snap.tables.values() if t.live}

    def table(self, name: str) -> TableDef:
        return self.by_name[name]

    def keep(self, table: TableDef, row) -> dict:
        key = (table.id, row["id"])
        found = self.rows.get(key)
        if found is None:
            found = self.rows[key] = dict(row)
        return found

    def row(self, table: TableDef, record_id: int | None) -> dict | None:
        if record_id is None:
            return None
        key = (table.id, record_id)
        if key not in self.rows:
            self.prefetch(table, [record_id])
        return self.rows.get(key)

    def prefetch(self, table: TableDef, ids) -> list[dict]:
        sql = self.snap.sql_table(table)
        wanted = [i for i in dict.fromkeys(ids) if (table.id, i) not in self.rows]
        for start in range(0, len(wanted), IN_BATCH):
            chunk = wanted[start:start + IN_BATCH]
            for row in self.conn.execute(select(sql).where(sql.c.id.in_(chunk))).mappings():
                self.keep(table, row)
        return [self.rows[(table.id, i)] for i in ids if (table.id, i) in self.rows]

    def members(self, ref: FieldRef, owner_id: int) -> list[dict]:
        element = ref.element
        key = (element.id, ref.name, owner_id)
        cached = self.members_cache.get(key)
        if cached is None:
            sql = self.snap.sql_table(element)
            column = ref.sql_back(sql)
            order = [sql.c.position, sql.c.id] if ref.kind == "lines" else [sql.c.id]
            stmt = select(sql).where(column == owner_id, sql.c.deleted_at.is_(None)).order_by(*order)
            members = ref.sql_members(sql)  # line items of a record in the trash do not count
            if members is not None:
                stmt = stmt.where(members)
            cached = [self.keep(element, row) for row in self.conn.execute(stmt).mappings()]
            self.members_cache[key] = cached
        return cached

    def record(self, table: TableDef, row: dict | None) -> "DbRecord | None":
        if row is None or row.get("deleted_at") is not None:
            return None
        return DbRecord(self, table, row)

    def forget_members(self) -> None:
        self.members_cache.clear()


class DbRecord:
    """A ``RecordContext`` over one cached row."""

    __slots__ = ("loader", "table", "row", "view")

    def __init__(self, loader: Loader, table: TableDef, row: dict):
        self.loader = loader
        self.table = table
        self.row = row
        self.view = loader.schema.view(table)

    def get(self, name: str) -> Any:
        ref = self.view.field(name)
        if ref is None:
            return None
        loader = self.loader
        if ref.kind == "column":
            return read_value(loader.registry, ref, self.row)
        if ref.kind == "system":
            return utc_naive(self.row.get(name))
        if ref.kind in ("link", "parent"):
            target = loader.table(ref.target)
            key = "parent_id" if ref.kind == "parent" else ref.sql_link(loader.snap.sql_table(self.table)).name
            return loader.record(target, loader.row(target, self.row.get(key)))
        return [DbRecord(loader, ref.element, row) for row in loader.members(ref, self.row["id"])]


def read_value(registry: FieldTypeRegistry, ref: FieldRef, row) -> Any:
    """A stored value as formulas see it."""
    f = ref.field
    ftype = registry.get(f.type)
    value = ftype.from_db(row, f)
    if value is None:
        return None
    if is_error(value):
        raise FormulaError(E.RUNTIME, f"{f.api_name} has an error: {value.message}")
    if isinstance(value, dict) and "amount" in value:
        return Money(value["amount"], value["currency"])
    if f.type == "multi_choice":
        return ", ".join(value)
    if f.type in ("file", "image"):
        return value.get("name")
    return utc_naive(value)


class PendingRecord:
    """A record being created, before it is stored: values parsed from the input."""

    __slots__ = ("loader", "table", "values", "view")

    def __init__(self, loader: Loader, table: TableDef, values: dict):
        self.loader = loader
        self.table = table
        self.values = values
        self.view = loader.schema.view(table)

    def get(self, name: str) -> Any:
        ref = self.view.field(name)
        if ref is None:
            return None
        if ref.kind == "column":
            f = ref.field
            ftype = self.loader.registry.get(f.type)
            value = self.values.get(name)
            if value is None or not ftype.has_column:
                return None
            return read_value(self.loader.registry, ref, ftype.to_db(value, f))
        if ref.kind == "link":
            target = self.loader.table(ref.target)
            return self.loader.record(target, self.loader.row(target, self.values.get(name)))
        if ref.kind == "system":  # set when the record is stored; the creator is ``me``
            return None
        return [] if ref.kind != "parent" else None
