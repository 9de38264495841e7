"""The formula language's view of the metadata: Schema / TableInfo / FieldInfo over a Snapshot.

Names a formula on table *T* can use:

* **own fields** by API name, typed by their field type (:func:`formula_type_of`);
* **links** (``client``), followed by dot paths to any depth (``client.category.discount``);
* **line items** by the lines field's name (``lines``): a collection of the child records;
* **parent** on a line-item table: the record that owns the line (``parent.client``);
* **back-links**: records of another table *S* whose link field points at *T*. The name is
  *S*'s API name (``invoices`` on clients). When *S* links to *T* through several fields,
  or *T* already has a field with that name, it is ``<S>_<link field>``
  (``invoices_billing_client``); a link's ``back_name`` option overrides both;
* **system fields**, read-only, on every table: ``owner``, ``created_by`` and
  ``updated_by`` (user ids, compared with ``me``: ``client.owner == me``), ``created_at``
  and ``updated_at`` (date-times, naive UTC like every date-time formulas read).

Each name knows its SQL: ``sql_value`` reads a column in natural units (a scaled decimal
on SQLite is divided back), ``sql_stored`` the bare column and its scale (for conditions
that use an index, and exact integer arithmetic), ``sql_link`` the link's id column, ``sql_back`` the column of the
collection's element table that points at the owner, ``sql_currency`` a money value's
currency column and ``sql_error`` a formula field's error column (so SQL checks currencies
and error values per row, as Python does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ...formula import errors as E
from ...formula.errors import FormulaError
from ...formula.types import (BOOL, COLLECTION, DATE, DATETIME, INTEGER, NUMBER, RECORD, TEXT,
                              FormulaType, money_type)
from ..catalog import Snapshot
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import FieldDef, TableDef
from ..storage import names

#: Field types whose values formulas read as text.
TEXT_TYPES = {"text", "long_text", "email", "phone", "url", "counter", "choice", "multi_choice",
              "file", "image"}
#: Read in Python only (their stored form is JSON, not the text formulas see).
PYTHON_ONLY = {"multi_choice", "file", "image"}
PARENT = "parent"
#: System columns formulas may read (kind "system"), with their types.
SYSTEM_FIELDS = {"owner": INTEGER, "created_by": INTEGER, "updated_by": INTEGER,
                 "created_at": DATETIME, "updated_at": DATETIME}


def result_type(options: dict) -> FormulaType:
    """The stored result type of a formula field (``options.result``)."""
    result = options.get("result") or {}
    kind = result.get("kind", "TEXT")
    if kind == "MONEY":
        return money_type(result.get("currency"), result.get("places", 2))
    if kind == "NUMBER":
        return NUMBER.with_places(result.get("places"))
    return FormulaType(kind)


def formula_type_of(snap: Snapshot, f: FieldDef) -> FormulaType | None:
    """How formulas see a field, or None when they cannot read it."""
    t = f.type
    if t in TEXT_TYPES:
        return TEXT
    if t in ("integer", "user"):
        return INTEGER
    if t in ("decimal", "percent"):
        return NUMBER.with_places(int(f.opt("places", 2)))
    if t == "money":
        return money_type(f.opt("currency", "EUR"), int(f.opt("places", 2)))
    if t == "boolean":
        return BOOL
    if t == "date":
        return DATE
    if t == "datetime":
        return DATETIME
    if t == "link":
        target = snap.tables.get(int(f.options["target_id"]))
        return RECORD(target.api_name) if target is not None and target.live else None
    if t == "lines":
        child = snap.tables.get(int(f.options["table_id"]))
        return COLLECTION(child.api_name) if child is not None and child.live else None
    if t == "formula":
        return result_type(f.options)
    return None


@dataclass
class FieldRef:
    """One name of a table, as the formula language sees it (implements ``FieldInfo``)."""

    name: str
    type: FormulaType
    kind: str                        # "column", "link", "lines", "parent", "back", "system"
    field: FieldDef | None = None    # own field (column/link/lines)
    target: str | None = None
    places: int | None = None
    currency: str | None = None
    dialect: str = "sqlite"
    back_field: FieldDef | None = None   # "back": the link field of the element table
    element: TableDef | None = None       # "back"/"lines": the element table
    scaled: bool = False
    live_parent: Any = None               # "back" of line items: snap.live_parent (their record not trashed)

    def sql_value(self, table: sa.FromClause):
        if self.kind == "system":
            return table.c[self.name]
        if self.field is not None and self.field.type in PYTHON_ONLY:
            raise FormulaError(E.NOT_SQL, f"{self.name} is computed in Python")
        column = table.c[names.column_name(self.field.id)]
        if self.scaled:  # the raw scaled integer (not through ExactDecimal's bind rules)
            return sa.type_coerce(column, sa.Float()) / sa.literal_column(f"{10 ** self.places}.0")
        return column

    def sql_stored(self, table: sa.FromClause):
        """(column, scale): the bare column (indexable) and the power of ten it is scaled by."""
        if self.kind == "system":
            return table.c[self.name], 0
        if self.field is not None and self.field.type in PYTHON_ONLY:
            raise FormulaError(E.NOT_SQL, f"{self.name} is computed in Python")
        column = table.c[names.column_name(self.field.id)]
        if self.scaled:  # whole numbers, compared without ExactDecimal's bind rules
            return sa.type_coerce(column, sa.BigInteger()), self.places
        return column, 0

    def sql_currency(self, table: sa.FromClause):
        """The currency column of a money value (a money field, a formula giving money)."""
        if self.kind != "column" or self.type.kind != "MONEY" or self.field is None:
            return None
        return table.c[names.column_name(self.field.id, "cur")]

    def sql_error(self, table: sa.FromClause):
        """A formula field's error column: not NULL where the record holds an error value."""
        if self.kind != "column" or self.field is None or self.field.type != "formula":
            return None
        return table.c[names.column_name(self.field.id, "err")]

    def sql_link(self, table: sa.FromClause):
        if self.kind == PARENT:
            return table.c.parent_id
        return table.c[names.column_name(self.field.id)]

    def sql_members(self, element: sa.FromClause):
        """Line items reached through a back-link count only while their record is not in
        the trash (``MembersFieldInfo``); None for every other collection."""
        if self.kind != "back" or self.live_parent is None:
            return None
        return self.live_parent(self.element, element)

    def sql_back(self, target_table: sa.FromClause):
        if self.kind == "lines":
            return target_table.c.parent_id
        return target_table.c[names.column_name(self.back_field.id)]


class TableView:
    """A table's names for formulas (implements ``TableInfo``)."""

    def __init__(self, schema: "FormulaSchema", table: TableDef):
        self.schema = schema
        self.table = table
        self.name = table.api_name
        self._fields: dict[str, FieldRef] | None = None

    def fields(self) -> dict[str, FieldRef]:
        if self._fields is None:
            self._fields = self.schema.build_fields(self.table)
        return self._fields

    def field(self, name: str) -> FieldRef | None:
        return self.fields().get(name)

    def field_names(self) -> list[str]:
        return list(self.fields())

    def sql_table(self) -> sa.Table:
        return self.schema.snap.sql_table(self.table)

    def sql_reach(self, alias: sa.FromClause):
        """The reader's row rule on ``alias`` (None: every row, or no reader)."""
        reach = self.schema.reach
        return None if reach is None else reach(self.table, alias)


class FormulaSchema:
    """The snapshot as a formula ``Schema``.

    ``reach(table, alias)``, when given, is the reader's row rule (``ActorView.scope``): the
    schema of a request-time expression (``where=``, filters) is built over the reader's
    snapshot (hidden fields and unreadable tables have no names) with their row rules, so a
    path into another table sees only what the reader may read. Stored formulas are built
    without it: they compute over all data.
    """

    def __init__(self, snap: Snapshot, registry: FieldTypeRegistry, dialect: str, reach=None):
        self.snap = snap
        self.reach = reach
        self.registry = registry
        self.dialect = dialect
        self._views: dict[str, TableView] = {}
        self._by_name = {t.api_name: t for t in snap.tables.values() if t.live}

    def table(self, name: str) -> TableView | None:
        view = self._views.get(name)
        if view is None:
            table = self._by_name.get(name)
            if table is None:
                return None
            view = self._views[name] = TableView(self, table)
        return view

    def view(self, table: TableDef) -> TableView:
        return self.table(table.api_name)

    def build_fields(self, table: TableDef) -> dict[str, FieldRef]:
        fields: dict[str, FieldRef] = {}
        for f in table.fields:
            ref = self.own_field(f)
            if ref is not None:
                fields[f.api_name] = ref
        if table.is_child and PARENT not in fields:
            parent, _ = self.snap.parent_of(table)
            fields[PARENT] = FieldRef(PARENT, RECORD(parent.api_name), PARENT,
                                      target=parent.api_name, dialect=self.dialect)
        for name, (source, link) in back_link_names(self.snap, table).items():
            if name not in fields:
                fields[name] = FieldRef(name, COLLECTION(source.api_name), "back",
                                        target=source.api_name, back_field=link,
                                        element=source, dialect=self.dialect,
                                        live_parent=self.snap.live_parent if source.is_child else None)
        for name, ftype in SYSTEM_FIELDS.items():
            if name not in fields:
                fields[name] = FieldRef(name, ftype, "system", dialect=self.dialect)
        return fields

    def own_field(self, f: FieldDef) -> FieldRef | None:
        ftype = formula_type_of(self.snap, f)
        if ftype is None:
            return None
        if f.type == "link":
            return FieldRef(f.api_name, ftype, "link", f, target=ftype.table, dialect=self.dialect)
        if f.type == "lines":
            child = self.snap.tables[int(f.options["table_id"])]
            return FieldRef(f.api_name, ftype, "lines", f, target=ftype.table, element=child,
                            dialect=self.dialect)
        places = ftype.places if ftype.kind in ("NUMBER", "MONEY") else None
        scaled = self.dialect == "sqlite" and bool(places) and stored_scaled(f)
        return FieldRef(f.api_name, ftype, "column", f, places=places, currency=ftype.currency,
                        dialect=self.dialect, scaled=scaled)


def stored_scaled(f: FieldDef) -> bool:
    """Whether the field's value column is an ExactDecimal (a scaled integer on SQLite)."""
    if f.type in ("decimal", "percent", "money"):
        return True
    return f.type == "formula" and (f.options.get("result") or {}).get("kind") in ("NUMBER", "MONEY")


def back_link_names(snap: Snapshot, table: TableDef) -> dict[str, tuple[TableDef, FieldDef]]:
    """Back-link name -> (linking table, its link field), for links pointing at ``table``."""
    links = snap.back_links(table)
    per_source: dict[int, int] = {}
    for source, _ in links:
        per_source[source.id] = per_source.get(source.id, 0) + 1
    own = {f.api_name for f in table.fields}
    result: dict[str, tuple[TableDef, FieldDef]] = {}
    for source, link in links:
        name = link.opt("back_name")
        if not name:
            name = source.api_name
            if per_source[source.id] > 1 or name in own or name == PARENT:
                name = f"{source.api_name}_{link.api_name}"
        result.setdefault(name, (source, link))
    return result


def utc_naive(value: Any) -> Any:
    """Formulas compare date-times as naive UTC (stored values come back aware)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
