"""Formulas over a record that is still being edited: the card's live preview.

A :class:`Draft` is a ``RecordContext`` over unsaved values (a new record, or a stored one
with the user's changes laid over it) and its line items as drafts of their own. Links,
back-links and anything not on the card are read from the database through the pass's
:class:`~.context.Loader`, exactly as a save would read them, but nothing is written.

:func:`compute_draft` does, in memory, what a save does in its transaction:

1. default formulas of the fields a new record (or a new line) leaves out;
2. the formula fields of the record and of its line items, in dependency order across
   both (a line's amount before the invoice's total, a parent's rate before a line that
   reads ``parent.rate``), each with the same evaluator and the same rounding to the
   field's places as a stored value, errors as error values;
3. the "show only when" conditions (``visible_if``) of the record's fields;
4. the table's rules (and the line items' rules), as the messages a save would refuse with.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from ...formula.errors import FormulaError
from ...formula.evaluate import evaluate
from ..fieldtypes.base import FieldValueError
from ..fieldtypes.builtin.computed import error_value
from ..model import TableDef
from .compiled import FormulaSet, Node
from .context import DbRecord, Loader, read_value
from .propagate import Clock, error_text


class Draft:
    """A ``RecordContext`` over unsaved, parsed values (see the module doc)."""

    def __init__(self, loader: Loader, table: TableDef, values: dict, row: dict | None = None,
                 parent: "Draft | None" = None, system: dict | None = None):
        self.loader = loader
        self.table = table
        self.values = values            # api name -> parsed value (formula results too)
        self.row = row                  # the stored row of an existing record (None: new)
        self.parent = parent            # a line's draft parent
        self.system = system or {}      # owner, created_by…: what the save would write
        self.lines: dict[str, list[Draft]] = {}
        self.view = loader.schema.view(table)

    def get(self, name: str) -> Any:
        ref = self.view.field(name)
        if ref is None:
            return None
        loader = self.loader
        if ref.kind == "column":
            f = ref.field
            ftype = loader.registry.get(f.type)
            value = self.values.get(name)
            if value is None or not ftype.has_column:
                return None
            return read_value(loader.registry, ref, ftype.to_db(value, f))
        if ref.kind == "link":
            target = loader.table(ref.target)
            return loader.record(target, loader.row(target, self.values.get(name)))
        if ref.kind == "parent":
            if self.parent is not None:
                return self.parent
            if self.row is not None:
                target = loader.table(ref.target)
                return loader.record(target, loader.row(target, self.row.get("parent_id")))
            return None
        if ref.kind == "lines" and name in self.lines:
            return list(self.lines[name])
        if ref.kind == "system":
            return self.system.get(name)
        if self.row is None:  # a new record: nothing links to it yet, it has no lines
            return []
        return [DbRecord(loader, ref.element, row) for row in loader.members(ref, self.row["id"])]


@dataclass
class DraftResult:
    visible: dict[str, bool] = dc_field(default_factory=dict)
    rules: list[dict] = dc_field(default_factory=list)    # {"message", "rule", "line"?: {field, index}}


def fill_draft_defaults(fs: FormulaSet, draft: Draft, given, computed, me, clock: Clock,
                        errors: dict[str, list[str]]) -> set[str]:
    """Default formulas of ``draft``'s fields that are not in ``given``; returns their names."""
    filled = set()
    table = draft.table
    for f in table.fields:
        compiled = fs.defaults.get((table.api_name, f.api_name))
        if compiled is None or f.api_name in given:
            continue
        try:
            result = evaluate(compiled, draft, me=me, today=clock.today, now=clock.now)
            if result is None:
                continue
            draft.values[f.api_name] = computed._as_input(result, f)
            filled.add(f.api_name)
        except FormulaError as exc:
            errors.setdefault(f.api_name, []).append(f"default formula: {error_text(exc)}")
        except FieldValueError as exc:
            errors.setdefault(f.api_name, []).append(f"default formula: {exc.message}")
    return filled


def formula_order(fs: FormulaSet, tables: list[TableDef]) -> list[Node]:
    """The formula fields of ``tables``, each after the ones among them it reads."""
    nodes = [(t.api_name, f.api_name) for t in tables for f in t.fields
             if (t.api_name, f.api_name) in fs.fields]
    wanted = set(nodes)
    reads = {n: {(d.table, d.field) for d in fs.fields[n].dependencies} & wanted - {n} for n in nodes}
    order: list[Node] = []
    placed: set[Node] = set()
    pending = list(nodes)
    while pending:
        ready = [n for n in pending if not (reads[n] - placed)] or pending[:1]  # a cycle: as listed
        for n in ready:
            order.append(n)
            placed.add(n)
        pending = [n for n in pending if n not in placed]
    return order


def compute_draft(fs: FormulaSet, draft: Draft, me, clock: Clock | None = None) -> DraftResult:
    """Formula fields, visibility and rules of ``draft`` and its line drafts (in place:
    results go into each draft's ``values``). Defaults are filled by the caller first."""
    clock = clock or Clock()
    result = DraftResult()
    formula_type = fs.registry.get("formula")
    children = {}
    for name, lines in draft.lines.items():
        for line in lines:
            children.setdefault(line.table.api_name, (line.table, []))[1].append(line)
    tables = [draft.table] + [t for t, _ in children.values()]
    for node in formula_order(fs, tables):
        compiled = fs.fields[node]
        targets = [draft] if node[0] == draft.table.api_name else children[node[0]][1]
        for record in targets:
            f = record.table.field(node[1])
            try:
                value = evaluate(compiled, record, me=me, today=clock.today, now=clock.now)
                value = formula_type.normalize(value, f)
            except FormulaError as exc:
                value = error_value(error_text(exc))
            except (ArithmeticError, ValueError, TypeError) as exc:
                value = error_value(f"the result cannot be stored: {exc}")
            record.values[node[1]] = value
    for f in draft.table.fields:
        compiled = fs.visible.get((draft.table.api_name, f.api_name))
        if compiled is not None:
            try:
                result.visible[f.api_name] = bool(evaluate(compiled, draft, me=me, today=clock.today,
                                                           now=clock.now))
            except FormulaError:
                result.visible[f.api_name] = True  # as the card shows a field it cannot decide
    result.rules = broken_rules(fs, draft, me, clock)
    return result


def broken_rules(fs: FormulaSet, draft: Draft, me, clock: Clock) -> list[dict]:
    """The rules a save of ``draft`` would refuse with (the record's, then each line's)."""
    broken = []
    targets = [(draft, None)] + [(line, (name, i)) for name, lines in draft.lines.items()
                                 for i, line in enumerate(lines)]
    for record, where in targets:
        for rule in fs.rules.get(record.table.api_name) or []:
            try:
                ok = evaluate(rule.compiled, record, me=me, today=clock.today, now=clock.now)
            except FormulaError:
                ok = False
            if not ok:
                broken.append({"message": rule.message, "rule": rule.index,
                               **({"line": {"field": where[0], "index": where[1]}} if where else {})})
    return broken
