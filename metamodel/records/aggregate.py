"""Aggregates over a user table: one SQL ``GROUP BY``, rows never loaded into Python.

    AggregateSpec   groups (field paths, optional date part) + measures + a ListQuery filter
    run_aggregate   resolve paths -> joins, build the SELECT … GROUP BY, fetch the groups,
                    label them (links and users by display value, choices by label)

A path is ``field`` or ``link.field`` (one hop through a link field; a line-items table
may also hop to its record with ``parent.field``). A formula field counts as a field of its
result type (a money total is summed like money). Only fields the actor may read can be
grouped, measured or filtered on, and the access row clause limits the rows counted.

Date parts (day, week, month, quarter, year) are computed in SQL as sortable text keys:
``2025-03-17`` (day; for a week, its Monday), ``2025-03``, ``2025-Q1``, ``2025``.
Date-times are grouped by their UTC date.

**Money is never added across currencies.** ``Group(path, currency=True)`` groups by the
currency of a money field; ``Measure(..., currency="EUR")`` aggregates only the values in
that currency (``currency_field`` names the money field whose currency decides, for a count
or a weight). A sum, average, minimum or maximum of money asked without a currency is
empty for a group that holds several currencies, never 10 EUR + 20 USD = 30 EUR: the pivot
asks for one value per currency (:mod:`cardfile.reports.pivot`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field as dc_field
from typing import Any

from sqlalchemy import Integer, and_, case, cast, distinct, func, literal, literal_column, select, type_coerce
from sqlalchemy.sql import ColumnElement

from ..catalog import Snapshot
from ..errors import BadQuery, FieldNotFound
from ..model import FieldDef, TableDef
from ..storage import names
from ..storage.platform_tables import cf_users
from ..storage.sqltypes import ExactDecimal
from .output import RecordReader
from .query import ListQuery, build_where, filter_clause

AGGREGATES = ("sum", "count", "avg", "min", "max", "count_distinct")
DATE_PARTS = ("day", "week", "month", "quarter", "year")
NUMERIC_TYPES = ("integer", "decimal", "money", "percent")
ORDERED_TYPES = NUMERIC_TYPES + ("date", "datetime", "text", "counter", "choice", "email", "phone", "url")
MAX_GROUPS = 100_000
MAX_HOPS = 1
PARENT = "parent"


@dataclass
class Group:
    path: str
    date_part: str | None = None
    currency: bool = False  # group by the currency of the money field at ``path``


@dataclass
class Measure:
    field: str | None = None  # None (or "*") counts rows
    agg: str = "count"
    weight: str | None = None  # sum/avg of field × weight (e.g. price × quantity)
    currency: str | None = None        # only the values in this currency (money)
    currency_field: str | None = None  # the money field whose currency decides (default: field)


@dataclass
class AggregateSpec:
    groups: list[Group] = dc_field(default_factory=list)
    measures: list[Measure] = dc_field(default_factory=lambda: [Measure()])
    query: ListQuery = dc_field(default_factory=ListQuery)


@dataclass
class AggregateResult:
    """``rows``: one list per group, the group keys first, then the measures."""

    groups: list[dict]
    measures: list[dict]
    rows: list[list]
    labels: list[dict]  # per group: key -> display text (links, users, choices, booleans)


@dataclass
class _Resolved:
    table: TableDef        # the table holding the final field
    field: FieldDef | None  # None: the hop's record itself (``parent``)
    sql: Any               # the (aliased) SQL table holding the column
    label: str


class _Joins:
    """Resolves paths against readable fields, adding one outer join per distinct hop.

    A hop joins only live linked records within the reader's row rule (``row_clause``): one
    outside it groups, measures and filters as an empty link."""

    def __init__(self, snap: Snapshot, registry, table: TableDef, sql, readable, row_clause=None):
        self.snap, self.registry, self.table, self.sql = snap, registry, table, sql
        self.readable = readable
        self.row_clause = row_clause
        self.joins: dict[str, Any] = {}
        self.from_ = sql

    def field(self, table: TableDef, name: str) -> FieldDef:
        f = self.readable(table).get(name)
        if f is None:
            raise FieldNotFound(table.api_name, name)
        return f

    def resolve(self, path: str) -> _Resolved:
        parts = [p for p in str(path or "").split(".")]
        if not all(parts) or len(parts) > MAX_HOPS + 1:
            raise BadQuery(f"{path!r} is not a field path: use field or link.field (one hop).", {"path": path})
        table, sql, label = self.table, self.sql, ""
        for hop in parts[:-1]:
            table, sql, hop_label = self._hop(table, sql, hop)
            label += hop_label + " › "
        f = self.field(table, parts[-1])
        ftype = self.registry.get(f.type)
        if ftype.has_column is False:
            raise BadQuery(f"{f.label!r} has no value to group or measure.", {"path": path})
        if hasattr(ftype, "delegate"):  # a formula: grouped and measured as its result type
            f = ftype.delegate(f)[1]
        return _Resolved(table, f, sql, label + f.label)

    def _hop(self, table: TableDef, sql, hop: str):
        if hop == PARENT and table.is_child:
            parent, _lines_field = self.snap.parent_of(table)
            target, on = parent, "parent_id"
        else:
            f = self.field(table, hop)
            if f.type != "link":
                raise BadQuery(f"{f.label!r} is not a link, so {hop}.… cannot follow it.", {"path": hop})
            target, on = self.snap.table_by_id(int(f.options["target_id"])), self.column(sql, f).name
        key = f"{sql.name}.{on}"
        alias = self.joins.get(key)
        if alias is None:
            alias = self.snap.sql_table(target).alias(f"j{len(self.joins) + 1}")
            self.joins[key] = alias
            reach = self.row_clause(target, alias) if self.row_clause is not None else None
            self.from_ = self.from_.outerjoin(alias, and_(alias.c.id == sql.c[on], alias.c.deleted_at.is_(None),
                                                          *([] if reach is None else [reach])))
        return target, alias, (table.label if hop == PARENT else self.field(table, hop).label)

    def column(self, sql, f: FieldDef):
        return self.registry.get(f.type).column(sql, f)


def date_key(dialect: str, column, part: str) -> ColumnElement:
    """A text key for ``part`` of a date or date-time column, computed in SQL."""
    if part not in DATE_PARTS:
        raise BadQuery(f"Date grouping must be one of {', '.join(DATE_PARTS)}; got {part!r}.", {"date_part": part})
    if dialect == "sqlite":
        text = column  # dates and date-times are stored as ISO text
        if part == "day":
            return func.substr(text, literal_column("1"), literal_column("10"))
        if part == "week":
            return func.date(text, literal_column("'weekday 0'"), literal_column("'-6 days'"))
        if part == "month":
            return func.substr(text, literal_column("1"), literal_column("7"))
        if part == "year":
            return func.substr(text, literal_column("1"), literal_column("4"))
        month = cast(func.substr(text, literal_column("6"), literal_column("2")), Integer)
        return func.substr(text, literal_column("1"), literal_column("4")).concat(
            literal_column("'-Q'")).concat(cast((month + literal_column("2")) / literal_column("3"), Integer))
    patterns = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
    if part == "week":
        return func.to_char(func.date_trunc(literal_column("'week'"), column), literal_column("'YYYY-MM-DD'"))
    return func.to_char(column, literal_column(f"'{patterns[part]}'"))


def currency_column(joins: _Joins, path: str) -> ColumnElement:
    """The currency of each value of the money field at ``path`` (NULL where it is empty)."""
    r = joins.resolve(path)
    if r.field.type != "money":
        raise BadQuery(f"{r.label!r} is not money, so it has no currency.", {"field": path})
    amount = joins.column(r.sql, r.field)
    stored = r.sql.c[names.column_name(r.field.id, "cur")]
    return case((amount.is_(None), None), else_=func.coalesce(stored, literal(r.field.opt("currency", "EUR"))))


def measure_column(joins: _Joins, m: Measure) -> tuple[ColumnElement, dict]:
    agg = m.agg
    if agg not in AGGREGATES:
        raise BadQuery(f"Aggregate must be one of {', '.join(AGGREGATES)}; got {agg!r}.", {"agg": agg})
    if m.field in (None, "", "*"):
        if agg != "count":
            raise BadQuery(f"{agg} needs a field; only count works on whole records.", {"agg": agg})
        return func.count(), {"field": "*", "agg": "count", "label": "Records", "type": "integer"}
    r = joins.resolve(m.field)
    col = joins.column(r.sql, r.field)
    info = {"field": m.field, "agg": agg, "label": r.label, "type": r.field.type}
    if r.field.type == "money":
        info["currency"] = r.field.opt("currency", "EUR")
    mixed = None
    if m.currency is not None:   # only the values in one currency
        in_currency = currency_column(joins, m.currency_field or m.field) == literal(m.currency)
        col = type_coerce(case((in_currency, col)), col.type)
        info["currency"] = m.currency
    elif r.field.type == "money" and agg in ("sum", "avg", "min", "max"):
        mixed = func.count(distinct(currency_column(joins, m.field))) > 1
    column, info = _measure(joins, m, r, col, info)
    if mixed is not None:    # never a total over several currencies
        column = type_coerce(case((mixed, None), else_=column), column.type)
    return column, info


def _measure(joins: _Joins, m: Measure, r: _Resolved, col, info: dict) -> tuple[ColumnElement, dict]:
    agg = m.agg
    if agg == "count":
        return func.count(col), {**info, "type": "integer"}
    if agg == "count_distinct":
        return func.count(distinct(col)), {**info, "type": "integer"}
    if agg in ("min", "max"):
        if r.field.type not in ORDERED_TYPES:
            raise BadQuery(f"{agg} does not apply to {r.label!r} ({r.field.type}).", {"field": m.field})
        fn = func.min if agg == "min" else func.max
        return type_coerce(fn(col), col.type), info
    if r.field.type not in NUMERIC_TYPES:
        raise BadQuery(f"{agg} needs a number field; {r.label!r} is {r.field.type}.", {"field": m.field})
    expr, sql_type, places = col, col.type, _places(col.type)
    if m.weight:
        w = joins.resolve(m.weight)
        if w.field.type not in NUMERIC_TYPES:
            raise BadQuery(f"The weight {w.label!r} must be a number field.", {"weight": m.weight})
        wcol = joins.column(w.sql, w.field)
        places += _places(wcol.type)
        expr = col * wcol
        sql_type = ExactDecimal(places) if places else col.type
        info.update(weight=m.weight, label=f"{r.label} × {w.label}", type="decimal" if places else "integer")
        if r.field.type == "money":
            info["type"] = "money"
    if agg == "sum":
        return type_coerce(func.sum(expr), sql_type), info
    if isinstance(sql_type, ExactDecimal):
        return type_coerce(func.avg(expr), sql_type), info
    return func.avg(expr), {**info, "type": "decimal"}


def _places(sql_type) -> int:
    return sql_type.places if isinstance(sql_type, ExactDecimal) else 0


def group_column(joins: _Joins, dialect: str, g: Group) -> tuple[ColumnElement, dict, Any]:
    r = joins.resolve(g.path)
    col = joins.column(r.sql, r.field)
    info = {"path": g.path, "label": r.label, "type": r.field.type, "date_part": g.date_part}
    if g.currency:
        return currency_column(joins, g.path), {**info, "label": f"{r.label} (currency)",
                                                "type": "currency"}, r
    if g.date_part:
        if r.field.type not in ("date", "datetime"):
            raise BadQuery(f"Date grouping needs a date field; {r.label!r} is {r.field.type}.", {"path": g.path})
        return date_key(dialect, col, g.date_part), {**info, "type": "period"}, r
    if r.field.type in ("multi_choice", "file", "image", "long_text"):
        raise BadQuery(f"{r.label!r} ({r.field.type}) cannot be grouped on.", {"path": g.path})
    return col, info, r


def aggregate(service, actor, table_name: str, spec: AggregateSpec) -> AggregateResult:
    """``RecordService.aggregate``: read permission first, then one GROUP BY query."""
    with service.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
        snap, table = service._table(conn, table_name)
        view = service.access.view(actor, snap, conn)
        view.check(table, "read")

        def readable(t: TableDef) -> dict[str, FieldDef]:
            return {f.api_name: f for f in view.readable(t)}

        return run_aggregate(conn, service.registry, snap, table, spec, readable, view.scope,
                             seen=view.snapshot())


def run_aggregate(conn, registry, snap: Snapshot, table: TableDef, spec: AggregateSpec,
                  readable, row_clause, seen: Snapshot | None = None) -> AggregateResult:
    """``readable(table) -> {api_name: FieldDef}``; ``row_clause(table, sql)`` -> clause or None;
    ``seen``: the snapshot as the reader sees it (what ``where=`` and filters may name)."""
    sql = snap.sql_table(table)
    visible = dataclasses.replace(table, all_fields=list(readable(table).values()))
    joins = _Joins(snap, registry, table, sql, readable, row_clause)
    dialect = conn.dialect.name
    group_cols, group_info, resolved = [], [], []
    for i, g in enumerate(spec.groups):
        col, info, r = group_column(joins, dialect, g)
        group_cols.append(col.label(f"g{i}"))
        group_info.append(info)
        resolved.append(r)
    measure_cols, measure_info = [], []
    for i, m in enumerate(spec.measures):
        col, info = measure_column(joins, m)
        measure_cols.append(col.label(f"m{i}"))
        measure_info.append(info)
    if not measure_cols:
        raise BadQuery("An aggregate needs at least one value (e.g. count of records).", {})
    for name, _, _ in spec.query.filters if spec.query is not None else ():
        hop, _, rest = name.partition(".")
        link = visible.field(hop)
        if rest and link is not None and link.type == "link":
            target = snap.table_by_id(int(link.options["target_id"]))
            if rest not in readable(target):
                raise FieldNotFound(target.api_name, rest)  # a hidden field cannot be filtered on
    where = build_where(registry, seen or snap, visible, sql, spec.query, scope=row_clause)
    extra = row_clause(table, sql)
    if extra is not None:
        where.append(extra)
    stmt = select(*group_cols, *measure_cols).select_from(joins.from_).where(and_(*where))
    if group_cols:
        stmt = stmt.group_by(*[c.element for c in group_cols]).limit(MAX_GROUPS + 1)
    rows = [list(r) for r in conn.execute(stmt)]
    if len(rows) > MAX_GROUPS:
        raise BadQuery(f"More than {MAX_GROUPS} groups; group by fewer or coarser fields.", {"limit": MAX_GROUPS})
    labels = [_labels(conn, registry, snap, r, info, [row[i] for row in rows], row_clause,
                      lambda t: list(readable(t).values()))
              for i, (r, info) in enumerate(zip(resolved, group_info))]
    return AggregateResult(group_info, measure_info, rows, labels)


def _labels(conn, registry, snap: Snapshot, r: _Resolved, info: dict, keys: list, row_clause=None,
            readable=None) -> dict:
    present = {k for k in keys if k is not None}
    f = r.field
    if info["type"] == "period" or not present:
        return {}
    if f.type == "link":
        target = snap.table_by_id(int(f.options["target_id"]))
        # a linked record outside the reader's rows is labelled by its id only
        return RecordReader(registry, snap, readable, row_clause).display_values(conn, target, present)
    if f.type == "user":
        rows = conn.execute(select(cf_users.c.id, cf_users.c.username, cf_users.c.name)
                            .where(cf_users.c.id.in_(sorted(present)))).mappings()
        return {row["id"]: row["name"] or row["username"] for row in rows}
    if f.type == "boolean":
        return {k: "Yes" if k else "No" for k in present}
    if f.type == "choice":
        return {k: registry.get(f.type).display(k, f) for k in present}
    return {}


def path_filter(registry, snap: Snapshot, table: TableDef, sql, path: str, op: str, value,
                scope=None) -> ColumnElement:
    """A list filter through one link (``client.category:eq:3``) or to the line's record
    (``parent.date:gte:2025-01-01``), as ``link IN (SELECT id FROM target WHERE …)``."""
    hop, _, name = path.partition(".")
    if not name or "." in name:
        raise BadQuery(f"{path!r} is not a field path: use field or link.field (one hop).", {"field": path})
    if hop == PARENT and table.is_child:
        target, key = snap.parent_of(table)[0], sql.c.parent_id
    else:
        f = table.field(hop)
        if f is None:
            raise FieldNotFound(table.api_name, hop)
        if f.type != "link":
            raise BadQuery(f"{f.label!r} is not a link, so {path!r} cannot follow it.", {"field": path})
        target = snap.table_by_id(int(f.options["target_id"]))
        key = registry.get(f.type).column(sql, f)
    tsql = snap.sql_table(target).alias(f"pf_{target.id}")
    inner = filter_clause(registry, target, tsql, name, op, value)
    reach = scope(target, tsql) if scope is not None else None
    return key.in_(select(tsql.c.id).where(inner, tsql.c.deleted_at.is_(None),
                                          *([] if reach is None else [reach])))
