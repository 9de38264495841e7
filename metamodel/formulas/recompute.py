"""Recompute a whole formula column, in id-range batches, with progress and a report.

Used when a formula field is added to a table with rows, when its formula changes, when
a field it reads changes, and for rows added in bulk.

* **SQL path** (``to_sql`` compiles the formula): one ``UPDATE t SET col = <expr>`` per
  id range. On SQLite an exact decimal column holds a scaled integer: where the formula is
  integer arithmetic on stored numbers (``+ - *``, division by powers of ten, ``round``),
  the scaled integer is computed in SQL (``to_sql_scaled``); otherwise the natural-unit
  result is rounded half away from zero and scaled back (``cf_store_scaled``, a Python
  call per row). On PostgreSQL it is rounded as ``NUMERIC``; a large table whose
  exclusive lock the transaction already holds (a field just added) is rewritten instead
  (``ALTER COLUMN … USING``, see ``_rewrite``), which is several times faster. Where the
  formula can fail at run time, or a row must pass a check (two currencies met, a formula
  field read holds an error value), SQL gives NULL: those rows are evaluated again in
  Python to store their error values. A money result stores the currency SQL computed
  with it (a USD amount times two stays USD).
* **Python path** otherwise (functions without SQL, multi-choice and file values, money
  whose currency is only known in Python, formulas reading values that may be errors).

A row that fails gets its error value; the save is never aborted. The report gives the
rows, the errors (id, message; the first 100), the path and the seconds taken.
"""

from __future__ import annotations

import time
from decimal import Decimal
from dataclasses import dataclass, field as dc_field
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import and_, func, select, update

from ...formula.checker import may_fail
from ...formula.errors import FormulaError
from ...formula.nodes import Call, Path, walk
from ...formula.rounding import quantize
from ...formula.to_sql import SqlResult, to_sql_result, to_sql_scaled
from ..fieldtypes.builtin.computed import is_error, result_of, result_places
from ..model import FieldDef, TableDef
from ..storage import names
from .compiled import FormulaSet, Node
from .context import DbRecord, Loader
from .propagate import Clock, Pass, write_columns

BATCH = 20000
REWRITE_MIN = 20000  # PostgreSQL: from this many rows, a table rewrite (see _rewrite)
MAX_ERRORS_SHOWN = 100
Progress = Callable[[dict], None]


@dataclass
class Report:
    table: str
    field: str
    path: str = "sql"
    rows: int = 0
    errors: list[dict] = dc_field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0

    def error(self, record_id: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append({"id": record_id, "message": message})

    def to_dict(self) -> dict:
        return {"table": self.table, "field": self.field, "path": self.path, "rows": self.rows,
                "errors": self.errors, "error_count": self.error_count,
                "seconds": round(self.seconds, 3)}


def store_scaled(value, places):
    """SQLite ``cf_store_scaled(x, places)``: a natural-unit number as the scaled integer an
    exact decimal column holds, rounded half away from zero (NULL stays NULL)."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
    return int(quantize(number.scaleb(int(places)), 0))


def register_sqlite_store(dbapi_connection) -> None:
    dbapi_connection.create_function("cf_store_scaled", 2, store_scaled, deterministic=True)


def sql_expression(fs: FormulaSet, node: Node, sql_table, dialect: str, me=None,
                   clock: Clock | None = None) -> SqlResult | None:
    """The formula as SQL over ``sql_table`` (value, currency, checked), or None when only
    Python can compute it."""
    compiled = fs.fields[node]
    table = fs.schema.table(node[0]).table
    field = table.field(node[1])
    result = result_of(field)
    if fs.reads_errors(node) or (result.get("kind") == "MONEY" and not result.get("currency")):
        return None
    if compiled.can_fail and not errors_reach_top(compiled):
        return None
    clock = clock or Clock()
    try:
        return to_sql_result(compiled, sql_table, fs.schema, dialect, me=me, today=clock.today,
                             now=clock.now)
    except FormulaError:
        return None


def errors_reach_top(compiled) -> bool:
    """Whether a runtime error can only come from the formula's last operation.

    SQL gives NULL where Python raises, and the rows that come back NULL are evaluated
    again in Python. That holds only when the NULL reaches the result: deeper in the
    formula the empty-value rule (or a function) would read it as empty, and SQL would
    store a value where Python stores an error (``round(1 / discount, 2)``). Such a
    formula is computed in Python."""
    tree = compiled.tree
    return not any(may_fail(item, compiled.constants) for item in walk(tree) if item is not tree)


def scaled_expression(fs: FormulaSet, node: Node, sql_table, dialect: str, me=None,
                      clock: Clock | None = None):
    """SQLite: the value as the stored scaled integer, in integer arithmetic, or None."""
    table = fs.schema.table(node[0]).table
    field = table.field(node[1])
    if dialect != "sqlite" or result_of(field).get("kind") not in ("NUMBER", "MONEY"):
        return None
    clock = clock or Clock()
    try:
        return to_sql_scaled(fs.fields[node], sql_table, fs.schema, dialect,
                             result_places(field), me=me, today=clock.today, now=clock.now)
    except FormulaError:
        return None


def storage_values(field: FieldDef, compiled: SqlResult, dialect: str, scaled=None) -> dict:
    """SET values that store ``compiled`` (natural units, its currency) in the field's columns.

    ``scaled`` (SQLite, from :func:`scaled_expression`) is the stored integer computed in
    integer arithmetic; it is used whenever it stayed an integer (no 64-bit overflow),
    which saves the Python call of ``cf_store_scaled`` on every row."""
    expression = compiled.value
    result = result_of(field)
    kind = result.get("kind", "TEXT")
    column = names.column_name(field.id)
    values = {names.column_name(field.id, "err"): sa.null()}
    if kind in ("NUMBER", "MONEY"):
        places = result_places(field)
        integer = sa.BigInteger()
        if dialect == "sqlite" and scaled is not None:
            values[column] = sa.case((func.typeof(scaled) == "integer", scaled),
                                     else_=func.cf_store_scaled(expression, places, type_=integer))
        elif dialect == "sqlite":
            values[column] = func.cf_store_scaled(expression, places, type_=integer)
        else:
            rounded = func.round(sa.cast(expression, sa.Numeric()), places)
            values[column] = sa.cast(rounded, integer) if places == 0 and kind == "NUMBER" \
                else rounded
        if kind == "MONEY":   # read only beside an amount (MoneyType.from_db)
            default = sa.literal(result.get("currency") or "EUR")
            values[names.column_name(field.id, "cur")] = default if compiled.currency is None \
                else func.coalesce(compiled.currency, default)
    else:
        values[column] = expression
    return values


def recompute_column(conn, fs: FormulaSet, node: Node, *, me=None, progress: Progress | None = None,
                     batch_size: int = BATCH, min_id: int | None = None,
                     python: bool = False) -> Report:
    """Recompute ``node``'s column for every row (or rows with ``id >= min_id``)."""
    started = time.perf_counter()
    table = fs.schema.table(node[0]).table
    field = table.field(node[1])
    sql = fs.snap.sql_table(table)
    dialect = conn.dialect.name
    clock = Clock()
    report = Report(table.api_name, field.api_name)
    expression = None if python else sql_expression(fs, node, sql, dialect, me, clock)
    report.path = "python" if expression is None else "sql"
    if expression is not None:
        values = storage_values(field, expression, dialect,
                                scaled_expression(fs, node, sql, dialect, me, clock))
    bounds = select(func.min(sql.c.id), func.max(sql.c.id), func.count())
    if min_id is not None:
        bounds = bounds.where(sql.c.id >= min_id)
    low, high, total = conn.execute(bounds).one()
    done = 0
    may_be_null = expression is not None and (fs.fields[node].can_fail or expression.checked)
    if low is not None and expression is not None and min_id is None and total >= REWRITE_MIN \
            and _rewrite(conn, sql, values, fs.fields[node]):
        if may_be_null:
            for start in range(low, high + 1, batch_size):
                window = and_(sql.c.id >= start, sql.c.id < start + batch_size)
                _python_for_nulls(conn, fs, node, table, field, sql, window, report, me, clock)
        done = total
        if progress is not None:
            progress({"table": table.api_name, "field": field.api_name, "done": done,
                      "total": total, "path": report.path})
    elif low is not None:
        for start in range(low, high + 1, batch_size):
            window = and_(sql.c.id >= start, sql.c.id < start + batch_size)
            if expression is not None:
                done += _sql_batch(conn, fs, node, table, field, sql, values, window, report,
                                   me, clock, may_be_null)
            else:
                done += _python_batch(conn, fs, node, table, field, sql, window, report, me, clock)
            if progress is not None:
                progress({"table": table.api_name, "field": field.api_name, "done": done,
                          "total": total, "path": report.path})
    report.rows = done
    report.seconds = time.perf_counter() - started
    return report


def _sql_batch(conn, fs, node, table, field, sql, values, window, report, me, clock,
               may_be_null: bool) -> int:
    count = conn.execute(update(sql).where(window).values(values)).rowcount
    if may_be_null:
        _python_for_nulls(conn, fs, node, table, field, sql, window, report, me, clock)
    return count


def _python_for_nulls(conn, fs, node, table, field, sql, window, report, me, clock) -> None:
    """Rows SQL left empty may have failed (division by zero, a failed check): evaluate
    them in Python."""
    value_column = sql.c[names.column_name(field.id)]
    nulls = select(sql.c.id).where(window, value_column.is_(None), sql.c.deleted_at.is_(None))
    ids = list(conn.execute(nulls).scalars())
    if ids:
        _evaluate_rows(conn, fs, node, table, field, sql, ids, report, me, clock)


def _rewrite(conn, sql, values: dict, compiled) -> bool:
    """PostgreSQL: fill the columns by rewriting the table, when this transaction already
    holds the table's exclusive lock (a field just added, or its columns just replaced).

    ``ALTER TABLE … ALTER COLUMN c TYPE <same type> USING <expression>`` writes each row
    once and rebuilds the indexes in bulk, where an ``UPDATE`` of every row inserts a new
    version of it into every index (and leaves the old versions behind): several times
    faster on a large table. Only for formulas that read the row's own columns (no
    subqueries); anything PostgreSQL refuses falls back to the batched UPDATE."""
    if conn.dialect.name != "postgresql" or not _own_row_only(compiled):
        return False
    dialect = conn.dialect
    preparer = dialect.identifier_preparer
    name = preparer.format_table(sql)
    held = conn.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation' AND granted"
        " AND mode = 'AccessExclusiveLock' AND pid = pg_backend_pid()"
        " AND relation = CAST(:name AS regclass))"), {"name": name}).scalar()
    if not held:
        return False
    try:
        clauses = [
            f"ALTER COLUMN {preparer.quote(column)} TYPE "
            f"{sql.c[column].type.compile(dialect=dialect)} USING "
            + str(sa.type_coerce(expression, sql.c[column].type).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False}))
            for column, expression in values.items()]
    except (sa.exc.CompileError, NotImplementedError):
        return False
    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql(f"ALTER TABLE {name} " + ", ".join(clauses))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _own_row_only(compiled) -> bool:
    """Whether the formula reads only its own row (its SQL has no subquery)."""
    for item in walk(compiled.tree):
        if isinstance(item, Call) and item.mode == "aggregate":
            return False
        if isinstance(item, Path) and item.ref is not None and item.ref.scope != "me":
            if item.ref.scope != "record" or len(item.ref.steps) > 1 or \
                    item.ref.steps and item.ref.steps[0].info.type.kind in ("RECORD", "COLLECTION"):
                return False
    return True


def _python_batch(conn, fs, node, table, field, sql, window, report, me, clock) -> int:
    rows = conn.execute(select(sql).where(window)).mappings().all()
    loader = Loader(conn, fs.schema, fs.registry)
    kept = [loader.keep(table, row) for row in rows]
    _evaluate(conn, fs, node, table, field, sql, loader, kept, report, me, clock)
    return len(rows)


def _evaluate_rows(conn, fs, node, table, field, sql, ids, report, me, clock) -> None:
    loader = Loader(conn, fs.schema, fs.registry)
    rows = loader.prefetch(table, ids)
    _evaluate(conn, fs, node, table, field, sql, loader, rows, report, me, clock)


def _evaluate(conn, fs, node, table: TableDef, field, sql, loader, rows, report, me, clock) -> None:
    runner = Pass(conn, fs, me=me, clock=clock)
    runner.loader = loader
    ftype = runner.formula_type
    compiled = fs.fields[node]
    writes = []
    for row in rows:
        value = runner.value(compiled, DbRecord(loader, table, row), field)
        if is_error(value) and row.get("deleted_at") is None:
            report.error(row["id"], value.message)
        if value == ftype.from_db(row, field):
            continue
        columns = ftype.to_db(value, field)
        row.update(columns)
        writes.append({"_id": row["id"], **columns})
    write_columns(conn, sql, writes)


def recompute_with_dependents(conn, fs: FormulaSet, nodes: list[Node], *, me=None,
                              progress: Progress | None = None) -> list[dict]:
    """Recompute ``nodes`` and every formula column that depends on them, in order."""
    order = [n for n in nodes if n in fs.fields]
    for node in fs.graph.affected(set(nodes)):
        if node not in order:
            order.append(node)
    return [recompute_column(conn, fs, node, me=me, progress=progress).to_dict()
            for node in order]
