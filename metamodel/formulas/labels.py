"""Labels in formulas, over the metadata: ``[End date] - [Start date]`` (see ``formula.labels``).

* :class:`SnapshotLabels` is the ``LabelScope`` of a snapshot: a table's own fields by
  label, its back-links by the linking table's label (``[Payments]`` on invoices), and where
  a path continues (a link's target, line items, a back-link's table, ``parent``).
* :func:`resolve_options` resolves the expressions of a field's options (``expression``,
  ``default_formula``, ``visible_if``) or a table's rules before they are checked and
  stored, so what is stored is API names.
* :func:`display_options` gives the same expressions with labels, for the field dialog.
* :func:`rename_in_expressions` rewrites every stored expression that uses a field whose
  API name changes (formula fields, defaults, visibility conditions and rules of every
  table), so an API-name rename never breaks a formula.
"""

from __future__ import annotations

from ...formula.errors import FormulaError
from ...formula.labels import Resolved, render_labels, rename_names, resolve_labels
from ...formula.parser import parse
from ..catalog import Snapshot
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from .bridge import FormulaSchema
from .hooks import FormulaDefinitionError

EXPRESSION_OPTIONS = ("expression", "default_formula", "visible_if")


class SnapshotLabels:
    def __init__(self, snap: Snapshot, registry: FieldTypeRegistry):
        self.schema = FormulaSchema(snap, registry, "sqlite")
        self.snap = snap
        self._labels: dict[str, dict[str, tuple[str, str | None]]] = {}

    def _names(self, table: str) -> dict:
        view = self.schema.table(table)
        return view.fields() if view is not None else {}

    @staticmethod
    def _next(ref) -> str | None:
        return ref.target if ref.kind in ("link", "lines", "parent", "back") else None

    def _label_of(self, ref) -> str | None:
        if ref.field is not None:
            return ref.field.label
        if ref.kind == "back" and ref.element is not None:
            return ref.element.label
        return None

    def _by_label(self, table: str) -> dict[str, tuple[str, str | None]]:
        found = self._labels.get(table)
        if found is None:
            found = {}
            refs = self._names(table)
            for name, ref in sorted(refs.items(), key=lambda item: item[1].kind == "back"):  # own fields first
                label = self._label_of(ref)
                if label:
                    found.setdefault(label.strip().casefold(), (name, self._next(ref)))
            self._labels[table] = found
        return found

    def by_label(self, table: str, label: str):
        return self._by_label(table).get(label.strip().casefold())

    def by_name(self, table: str, name: str):
        ref = self._names(table).get(name)
        if ref is None:
            return None
        label = self._label_of(ref)
        if label and self.by_label(table, label) != (name, self._next(ref)):
            label = None  # a label two names share is not shown for either
        return label, self._next(ref)

    def labels(self, table: str) -> list[str]:
        return [self._label_of(ref) for ref in self._names(table).values() if self._label_of(ref)]


def resolve(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, source: str,
            field: str | None = None) -> Resolved:
    return resolve_labels(source, SnapshotLabels(snap, registry), table.api_name, field)


WHAT = {"expression": "The formula", "default_formula": "The default formula",
        "visible_if": "The visibility condition"}


def resolve_options(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, options,
                    field: str | None = None):
    """``options`` (a field's, or a table's with ``rules``) with labels in its expressions
    replaced by API names; a label that names no field is a ``FormulaDefinitionError`` at it."""
    if not isinstance(options, dict):
        return options
    scope = SnapshotLabels(snap, registry)

    def one(source, what: str):
        if not isinstance(source, str) or "[" not in source:
            return source
        try:
            return resolve_labels(source, scope, table.api_name, field).text
        except FormulaError as exc:
            raise FormulaDefinitionError([exc], what, source) from None

    out = dict(options)
    for key in EXPRESSION_OPTIONS:
        if key in out:
            out[key] = one(out[key], WHAT[key])
    rules = out.get("rules")
    if isinstance(rules, list):
        out["rules"] = [{**rule, "expression": one(rule.get("expression"), f"Rule {i + 1}")}
                        if isinstance(rule, dict) and "expression" in rule else rule
                        for i, rule in enumerate(rules)]
    return out


def display(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, source: str,
            scope: SnapshotLabels | None = None) -> str:
    """A stored expression with labels (as stored when it does not parse)."""
    try:
        parsed = parse(source)
    except FormulaError:
        return source
    return render_labels(parsed.tree, source, scope or SnapshotLabels(snap, registry), table.api_name)


def display_options(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, options: dict) -> dict:
    scope = SnapshotLabels(snap, registry)
    return {key: display(snap, registry, table, options[key], scope)
            for key in EXPRESSION_OPTIONS if isinstance(options.get(key), str) and options[key]}


def rename_in_expressions(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef,
                          old: str, new: str) -> tuple[dict[int, dict], dict[int, dict]]:
    """Every stored expression that uses ``table``'s field ``old``, rewritten with ``new``:
    ({field id: new options}, {table id: new table options}) — only what changes."""
    scope = SnapshotLabels(snap, registry)
    target = (table.api_name, old)

    def rewrite(source, where: TableDef):
        if not isinstance(source, str) or old not in source:
            return source
        try:
            parsed = parse(source)
        except FormulaError:
            return source
        return rename_names(parsed.tree, source, scope, where.api_name, target, new)

    fields, tables = {}, {}
    for t in snap.tables.values():
        if not t.live:
            continue
        for f in t.fields:
            changed = {key: rewrite(f.options.get(key), t) for key in EXPRESSION_OPTIONS if f.options.get(key)}
            changed = {k: v for k, v in changed.items() if v != f.options.get(k)}
            if changed:
                fields[f.id] = {**f.options, **changed}
        rules = t.options.get("rules") if isinstance(t.options, dict) else None
        if isinstance(rules, list):
            new_rules = [{**r, "expression": rewrite(r.get("expression"), t)} if isinstance(r, dict) else r
                         for r in rules]
            if new_rules != rules:
                tables[t.id] = {**t.options, "rules": new_rules}
    return fields, tables
