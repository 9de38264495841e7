"""The expression language wired into the metadata and the record service.

    bridge.py     Schema / TableInfo / FieldInfo over a catalog Snapshot: own fields, link
                  paths, line items, ``parent``, back-links (their names), field types →
                  formula types, SQL of each name
    compiled.py   FormulaSet: every stored expression of a snapshot (formula fields,
                  default_formula, visible_if, table rules) checked once, plus the
                  dependency graph and which formula fields may hold error values
    context.py    Loader + DbRecord: records as the evaluator reads them, cached per pass
    propagate.py  Pass: after a write, recompute the record's formulas and every dependent
                  across tables, in dependency order, in the same transaction
    recompute.py  a whole formula column in id-range batches: SQL path or Python path,
                  progress callback, report
    hooks.py      Computed: the calls the schema and record services make at fixed points
    preview.py    Draft: a record being edited (and its lines) as formulas read it; defaults,
                  formula fields, visibility and rules computed over it in memory
    filters.py    ``where=`` list filters compiled to SQL; the check endpoint's answer

Lifecycle of a formula field: defined → checked (names, types, cycles) → result type
stored in its options → column(s) added → column filled (recompute.py) → kept right by
every write (propagate.py) → changed: checked again, columns swapped if the result type
changed, recomputed with its dependents.

Import rule: part of ``cardfile.metamodel``; imports ``cardfile.formula`` and the metamodel
below the services (catalog, model, fieldtypes, storage); the services import this package.
SQLite connections get the formula functions (``cf_*``) through ``on_sqlite_connect``.
"""

from ...formula.to_sql import register_sqlite_functions
from ..storage.engine import on_sqlite_connect
from .hooks import Computed, FormulaDefinitionError, RuleViolated
from .recompute import register_sqlite_store

on_sqlite_connect(register_sqlite_functions)
on_sqlite_connect(register_sqlite_store)

__all__ = ["Computed", "FormulaDefinitionError", "RuleViolated"]
