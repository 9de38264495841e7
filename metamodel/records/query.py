"""List queries: filters, quick search, sort and pages, built as SQLAlchemy Core.

A filter is ``(field, operator, value)``; operators come from the field's type. Sorting
by a link sorts by the linked record's display value (a left join on the target table).
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.sql import ColumnElement

from ..catalog import Snapshot
from ..errors import BadQuery, FieldNotFound
from ..fieldtypes.base import FieldValueError
from ..fieldtypes.registry import FieldTypeRegistry
from ..ids import as_id
from ..model import TableDef
from ..storage.sqltypes import casefold
from ..storage import names

MAX_PER_PAGE = 500
SORTABLE_SYSTEM = ("id", "created_at", "updated_at", "version", "owner", "deleted_at")


@dataclass
class ListQuery:
    filters: list[tuple[str, str, Any]] = dc_field(default_factory=list)
    search: str | None = None
    sort: list[str] = dc_field(default_factory=list)  # "field" or "-field"
    page: int = 1
    per_page: int = 50
    trashed: bool = False
    where: Any = None  # an extra SQLAlchemy clause (the expression language adds these)


def parse_filter(text: str) -> tuple[str, str, str]:
    """``field:op:value`` (value may contain colons; ``field:is_empty`` needs none)."""
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise BadQuery(f"Filter {text!r} should look like field:operator:value.", {"filter": text})
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def build_where(registry: FieldTypeRegistry, snap: Snapshot, table: TableDef, sql: Table,
                q: ListQuery, scope=None) -> list[ColumnElement]:
    """``snap`` should hold only the fields the reader may see; ``scope(table, sql)`` limits
    the linked records a filter through a link may look at (the reader's row rules)."""
    clauses = [sql.c.deleted_at.is_not(None) if q.trashed else snap.live(table, sql)]
    for name, op, value in q.filters:
        if "." in name:  # through a link: client.category:eq:3 (see aggregate.path_filter)
            from .aggregate import path_filter
            clauses.append(path_filter(registry, snap, table, sql, name, op, value, scope))
            continue
        clauses.append(filter_clause(registry, table, sql, name, op, value))
    if q.search:
        clauses.append(search_clause(registry, table, sql, q.search, snap, scope))
    if q.where is not None:  # a clause, or a callable (snap, table, sql, scope) -> clause
        clauses.append(q.where(snap, table, sql, scope) if callable(q.where) else q.where)
    return clauses


def filter_clause(registry, table: TableDef, sql: Table, name: str, op: str, value) -> ColumnElement:
    if name == "id":
        ids = [as_id(v) for v in str(value).split(",") if v.strip()]
        if None in ids:
            raise BadQuery(f"Filter on id needs record numbers, got {value!r}.", {"field": "id"})
        return sql.c.id.in_(ids) if op == "in" else sql.c.id == ids[0] if ids else sql.c.id.is_(None)
    if name == "owner" and op == "eq":
        owner = as_id(value)
        if owner is None:
            raise BadQuery(f"Filter on owner needs a user id, got {value!r}.", {"field": "owner"})
        return sql.c.owner == owner
    field = table.field(name)
    if field is None:
        raise FieldNotFound(table.api_name, name)
    ftype = registry.get(field.type)
    if op not in ftype.filter_operators:
        raise BadQuery(f"Operator {op!r} is not available for {field.label!r} ({ftype.label}); "
                       f"use one of: {', '.join(ftype.filter_operators)}.",
                       {"field": name, "operator": op, "allowed": list(ftype.filter_operators)})
    try:
        return ftype.filter_clause(sql, field, op, value)
    except FieldValueError as exc:
        raise BadQuery(f"Filter on {field.label!r}: {exc.message}.", {"field": name, "operator": op}) from None


def search_clause(registry, table: TableDef, sql: Table, text: str, snap: Snapshot | None = None,
                  scope=None) -> ColumnElement:
    """Quick search: the table's text fields, and the display value of each linked record
    the reader may read (``snap`` is the reader's snapshot, ``scope`` their row rule)."""
    needle = "%" + text.strip().casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = [registry.get(f.type).column(sql, f) for f in table.fields if registry.get(f.type).searchable]
    clauses = [casefold(c).like(needle, escape="\\") for c in columns]
    for f in table.fields if snap is not None else ():
        if f.type != "link":
            continue
        target = snap.tables.get(int(f.options["target_id"]))
        display = shown_display(target)
        if display is None or not registry.get(display.type).searchable:
            continue
        alias = snap.sql_table(target).alias(f"qs_{f.id}")
        inner = [casefold(registry.get(display.type).column(alias, display)).like(needle, escape="\\"),
                 alias.c.deleted_at.is_(None), *_reach(scope, target, alias)]
        clauses.append(registry.get(f.type).column(sql, f).in_(select(alias.c.id).where(*inner)))
    if text.strip().isdigit() and len(text.strip()) < 19:
        clauses.append(sql.c.id == int(text.strip()))
    return or_(*clauses) if clauses else sql.c.id.is_(None)


def shown_display(target: TableDef | None):
    """The display field of ``target`` as its reader sees it (``target`` from the reader's
    snapshot): None when the table is unreadable or its display field is hidden."""
    if target is None or not target.live or not target.fields:
        return None
    if target.display_field_id:
        f = target.field_by_id(target.display_field_id)
        return f if f is not None and f.live else None
    return target.fields[0]


def _reach(scope, target: TableDef, alias) -> list:
    clause = scope(target, alias) if scope is not None else None
    return [] if clause is None else [clause]


def order_by(registry, snap: Snapshot, table: TableDef, sql: Table, sort: list[str], stmt, scope=None):
    """Sort keys; a link sorts by the linked record's display value among the records the
    reader may read (``snap`` the reader's snapshot, ``scope`` their row rule): others sort
    as empty."""
    keys = []
    for item in sort or []:
        desc = item.startswith("-")
        name = item.lstrip("-+")
        if name in SORTABLE_SYSTEM:
            expr = sql.c[name]
        else:
            field = table.field(name)
            if field is None:
                raise FieldNotFound(table.api_name, name)
            ftype = registry.get(field.type)
            if not ftype.sortable:
                raise BadQuery(f"{field.label!r} ({ftype.label}) cannot be sorted.", {"field": name})
            if field.type == "link":
                target = snap.table_by_id(int(field.options["target_id"]))
                display = shown_display(target)
                alias = snap.sql_table(target).alias(f"sort_{field.id}")
                stmt = stmt.outerjoin(alias, and_(alias.c.id == sql.c[names.column_name(field.id)],
                                                  alias.c.deleted_at.is_(None), *_reach(scope, target, alias)))
                expr = registry.get(display.type).sort_expression(alias, display) if display else alias.c.id
            else:
                expr = ftype.sort_expression(sql, field)
        keys.append(expr.desc().nulls_last() if desc else expr.asc().nulls_last())
    keys.append(sql.c.id.desc() if (sort and sort[-1].startswith("-")) else sql.c.id.asc())
    return stmt.order_by(*keys)


def page_bounds(q: ListQuery) -> tuple[int, int]:
    try:
        page, per_page = int(q.page), int(q.per_page)
    except (TypeError, ValueError):
        raise BadQuery("page and per_page must be whole numbers.", {}) from None
    if page < 1 or per_page < 1 or per_page > MAX_PER_PAGE:
        raise BadQuery(f"page must be ≥ 1 and per_page between 1 and {MAX_PER_PAGE}.",
                       {"page": page, "per_page": per_page})
    return (page - 1) * per_page, per_page


def count(conn, sql: Table, where: list) -> int:
    return conn.execute(select(func.count()).select_from(sql).where(and_(*where))).scalar_one()
