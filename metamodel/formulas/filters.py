"""The expression language as a list filter (``where=``) and as a checker for the designer.

``where_filter(source, me)`` gives what ``ListQuery.where`` accepts: a callable the record
service calls with (the reader's snapshot, table, SQL table, the reader's row rule) inside
its read transaction. Names resolve only among fields the reader may read, and a path into
another table (a link, a back-link aggregate) sees only the rows the reader may read there:
a linked record outside them is an empty link. The
expression is checked against the table (it must give yes/no) and compiled to SQL by
``to_where``, so a filter over a million rows never loads them into Python, and a
comparison of a field with a constant (``qty == 7``) uses the field's index if it has one. An expression SQL cannot express
(a function computed in Python only) is refused with ``FORMULA_NOT_SQL`` and its position.

``check_expression`` answers the check endpoint: the type, or every error with its position.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement

from ...formula import errors as E
from ...formula.checker import check
from ...formula.errors import FormulaError
from ...formula.to_sql import to_sql, to_where
from ...formula.types import BOOL, accepts
from ..catalog import Snapshot
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from .bridge import FormulaSchema
from .compiled import errors_of, formula_set
from .hooks import CHECK_DIALECT, FormulaDefinitionError
from .propagate import Clock

MAX_WHERE = 2000


def where_filter(source: str, registry: FieldTypeRegistry, me: Any = None):
    """A ``ListQuery.where`` callable for the expression ``source``."""

    def build(snap: Snapshot, table: TableDef, sql, reach=None):
        return PerDialect({dialect: _compile(snap, table, sql, dialect, reach)
                           for dialect in ("sqlite", "postgresql")})

    def _compile(snap: Snapshot, table: TableDef, sql, dialect: str, reach):
        schema = FormulaSchema(snap, registry, dialect, reach=reach)
        try:
            if len(source) > MAX_WHERE:
                raise FormulaError(E.LIMIT, f"a filter has at most {MAX_WHERE} characters")
            compiled = check(source, schema.view(table), schema, expected=None)
            if not accepts(BOOL, compiled.type) and compiled.type.kind != "BOOL":
                raise FormulaError(E.TYPE, f"a filter must give yes or no, not {compiled.type}",
                                   compiled.parsed.sources.position(compiled.tree.span))
            clock = Clock()
            return to_where(compiled, sql, schema, dialect, me=me, today=clock.today,
                            now=clock.now)
        except FormulaError as exc:
            raise FormulaDefinitionError(errors_of(exc), "The filter", source) from None

    return build


class PerDialect(ColumnElement):
    """A condition compiled for each database; the statement's dialect picks one.

    (On SQLite decimals are scaled integers, so the SQL differs; ``ListQuery.where`` is
    built before the statement meets its connection.)
    """

    inherit_cache = False
    type = Boolean()

    def __init__(self, by_dialect: dict):
        self.by_dialect = by_dialect

    @property
    def _from_objects(self):
        return self.by_dialect["sqlite"]._from_objects


@compiles(PerDialect)
def _compile_per_dialect(element, compiler, **kw):
    chosen = element.by_dialect.get(compiler.dialect.name, element.by_dialect["postgresql"])
    # always parenthesised: ``a OR b`` must not bind looser than the AND of the row rule
    return "(" + compiler.process(chosen, **kw) + ")"


def check_expression(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef,
                     source: str, field: str | None = None) -> dict:
    """``{"ok": True, "type", "sql", "expression"}`` or ``{"ok": False, "errors": [...]}``.

    Field labels in square brackets are read (``[End date] - [Start date]``): ``expression``
    is the text as it would be stored (API names), and error positions point into the text
    as given."""
    from .labels import resolve

    schema = FormulaSchema(snap, registry, CHECK_DIALECT)
    view = schema.view(table)
    if field is not None and table.field(field) is None:
        field = None
    try:
        resolved = resolve(snap, registry, table, source, field)
    except FormulaError as exc:
        return {"ok": False, "errors": [e.to_dict() for e in errors_of(exc)]}
    try:
        compiled = check(resolved.text, view, schema, field=field)
        if field is not None:
            fs = formula_set(snap, registry, CHECK_DIALECT)
            cycles = fs.graph.would_cycle((table.api_name, field), compiled.dependencies)
            if cycles:
                raise cycles[0] if len(cycles) == 1 else FormulaError(cycles[0].code,
                                                                     cycles[0].message,
                                                                     cycles[0].position, field)
    except FormulaError as exc:
        return {"ok": False, "errors": [resolved.error(e).to_dict() for e in errors_of(exc)]}
    try:
        to_sql(compiled, schema.view(table).sql_table(), schema, CHECK_DIALECT)
        sql = True
    except FormulaError:
        sql = False
    return {"ok": True, "type": compiled.type.to_dict(), "can_fail": compiled.can_fail,
            "sql": sql, "dependencies": sorted(f"{t}.{f}" for t, f in compiled.fields()),
            "expression": resolved.text}
