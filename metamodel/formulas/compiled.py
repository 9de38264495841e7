"""Every expression stored in the metadata, checked once per snapshot.

A :class:`FormulaSet` holds, for one catalog snapshot and SQL dialect: the compiled
formula fields, default formulas (``default_formula``), visibility conditions
(``visible_if``) and record rules (table option ``rules``), the dependency graph of formula
fields across tables, and which formula fields may hold error values (they can fail, or
read one that can). It is built lazily and kept on the snapshot, which never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from ...formula import errors as E
from ...formula.checker import CompiledFormula, check
from ...formula.deps import DependencyGraph
from ...formula.errors import FormulaError, FormulaErrors
from ...formula.types import BOOL
from ..catalog import Snapshot
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import FieldDef, TableDef
from .bridge import FormulaSchema

Node = tuple[str, str]
_CACHE_ATTR = "_cf_formula_sets"


@dataclass
class Rule:
    index: int
    expression: str
    message: str
    compiled: CompiledFormula


@dataclass
class FormulaSet:
    snap: Snapshot
    registry: FieldTypeRegistry
    dialect: str
    schema: FormulaSchema = None
    fields: dict[Node, CompiledFormula] = dc_field(default_factory=dict)
    defaults: dict[Node, CompiledFormula] = dc_field(default_factory=dict)
    visible: dict[Node, CompiledFormula] = dc_field(default_factory=dict)
    rules: dict[str, list[Rule]] = dc_field(default_factory=dict)
    problems: list[tuple[str, FormulaError]] = dc_field(default_factory=list)
    graph: DependencyGraph = dc_field(default_factory=DependencyGraph)
    may_hold_errors: set[Node] = dc_field(default_factory=set)
    #: SQL expressions of formulas that neither read ``me`` nor the clock, by node (built
    #: once per snapshot: compiling one costs about a millisecond per propagation step).
    sql_cache: dict[Node, Any] = dc_field(default_factory=dict)

    def build(self) -> "FormulaSet":
        self.schema = FormulaSchema(self.snap, self.registry, self.dialect)
        for table in self.snap.live_tables(include_children=True):
            view = self.schema.view(table)
            for f in table.fields:
                node = (table.api_name, f.api_name)
                if f.type == "formula":
                    self._compile(self.fields, node, f.options.get("expression"), view, f)
                if f.options.get("default_formula"):
                    self._compile(self.defaults, node, f.options["default_formula"], view, f)
                if f.options.get("visible_if"):
                    self._compile(self.visible, node, f.options["visible_if"], view, f, BOOL)
            for rule in table_rules(table):
                try:
                    compiled = check(rule["expression"], view, self.schema, field=None,
                                     expected=BOOL)
                except FormulaError as exc:
                    self.problems.append((f"{table.api_name} rule {rule['index'] + 1}", exc))
                    continue
                self.rules.setdefault(table.api_name, []).append(
                    Rule(rule["index"], rule["expression"], rule["message"], compiled))
        for node, compiled in self.fields.items():
            self.graph.set_formula(node, compiled.dependencies)
        for cycle in self.graph.cycles():
            self.problems.append((cycle.field or "", cycle))
        self._error_holders()
        return self

    def _compile(self, into: dict, node: Node, source, view, f: FieldDef, expected=None) -> None:
        try:
            into[node] = check(source or "", view, self.schema, field=f.api_name, expected=expected)
        except FormulaError as exc:
            self.problems.append((f"{node[0]}.{node[1]}", exc))

    def _error_holders(self) -> None:
        holders = {node for node, c in self.fields.items() if c.can_fail}
        changed = True
        while changed:
            changed = False
            for node, compiled in self.fields.items():
                if node not in holders and any((d.table, d.field) in holders
                                               for d in compiled.dependencies):
                    holders.add(node)
                    changed = True
        self.may_hold_errors = holders

    # -- questions ------------------------------------------------------------------
    def table_formulas(self, table: TableDef) -> list[Node]:
        """The formula fields of ``table``, each after the ones of the same table it reads."""
        own = [(table.api_name, f.api_name) for f in table.fields
               if (table.api_name, f.api_name) in self.fields]
        if not own:
            return []
        order = self.graph.affected({(d.table, d.field) for node in own
                                     for d in self.fields[node].dependencies} | set(own))
        ordered = [node for node in order if node in own]
        return ordered + [node for node in own if node not in ordered]

    def reads_errors(self, node: Node) -> bool:
        """Whether the formula reads another formula field that may hold an error value."""
        return any((d.table, d.field) in self.may_hold_errors
                   for d in self.fields[node].dependencies if (d.table, d.field) != node)


def table_rules(table: TableDef) -> list[dict]:
    rules = table.options.get("rules") or []
    result = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict) and isinstance(rule.get("expression"), str):
            result.append({"index": index, "expression": rule["expression"],
                           "message": str(rule.get("message") or f"Rule {index + 1} is not met")})
    return result


def formula_set(snap: Snapshot, registry: FieldTypeRegistry, dialect: str) -> FormulaSet:
    """The snapshot's FormulaSet for ``dialect`` (built once, then cached on the snapshot)."""
    cache = snap.__dict__.setdefault(_CACHE_ATTR, {})
    found = cache.get(dialect)
    if found is None or found.registry is not registry:
        found = cache[dialect] = FormulaSet(snap, registry, dialect).build()
    return found


def errors_of(exc: FormulaError) -> list[FormulaError]:
    return list(exc.errors) if isinstance(exc, FormulaErrors) else [exc]


def cycle_error(message: str) -> FormulaError:
    return FormulaError(E.CYCLE, message)
