"""Cardfile's expression language: formulas, validation rules, filters, conditions.

Pipeline::

    source ──parse──▶ nodes ──check──▶ CompiledFormula ──evaluate──▶ value (Python)
    (parser.py)      (nodes.py)  (checker.py)       └──to_sql────▶ ColumnElement (SQL)
                                       │
                                       └─dependencies──▶ deps.DependencyGraph
                                                        (cycles, recompute order)

* ``parser.parse`` reads text with Python's ``ast`` under simpleeval's rules and the
  limits (length, depth, literal size); ``=`` used as comparison is refused with
  "use == to compare".
* ``checker.check(source, table, schema, field=None, expected=None)`` resolves names
  against the :mod:`schema` Protocols (own fields, link paths, collections, ``me``),
  checks calls and types (:mod:`optypes`, :mod:`types`), folds constants and returns a
  :class:`CompiledFormula` (tree, result type, dependencies) or raises
  :class:`FormulaErrors` listing every error with its position.
* ``evaluate.evaluate(compiled, record, me=, today=, now=, rates=)`` runs it on one
  record (closures compiled once, then reused); runtime errors are ``FormulaError``
  with code ``FORMULA_RUNTIME`` and a position.
* ``to_sql.to_sql(compiled, table_alias, schema, dialect_name, me=)`` builds the
  SQLAlchemy expression for bulk recompute and reading values; ``to_sql.to_where(...)``
  the same condition as a WHERE clause an index can serve (``qty == 7`` compares the
  bare column); ``to_sql.to_sql_scaled(..., places)`` the value as SQLite's scaled
  integer in integer arithmetic, where the formula allows. ``register_sqlite_functions``
  must run on every SQLite connection. Import them from ``cardfile.formula.to_sql`` (the
  only module that needs SQLAlchemy).
* ``deps.DependencyGraph`` orders recomputation across tables and names cycles.
* ``functions`` is the registry of functions by category; built-ins register through
  the same ``FunctionRegistry.register`` a plugin uses. ``docs.render_markdown``
  generates ``docs/formulas.md`` from it.

Values and empty-value rule: :mod:`types` (``Money``, ``FormulaType``) and :mod:`ops`.

Import rule: this package is pure. It never imports ``cardfile.metamodel``,
``cardfile.platform``, Flask or pandas; SQLAlchemy Core is used by ``to_sql`` only.
"""

from .checker import CompiledFormula, Dependency, check
from .deps import DependencyGraph
from .errors import FormulaError, FormulaErrors
from .evaluate import EvalContext, evaluate
from .functions import FunctionRegistry, FunctionSpec, Param, default_registry, new_registry
from .parser import parse
from .schema import DictRecord, FieldInfo, RatesProvider, RecordContext, Schema, TableInfo
from .types import (ANY, BOOL, COLLECTION, DATE, DATETIME, EMPTY, ERROR, INTEGER, MONEY, NUMBER,
                    RECORD, TEXT, FormulaType, Money, money_type)


__all__ = [
    "ANY", "BOOL", "COLLECTION", "DATE", "DATETIME", "EMPTY", "ERROR", "INTEGER", "MONEY",
    "NUMBER", "RECORD", "TEXT", "CompiledFormula", "Dependency", "DependencyGraph",
    "DictRecord", "EvalContext", "FieldInfo", "FormulaError", "FormulaErrors", "FormulaType",
    "FunctionRegistry", "FunctionSpec", "Money", "Param", "RatesProvider", "RecordContext",
    "Schema", "TableInfo", "check", "default_registry", "evaluate", "money_type",
    "new_registry", "parse",
]
