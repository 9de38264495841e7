"""``Computed``: what the schema and record services call, at fixed points of their work.

Schema service (inside the schema change's transaction):

* ``check_field_options`` — a formula field's expression, ``default_formula`` and
  ``visible_if`` of any field are checked against the table; a formula's result type is
  inferred and stored in ``options.result``; cycles are refused, naming the whole cycle.
* ``check_table_options`` — record rules (``options.rules``) are checked.
* ``formula_column_change`` — a formula whose result type changes gets new columns.
* ``field_added`` / ``field_changed`` — recompute the column (and its dependents), and
  refuse a change that would break any stored expression (a renamed, retyped or trashed
  field, a renamed table or back-link): ``verify``.

Record service (inside the record's transaction): ``fill_defaults`` before an insert,
``after_create`` / ``after_update`` / ``after_trash`` / ``after_bulk`` after the write:
recompute and propagate (:mod:`.propagate`), then check the table's rules.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import func, select

from ...formula import errors as E
from ...formula.checker import check
from ...formula.errors import FormulaError, FormulaErrors
from ...formula.evaluate import evaluate
from ...formula.types import BOOL, accepts
from ..catalog import Catalog, Snapshot
from ..errors import CardfileError, InvalidDefinition, ValidationFailed
from ..fieldtypes.base import FieldValueError
from ..fieldtypes.builtin.computed import DEFAULT_PLACES, MAX_PLACES, RESULT_KINDS
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import FieldDef, TableDef
from ..storage import ddl, names
from .bridge import FormulaSchema, formula_type_of
from .compiled import FormulaSet, errors_of, formula_set
from .context import Loader, PendingRecord
from .propagate import Clock, Pass, error_text
from .recompute import Progress, recompute_column, recompute_with_dependents

CHECK_DIALECT = "sqlite"


class FormulaDefinitionError(CardfileError):
    """A stored expression does not check: ``details.errors`` lists each with its position."""

    def __init__(self, errors: list[FormulaError], what: str, expression: str | None = None):
        first = errors[0]
        where = ""
        if first.position:
            where = f" (line {first.position['line']}, column {first.position['column']})"
        message = f"{what}: {first.message}{where}"
        if len(errors) > 1:
            message += f" — and {len(errors) - 1} more"
        details = {"errors": [e.to_dict() for e in errors], "position": first.position}
        if expression is not None:
            details["expression"] = expression
        super().__init__(message, details, code=first.code)


class RuleViolated(ValidationFailed):
    def __init__(self, table: TableDef, rule, record_id: int | None):
        super().__init__({"_record": [rule.message]}, message=rule.message)
        self.details["rule"] = {"index": rule.index, "expression": rule.expression,
                                "message": rule.message, "table": table.api_name,
                                "id": record_id}


class Computed:
    def __init__(self, registry: FieldTypeRegistry):
        self.registry = registry
        #: Called with a dict (table, field, done, total, path) after each recompute batch.
        self.progress: Progress | None = None

    def formulas(self, conn, snap: Snapshot) -> FormulaSet:
        return formula_set(snap, self.registry, conn.dialect.name)

    # === schema side ==================================================================
    def check_field_options(self, snap: Snapshot, table: TableDef, type_key: str, options: dict,
                            old: FieldDef | None) -> dict:
        schema = FormulaSchema(snap, self.registry, CHECK_DIALECT)
        view = schema.view(table)
        name = old.api_name if old is not None else None
        if type_key == "formula":
            options = self._formula_options(snap, schema, view, table, options, old)
        probe = FieldDef(id=old.id if old else 0, table_id=table.id, api_name=name or "new",
                         label="", type=type_key, options=options)
        if options.get("default_formula"):
            expected = None if type_key in ("formula", "link", "lines") else \
                formula_type_of(snap, probe)
            self._check(options["default_formula"], view, schema, name, expected,
                        "The default formula")
        if options.get("visible_if"):
            self._check(options["visible_if"], view, schema, name, BOOL, "The visibility condition")
        return options

    def _check(self, source, view, schema, name, expected, what):
        if not isinstance(source, str):
            raise InvalidDefinition(f"{what} must be text.", {"expression": source})
        try:
            compiled = check(source, view, schema, field=name)
        except FormulaError as exc:
            raise FormulaDefinitionError(errors_of(exc), what, source) from None
        if expected is not None and not accepts(expected, compiled.type):
            error = FormulaError(E.TYPE, f"it gives {compiled.type}, but {expected} is expected",
                                 compiled.parsed.sources.position(compiled.tree.span), name)
            raise FormulaDefinitionError([error], what, source)
        return compiled

    def _formula_options(self, snap, schema, view, table, options, old) -> dict:
        source = options.get("expression")
        name = old.api_name if old is not None else None
        compiled = self._check(source, view, schema, name, None, "The formula")
        result = compiled.type
        kind = "TEXT" if result.kind == "EMPTY" else result.kind
        if kind not in RESULT_KINDS:
            error = FormulaError(E.TYPE, f"the formula gives {result}, which a field cannot "
                                 "store: give a number, money, text, yes/no, date or date-time",
                                 compiled.parsed.sources.position(compiled.tree.span), name)
            raise FormulaDefinitionError([error], "The formula", source)
        if old is not None:
            fs = formula_set(snap, self.registry, CHECK_DIALECT)
            cycles = fs.graph.would_cycle((table.api_name, old.api_name), compiled.dependencies)
            if cycles:
                raise FormulaDefinitionError(cycles, "The formula", source)
        stored = {"kind": kind, "can_fail": bool(compiled.can_fail)}
        if kind in ("NUMBER", "MONEY"):
            places = options.get("places")
            if places is None:
                places = result.places if result.places is not None else DEFAULT_PLACES
            stored["places"] = max(0, min(int(places), MAX_PLACES))
        if kind == "MONEY":
            stored["currency"] = result.currency
        return {**options, "result": stored}

    def check_table_options(self, snap: Snapshot, table: TableDef, options: Any) -> Any:
        if not isinstance(options, dict) or "rules" not in options:
            return options
        rules = options["rules"]
        if not isinstance(rules, list):
            raise InvalidDefinition("Table option 'rules' must be a list of "
                                    "{expression, message}.", {"rules": rules})
        schema = FormulaSchema(snap, self.registry, CHECK_DIALECT)
        view = schema.view(table)
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict) or not isinstance(rule.get("expression"), str) or \
                    set(rule) - {"expression", "message"}:
                raise InvalidDefinition(f"Rule {index + 1} must be an object with 'expression' "
                                        "and 'message'.", {"rule": index})
            self._check(rule["expression"], view, schema, None, BOOL, f"Rule {index + 1}")
        return options

    def breaking(self, conn, catalog: Catalog) -> list[tuple[str, FormulaError]]:
        """The stored expressions a pending schema change breaks: ("table.field" or
        "table rule N", error) pairs, compared with the state before the change."""
        before = catalog.current(conn)
        after = catalog.load(conn, "pending")
        known = {(where, e.code, e.message) for where, exc in
                 FormulaSet(before, self.registry, CHECK_DIALECT).build().problems
                 for e in errors_of(exc)}
        return [(where, e) for where, exc in
                FormulaSet(after, self.registry, CHECK_DIALECT).build().problems
                for e in errors_of(exc) if (where, e.code, e.message) not in known]

    def verify(self, conn, catalog: Catalog) -> None:
        """Refuse a schema change that breaks a stored expression (names what breaks).

        Call it inside the change's transaction, before the schema version is bumped:
        the catalog's current snapshot is the state before, the pending load the state after.
        """
        new = self.breaking(conn, catalog)
        if new:
            shown = "; ".join(f"{where}: {e.message}" for where, e in new[:5])
            raise FormulaDefinitionError(
                [e for _, e in new], f"This change would break formulas ({shown})")

    def formula_column_change(self, conn, snap: Snapshot, table: TableDef, old: FieldDef,
                              new: FieldDef, dry_run: bool) -> dict:
        """Swap a formula's columns when its result type changes (values are recomputed)."""
        ftype = self.registry.get("formula")
        before = [repr(c.type) for c in ftype.value_columns(old)]
        after = [repr(c.type) for c in ftype.value_columns(new)]
        if before == after:
            return {"columns_replaced": False, "operations": []}
        from sqlalchemy import MetaData
        from dataclasses import replace
        from ..catalog import build_sql_table, field_indexes
        rebuilt = build_sql_table(MetaData(), replace(table, all_fields=[
            new if f.id == old.id else f for f in table.all_fields]), self.registry)
        sql = snap.sql_table(table)
        ops = [ddl.DropColumns(sql, [c.name for c in ftype.columns(old)]),
               ddl.AddColumns(rebuilt, [rebuilt.c[c.name] for c in ftype.columns(new)],
                              field_indexes(table, new, self.registry))]
        if not dry_run:
            ddl.apply(conn, ops)
        return {"columns_replaced": True, "operations": [op.describe() for op in ops]}

    def field_added(self, conn, catalog: Catalog, table_id: int, field_id: int, me=None) -> dict | None:
        snap = catalog.load(conn, "pending")
        table = snap.tables[table_id]
        field = table.field_by_id(field_id)
        if field is None or field.type != "formula":
            return None
        fs = self.formulas(conn, snap)
        return recompute_column(conn, fs, (table.api_name, field.api_name), me=me,
                                progress=self.progress).to_dict()

    def field_changed(self, conn, catalog: Catalog, table: TableDef, old: FieldDef,
                      new: FieldDef, me=None) -> list[dict]:
        """Verify every expression still checks; recompute what the change affects."""
        self.verify(conn, catalog)
        snap = catalog.load(conn, "pending")
        fs = self.formulas(conn, snap)
        table_now = snap.tables[table.id]
        if (new.type, new.options) == (old.type, old.options):
            return []
        node = (table_now.api_name, new.api_name)
        return recompute_with_dependents(conn, fs, [node], me=me, progress=self.progress)

    # === record side ==================================================================
    def fill_defaults(self, conn, snap: Snapshot, table: TableDef, data: Any, values: dict,
                      errors: dict, actor=None) -> None:
        """Evaluate ``default_formula`` for fields the input leaves out."""
        if not isinstance(data, dict):
            return
        fs = self.formulas(conn, snap)
        pending = [f for f in table.fields if (table.api_name, f.api_name) in fs.defaults
                   and f.api_name not in data]
        if not pending:
            return
        loader = Loader(conn, fs.schema, self.registry)
        clock = Clock()
        for f in pending:
            record = PendingRecord(loader, table, values)
            try:
                result = evaluate(fs.defaults[(table.api_name, f.api_name)], record, me=actor,
                                  today=clock.today, now=clock.now)
                if result is None:
                    continue
                values[f.api_name] = self._as_input(result, f)
            except FormulaError as exc:
                errors.setdefault(f.api_name, []).append(f"default formula: {error_text(exc)}")
                continue
            except FieldValueError as exc:
                errors.setdefault(f.api_name, []).append(f"default formula: {exc.message}")
                continue
            if errors.get(f.api_name) == ["is required"]:
                errors.pop(f.api_name)

    def _as_input(self, result, f: FieldDef):
        ftype = self.registry.get(f.type)
        if hasattr(result, "amount") and hasattr(result, "currency"):
            result = {"amount": result.amount, "currency": result.currency}
        if f.type in ("decimal", "percent", "money"):
            from decimal import Decimal

            from ...formula.rounding import quantize
            places = int(f.opt("places", 2))
            if isinstance(result, dict):
                result = {**result, "amount": quantize(Decimal(result["amount"]), places)}
            else:
                result = quantize(Decimal(result), places)
        elif f.type in ("user", "link", "integer") and not isinstance(result, (bool, int, str)) \
                and hasattr(result, "to_integral_value") and result == result.to_integral_value():
            result = int(result)  # ``me`` and other whole numbers come back as Decimal
        return ftype.parse(result, f)

    def after_create(self, conn, snap: Snapshot, table: TableDef, record_id: int, actor=None) -> None:
        fs = self.formulas(conn, snap)
        run = Pass(conn, fs, me=actor)
        run.touched(table, record_id)
        lines = self._lines(conn, run, table, [record_id])
        run.run()
        self.check_rules(run, table, [record_id], lines)

    def after_update(self, conn, snap: Snapshot, table: TableDef, row, changes: dict,
                     actor=None) -> None:
        fs = self.formulas(conn, snap)
        run = Pass(conn, fs, me=actor)
        old_links = {}
        for f in table.fields:
            if f.type == "link" and f.api_name in changes:
                old = changes[f.api_name][0]
                old_links[f.api_name] = old.get("id") if isinstance(old, dict) else old
        run.touched(table, row["id"], fields=list(changes), old_links=old_links)
        lines = {}
        if any(table.field(name) is not None and table.field(name).type == "lines"
               for name in changes):
            lines = self._lines(conn, run, table, [row["id"]], include_trashed=True)
        run.run()
        self.check_rules(run, table, [row["id"]], lines)

    def after_trash(self, conn, snap: Snapshot, table: TableDef, row, actor=None) -> None:
        fs = self.formulas(conn, snap)
        run = Pass(conn, fs, me=actor)
        run.touched(table, row["id"])
        run.run()

    def bulk_marker(self, conn, snap: Snapshot, table: TableDef) -> int:
        sql = snap.sql_table(table)
        return (conn.execute(select(func.max(sql.c.id))).scalar() or 0) + 1

    def reads_table(self, conn, snap: Snapshot, table: TableDef, other: TableDef) -> bool:
        """Whether a formula field of ``table`` reads a field of ``other`` (a line reading ``parent.…``)."""
        fs = self.formulas(conn, snap)
        return any(d.table == other.api_name for node in fs.table_formulas(table) for d in fs.fields[node].dependencies)

    def after_bulk(self, conn, snap: Snapshot, table: TableDef, first_id: int, actor=None) -> None:
        """Rows added in bulk: defaults for empty fields, formula columns, propagation."""
        fs = self.formulas(conn, snap)
        sql = snap.sql_table(table)
        if [f for f in table.fields if (table.api_name, f.api_name) in fs.defaults]:
            self._bulk_defaults(conn, fs, table, sql, first_id, actor)
        for node in fs.table_formulas(table):
            recompute_column(conn, fs, node, me=actor, min_id=first_id, progress=self.progress)
        run = Pass(conn, fs, me=actor)
        for f in table.fields:
            if f.type == "link" and run.wants_back(f):
                column = sql.c[names.column_name(f.id)]
                targets = set(conn.execute(select(column).where(sql.c.id >= first_id)
                                           .distinct()).scalars()) - {None}
                run.mark_back(f, targets)
        run.run()
        if fs.rules.get(table.api_name):  # the table's rules hold for rows added in bulk too
            sql_ids = conn.execute(select(sql.c.id).where(sql.c.id >= first_id).order_by(sql.c.id)).scalars()
            self.check_rules(run, table, list(sql_ids))

    def _bulk_defaults(self, conn, fs, table, sql, first_id, actor) -> None:
        from .propagate import write_columns
        loader = Loader(conn, fs.schema, self.registry)
        rows = conn.execute(select(sql).where(sql.c.id >= first_id)).mappings().all()
        reader_types = {f.api_name: self.registry.get(f.type) for f in table.fields}
        writes = []
        for row in rows:
            values = {f.api_name: reader_types[f.api_name].from_db(row, f)
                      for f in table.fields if reader_types[f.api_name].has_column}
            errors: dict = {}
            data = {k: v for k, v in values.items() if v is not None}
            self.fill_defaults(conn, fs.snap, table, data, values, errors, actor)
            if errors:
                raise ValidationFailed({f"row id {row['id']}.{k}": v for k, v in errors.items()})
            update_ = {}
            for f in table.fields:
                if f.api_name not in data and values.get(f.api_name) is not None \
                        and reader_types[f.api_name].has_column:
                    update_.update(reader_types[f.api_name].to_db(values[f.api_name], f))
            if update_:
                writes.append({"_id": row["id"], **update_})
        by_shape: dict = {}
        for w in writes:
            by_shape.setdefault(tuple(sorted(w)), []).append(w)
        for group in by_shape.values():
            write_columns(conn, sql, group)
        del loader

    def _lines(self, conn, run: Pass, table: TableDef, ids, include_trashed=False) -> dict:
        """Mark the line items of ``ids`` as written; returns {child table: [line ids]}."""
        found = {}
        for f in table.fields:
            if f.type != "lines":
                continue
            child = run.fs.snap.child_table(f)
            sql = run.fs.snap.sql_table(child)
            stmt = select(sql.c.id).where(sql.c.parent_id.in_(ids))
            if not include_trashed:
                stmt = stmt.where(sql.c.deleted_at.is_(None))
            line_ids = list(conn.execute(stmt).scalars())
            for line_id in line_ids:
                run.touched(child, line_id)
            run.dirty[(table.api_name, f.api_name)].update(ids)
            found[child.id] = line_ids
        return found

    def check_rules(self, run: Pass, table: TableDef, ids, lines: dict | None = None) -> None:
        """Each rule of the table (and of its line items) must hold for the written records."""
        targets = [(table, ids)] + [(run.fs.snap.tables[cid], lids)
                                    for cid, lids in (lines or {}).items()]
        for t, record_ids in targets:
            rules = run.fs.rules.get(t.api_name) or []
            for record_id in record_ids if rules else ():
                record = run.loader.record(t, run.loader.row(t, record_id))
                if record is None:
                    continue
                for rule in rules:
                    try:
                        ok = evaluate(rule.compiled, record, me=run.me, today=run.clock.today,
                                      now=run.clock.now)
                    except FormulaError:
                        ok = False
                    if not ok:
                        raise RuleViolated(t, rule, record_id)


ProgressCallback = Callable[[dict], None]
__all__ = ["Computed", "FormulaDefinitionError", "RuleViolated", "FormulaErrors"]
