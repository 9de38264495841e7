"""Keep stored formula values right after a write, in the writer's transaction.

A write marks *dirty* fields of rows: ``(table, field) -> {row ids}``. The affected
formula fields come from ``DependencyGraph.affected``, in dependency order across tables.
For each one, the rows to recompute are found by walking each of its dependencies' ``via``
backwards from the dirty rows:

* a link step (``client`` on invoices): the live rows whose link points at a dirty row;
* ``parent`` on a line-item table: the live lines of a dirty parent;
* a collection step (``lines``, a back-link such as ``invoices`` on clients): the owner
  the dirty element points at, trashed elements included (a deleted line still changes
  its invoice's total).

A moved link (an invoice from client A to client B) marks the back-link collection of
both A and B; trashing or restoring a record marks every field of it and the collections
it belongs to. Each formula is evaluated in Python over a :class:`~.context.Loader` —
or, when it aggregates a collection, cannot fail and compiles to SQL, by the same query
that reads the rows (a client's balance over hundreds of invoices then costs one ``SUM``;
the SQL is compiled once per snapshot) — and only values that really change are written —
and only they propagate further. The owner of a changed line is read from the line the
pass already holds, not asked again. Computed
columns are written without touching ``version`` or ``updated_at``: a value computed from
other records is not an edit of this one, so a user's open card does not go stale.

**Currencies never mix through a write.** A write that would make a formula meet two
currencies through a link or an aggregate (a USD payment on an invoice whose ``paid`` or
``balance`` is in EUR), or in another record than the one written, is refused with
:class:`CurrenciesWouldMix` (422, nothing written), naming both currencies and where they
meet. Money mixed within the written record's own fields (``amount + money(1, "EUR")`` on a
USD amount) is stored as that record's error value, as any formula error is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import bindparam, select, update

from ...formula.errors import CurrencyMismatch, FormulaError
from ...formula.evaluate import evaluate
from ..errors import ValidationFailed
from ..fieldtypes.builtin.computed import ComputedError, error_value, is_error
from ..model import TableDef
from ..storage import names
from .compiled import FormulaSet, Node
from .context import IN_BATCH, DbRecord, Loader

Dirty = dict[Node, set[int]]
SQL_VALUE = "cf_sql_value"
SQL_CURRENCY = "cf_sql_currency"


class CurrencyErrorValue(ComputedError):
    """A stored error value from money of two currencies (``currencies``; ``crosses``: they
    met through a link or an aggregate)."""

    currencies: tuple = ()
    crosses: bool = False


class CurrenciesWouldMix(ValidationFailed):
    """A write that would add up, compare or combine money of two currencies in a formula."""

    def __init__(self, table: TableDef, field, record_id: int, label: str | None,
                 value: CurrencyErrorValue):
        first, second = (list(value.currencies) + ["?", "?"])[:2]
        where = f"{table.label} {label}" if label else f"{table.label} #{record_id}"
        message = (f"This would mix {first} and {second} in {where} ({field.label}: "
                   f"{value.message}). Keep to one currency there, or convert the amount "
                   "first; nothing was saved.")
        super().__init__({"_record": [message]}, message=message)
        self.details["currencies"] = [first, second]
        self.details["mixed_in"] = {"table": table.api_name, "id": record_id,
                                    "field": field.api_name, "error": value.message}


def error_text(exc: FormulaError) -> str:
    position = exc.position or {}
    where = f" (column {position['column']})" if position.get("column") else ""
    return f"{exc.message}{where}"


class Clock:
    """The time a pass evaluates at: ``today`` local, ``now`` naive UTC (as stored)."""

    def __init__(self, now: dt.datetime | None = None):
        now = now or dt.datetime.now(dt.timezone.utc)
        self.now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self.today = dt.date.today()


class Pass:
    """One propagation pass over a connection (one write and everything it affects)."""

    def __init__(self, conn, fs: FormulaSet, me=None, clock: Clock | None = None):
        self.conn = conn
        self.fs = fs
        self.me = me
        self.clock = clock or Clock()
        self.loader = Loader(conn, fs.schema, fs.registry)
        self.dirty: Dirty = defaultdict(set)
        self.seeds: Dirty = defaultdict(set)
        self.formula_type = fs.registry.get("formula")
        self.origins: set[tuple[str, int]] = set()   # the records this pass's write touched

    # -- marking -----------------------------------------------------------------------
    def touched(self, table: TableDef, record_id: int, fields=None, old_links: dict | None = None):
        """Fields of a record changed (all of them when ``fields`` is None)."""
        names_ = [f.api_name for f in table.fields] if fields is None else list(fields)
        for name in names_:
            self.dirty[(table.api_name, name)].add(record_id)
        row = self.loader.row(table, record_id)
        for f in table.fields:
            if f.type == "link" and (fields is None or f.api_name in names_) and row is not None:
                targets = {row.get(names.column_name(f.id))}
                if old_links and f.api_name in old_links:
                    targets.add(old_links[f.api_name])
                self.mark_back(f, targets - {None})
        if table.is_child and fields is None and row is not None and row.get("parent_id"):
            parent, lines = self.fs.snap.parent_of(table)
            self.dirty[(parent.api_name, lines.api_name)].add(row["parent_id"])
        if fields is None:
            for f in table.fields:
                if f.type == "lines":
                    self.touched_lines(f, record_id)
        self.seed_own(table, [record_id])

    def touched_lines(self, lines_field, parent_id: int) -> None:
        """A record trashed or restored: its line items leave or rejoin the back-link
        collections they are in (a product's units sold counts only live invoices)."""
        child = self.fs.snap.tables.get(int(lines_field.options.get("table_id") or 0))
        if child is None:
            return
        links = [f for f in child.fields if f.type == "link" and self.wants_back(f)]
        if not links:
            return
        sql = self.fs.snap.sql_table(child)
        columns = [sql.c[names.column_name(f.id)] for f in links]
        rows = self.conn.execute(select(*columns).where(sql.c.parent_id == parent_id,
                                                        sql.c.deleted_at.is_(None))).all()
        for i, f in enumerate(links):
            self.mark_back(f, {r[i] for r in rows} - {None})

    def _back_refs(self, link) -> list[tuple[str, str]]:
        """(table, field) of the back references ``link`` makes on its target table."""
        target = self.fs.snap.tables.get(int(link.options["target_id"]))
        if target is None:
            return []
        return [(target.api_name, name) for name, ref in self.fs.schema.view(target).fields().items()
                if ref.kind == "back" and ref.back_field.id == link.id]

    def wants_back(self, link) -> bool:
        """Whether a computed field reads a back reference of ``link`` (a sum over the rows
        linking to a record, say): only then do ``mark_back``'s targets matter."""
        backs = set(self._back_refs(link))
        return bool(backs) and any((dep.table, dep.field) in backs
                                   for node in self.fs.fields.values() for dep in node.dependencies)

    def mark_back(self, link, targets) -> None:
        if not targets:
            return
        for key in self._back_refs(link):
            self.dirty[key].update(targets)

    def seed_own(self, table: TableDef, ids) -> None:
        self.origins.update((table.api_name, i) for i in ids)
        for f in table.fields:
            if (table.api_name, f.api_name) in self.fs.fields:
                self.seeds[(table.api_name, f.api_name)].update(ids)

    # -- running -------------------------------------------------------------------------
    def run(self) -> dict[Node, set[int]]:
        """Recompute everything affected; returns the rows whose values changed."""
        changed: Dirty = defaultdict(set)
        for node in self.order():
            rows = set(self.seeds.get(node, ()))
            for dep in self.fs.fields[node].dependencies:
                ids = self.dirty.get((dep.table, dep.field))
                if ids:
                    rows |= self.walk_back(dep.via, ids)
            if rows:
                done = self.compute(node, rows)
                if done:
                    self.dirty[node].update(done)
                    changed[node].update(done)
        return changed

    def order(self) -> list[Node]:
        graph = self.fs.graph
        start = {n for n, ids in self.dirty.items() if ids} | set(self.seeds)
        nodes = set(graph.affected(start)) | {n for n in self.seeds if n in self.fs.fields}
        reads = {n: {(d.table, d.field) for d in self.fs.fields[n].dependencies} & nodes
                 for n in nodes}
        order, placed = [], set()
        pending = sorted(nodes)
        while pending:
            ready = [n for n in pending if not (reads[n] - placed - {n})]
            if not ready:        # a cycle slipped in: compute the rest in name order
                ready = pending[:1]
            for n in ready:
                order.append(n)
                placed.add(n)
            pending = [n for n in pending if n not in placed]
        return order

    def walk_back(self, via, ids: set[int]) -> set[int]:
        current = set(ids)
        for table_name, field_name in reversed(via):
            if not current:
                break
            ref = self.fs.schema.table(table_name).field(field_name)
            table = self.loader.table(table_name)
            if ref.kind in ("link", "parent"):
                sql = self.fs.snap.sql_table(table)
                column = ref.sql_link(sql)
                current = self.select_ids(sql.c.id, column, current, sql.c.deleted_at.is_(None))
            else:
                current = self.owners(ref, current) - {None}
        return current

    def owners(self, ref, ids: set[int]) -> set[int]:
        """The records elements ``ids`` of a collection belong to (trashed elements too);
        read from the rows this pass already holds when it holds them all."""
        sql = self.fs.snap.sql_table(ref.element)
        column = ref.sql_back(sql)
        held = [self.loader.rows.get((ref.element.id, i)) for i in ids]
        if all(row is not None and column.key in row for row in held):
            return {row[column.key] for row in held}
        return self.select_ids(column, sql.c.id, ids)

    def select_ids(self, wanted, key, ids, *extra) -> set[int]:
        found: set[int] = set()
        ids = sorted(ids)
        for start in range(0, len(ids), IN_BATCH):
            stmt = select(wanted).where(key.in_(ids[start:start + IN_BATCH]), *extra)
            found.update(self.conn.execute(stmt).scalars())
        return found

    def compute(self, node: Node, ids: set[int]) -> set[int]:
        table = self.loader.table(node[0])
        field = table.field(node[1])
        compiled = self.fs.fields[node]
        ftype = self.formula_type
        expression = self.sql_expression(node, table)
        if expression is not None:
            rows, from_sql = self.rows_with_values(table, field, sorted(ids), expression)
        else:
            rows, from_sql = self.loader.prefetch(table, sorted(ids)), None
        writes, changed = [], set()
        for row in rows:
            if row.get("deleted_at") is not None:
                continue
            if from_sql is not None and row["id"] in from_sql:
                value = from_sql[row["id"]]
            else:   # Python, or SQL said NULL where a check failed
                value = self.value(compiled, DbRecord(self.loader, table, row), field)
            old = ftype.from_db(row, field)
            if value == old:
                continue
            if isinstance(value, CurrencyErrorValue) and not is_error(old):
                self.refuse_mixing(table, field, row, value)
            columns = ftype.to_db(value, field)
            row.update(columns)
            writes.append({"_id": row["id"], **columns})
            changed.add(row["id"])
        write_columns(self.conn, self.fs.snap.sql_table(table), writes)
        return changed

    def refuse_mixing(self, table: TableDef, field, row: dict, value: "CurrencyErrorValue"):
        """Refuse the write when the currencies met through a link or an aggregate, or in
        another record than the one written."""
        if not value.crosses and (table.api_name, row["id"]) in self.origins:
            return
        shown = table.display_field
        label = None
        if shown is not None and shown.type not in ("formula", "link", "lines"):
            label = row.get(names.column_name(shown.id))
        raise CurrenciesWouldMix(table, field, row["id"], None if label is None else str(label),
                                 value)

    def sql_expression(self, node: Node, table: TableDef):
        """The formula as SQL when the database should compute it: it aggregates (a
        client's balance over hundreds of invoices then costs one ``SUM``), cannot fail
        and compiles to SQL; None: evaluate in Python. Rows where a check failed come back
        without a value and are evaluated in Python."""
        compiled = self.fs.fields[node]
        if compiled.can_fail or compiled.bindings == 0:
            return None
        cacheable = not (compiled.volatile or compiled.uses_me)
        if cacheable and node in self.fs.sql_cache:
            return self.fs.sql_cache[node]
        from .recompute import sql_expression

        sql = self.fs.snap.sql_table(table)
        compiled_sql = sql_expression(self.fs, node, sql, self.conn.dialect.name, self.me, self.clock)
        expression = None
        if compiled_sql is not None:
            expression = [compiled_sql.value.label(SQL_VALUE), compiled_sql.checked]
            if compiled_sql.currency is not None:
                expression.append(compiled_sql.currency.label(SQL_CURRENCY))
        if cacheable:
            self.fs.sql_cache[node] = expression
        return expression

    def rows_with_values(self, table: TableDef, field, ids: list[int], expression):
        """The rows (kept by the loader) and the values the database computes for them,
        read by one query."""
        sql = self.fs.snap.sql_table(table)
        found, rows = {}, []
        value, checked, *currency = expression
        for start in range(0, len(ids), IN_BATCH):
            stmt = select(sql, value, *currency).where(sql.c.id.in_(ids[start:start + IN_BATCH]))
            for row in self.conn.execute(stmt).mappings():
                data = dict(row)
                raw = data.pop(SQL_VALUE)
                code = data.pop(SQL_CURRENCY, None)
                rows.append(self.loader.keep(table, data))
                if raw is None and checked:
                    continue    # a check failed: Python gives the error value
                result = from_sql(raw, field)
                if code is not None and result is not None:
                    result = {"amount": result, "currency": code}
                found[data["id"]] = self.formula_type.normalize(result, field)
        order = {record_id: index for index, record_id in enumerate(ids)}
        rows.sort(key=lambda row: order[row["id"]])
        return rows, found

    def value(self, compiled, record, field):
        try:
            result = evaluate(compiled, record, me=self.me, today=self.clock.today,
                              now=self.clock.now)
        except CurrencyMismatch as exc:
            value = CurrencyErrorValue(error=error_text(exc))
            value.currencies, value.crosses = exc.currencies, bool(exc.crosses)
            return value
        except FormulaError as exc:
            return error_value(error_text(exc))
        try:
            return self.formula_type.normalize(result, field)
        except (ArithmeticError, ValueError, TypeError) as exc:
            return error_value(f"the result cannot be stored: {exc}")


def from_sql(raw, field):
    """A value as the database computed it, in natural units, as Python computes it."""
    if raw is None:
        return None
    kind = (field.options.get("result") or {}).get("kind", "TEXT")
    if kind in ("NUMBER", "MONEY"):
        return Decimal(format(raw, ".15g")) if isinstance(raw, float) else Decimal(raw)
    if kind == "BOOL":
        return bool(raw)
    if kind == "DATE" and isinstance(raw, str):
        return dt.date.fromisoformat(raw[:10])
    if kind == "DATETIME" and isinstance(raw, str):
        return dt.datetime.fromisoformat(raw)
    return raw


def write_columns(conn, sql, writes: list[dict]) -> None:
    """UPDATE computed columns by id (never ``version``/``updated_at``)."""
    if not writes:
        return
    columns = [k for k in writes[0] if k != "_id"]
    stmt = update(sql).where(sql.c.id == bindparam("_id")).values(
        {c: bindparam("v_" + c) for c in columns})
    params = [{"_id": w["_id"], **{"v_" + c: w[c] for c in columns}} for w in writes]
    for start in range(0, len(params), 2000):
        conn.execute(stmt, params[start:start + 2000])
