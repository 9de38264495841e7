"""What the formula language needs to know about tables, fields and records.

These are Protocols: ``cardfile.metamodel`` implements them (tests implement them over
plain SQLAlchemy tables); the formula package never imports the metamodel.

``FieldInfo.type`` is a :class:`~cardfile.formula.types.FormulaType`: a link is
``RECORD(target)``, line items and back-links are ``COLLECTION(target)``.

SQL access goes only through the three ``sql_*`` methods, so the storage layout stays
the metamodel's business. ``sql_value`` returns the value in natural units: on SQLite a
decimal or money column stored as a scaled integer comes back as ``col / 100.0``; on
PostgreSQL a ``NUMERIC``. For MONEY it is the amount in the field's ``currency``.

One optional member (see :class:`StoredFieldInfo`), ``sql_stored(table)``, returns
``(column, scale)``: the stored column itself and its decimal scale, the field's value
being ``column / 10**scale`` (NULL when empty). On SQLite a number or money column given
this way holds whole numbers (a scaled integer when ``scale > 0``). Conditions then
compare the bare column, so an index on it can be used, and exact arithmetic can run
on the integers; without it ``sql_value`` is used.

Two more optional members (see :class:`MoneyFieldInfo`): ``sql_currency(table)``, the
column holding each money value's currency (NULL where the value is empty; a NULL beside
an amount reads as ``currency``), and ``sql_error(table)``, the column that is not NULL
where a stored formula holds an error value. Without ``sql_currency`` every value of the
field is in ``currency``; with it, SQL checks currencies per row as Python does.

``RecordContext`` is what the Python evaluator reads a record through. ``get`` returns:
a plain value for ordinary fields (``Decimal``/``int`` for numbers, ``Money`` or a bare
amount for money, ``str``, ``bool``, ``date``, ``datetime`` or ``None`` when empty);
another ``RecordContext`` (or ``None``) for a link; a list of ``RecordContext`` for a
collection. A link to a record in the trash, and trashed members of a collection,
should read as absent, which is what the SQL path does (``deleted_at IS NULL``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import datetime

    import sqlalchemy
    from sqlalchemy.sql.elements import ColumnElement

    from .types import FormulaType


@runtime_checkable
class FieldInfo(Protocol):
    name: str                 # API name used in expressions
    type: "FormulaType"       # RECORD(target) for links, COLLECTION(target) for collections
    target: str | None        # target table name for RECORD / COLLECTION
    places: int | None        # decimal places for NUMBER/MONEY columns, else None
    currency: str | None      # default currency of a MONEY field

    def sql_value(self, table: "sqlalchemy.FromClause") -> "ColumnElement": ...

    def sql_link(self, table: "sqlalchemy.FromClause") -> "ColumnElement": ...

    def sql_back(self, target_table: "sqlalchemy.FromClause") -> "ColumnElement": ...


@runtime_checkable
class MembersFieldInfo(FieldInfo, Protocol):
    """A collection ``FieldInfo`` whose elements must meet a condition of their own besides
    ``sql_back`` and ``deleted_at IS NULL`` (optional): ``sql_members(element)`` is a
    condition on ``element`` (an alias of the element table), or None. Line items reached
    through a back-link count only while the record they belong to is not in the trash;
    the Python side should leave such elements out of the collection as well."""

    def sql_members(self, element: "sqlalchemy.FromClause") -> "ColumnElement | None": ...


@runtime_checkable
class StoredFieldInfo(FieldInfo, Protocol):
    """A ``FieldInfo`` that also tells its stored column (optional, see the module doc)."""

    def sql_stored(self, table: "sqlalchemy.FromClause") -> "tuple[ColumnElement, int]": ...


@runtime_checkable
class MoneyFieldInfo(FieldInfo, Protocol):
    """A ``FieldInfo`` that tells each value's currency and error column (optional)."""

    def sql_currency(self, table: "sqlalchemy.FromClause") -> "ColumnElement | None": ...

    def sql_error(self, table: "sqlalchemy.FromClause") -> "ColumnElement | None": ...


@runtime_checkable
class TableInfo(Protocol):
    name: str

    def field(self, name: str) -> FieldInfo | None: ...

    def field_names(self) -> list[str]: ...

    def sql_table(self) -> "sqlalchemy.Table": ...   # has columns ``id`` and ``deleted_at``


@runtime_checkable
class ReachTableInfo(TableInfo, Protocol):
    """A ``TableInfo`` that limits the rows a path may reach (optional).

    ``sql_reach(alias)`` is a condition on ``alias`` (an alias of ``sql_table()``) that a
    linked record or a collection element must meet, or None for every row. Request-time
    expressions (filters, ``where=``) get it from the reader's row rules; a link to a record
    outside it reads as empty and aggregates skip such elements.
    """

    def sql_reach(self, alias: "sqlalchemy.FromClause") -> "ColumnElement | None": ...


@runtime_checkable
class Schema(Protocol):
    def table(self, name: str) -> TableInfo | None: ...


@runtime_checkable
class RecordContext(Protocol):
    def get(self, name: str) -> Any: ...


@runtime_checkable
class RatesProvider(Protocol):
    """Currency rates for ``convert()``: how many ``to`` one unit of ``from_`` buys."""

    def rate(self, from_: str, to: str, on: "datetime.date") -> Decimal: ...


class DictRecord:
    """A ``RecordContext`` over a plain dict (links as nested dicts, collections as lists).

    Handy for examples, previews and tests: ``DictRecord({"price": Decimal("2")})``.
    """

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        self._data = data

    def get(self, name: str) -> Any:
        value = self._data.get(name)
        if isinstance(value, dict):
            return DictRecord(value)
        if isinstance(value, list):
            return [DictRecord(item) if isinstance(item, dict) else item for item in value]
        return value

    def __repr__(self) -> str:
        return f"DictRecord({self._data!r})"
