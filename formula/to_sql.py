"""Checked formula -> SQLAlchemy Core expression, for filters and bulk recompute.

``to_sql(compiled, table_alias, schema, dialect_name)`` returns a ``ColumnElement``
that gives, for each row of ``table_alias``, what :func:`~cardfile.formula.evaluate.
evaluate` gives for that record:

* own fields through ``FieldInfo.sql_value`` (never the raw column: on SQLite decimals
  are scaled integers and ``sql_value`` divides them back);
* link paths as correlated scalar subqueries joining each target's ``id`` to
  ``sql_link`` of the previous table, with ``deleted_at IS NULL`` (a link to a record
  in the trash reads as empty);
* aggregates as correlated subqueries over the collection's live elements
  (``sql_back(element) = owner id``, ``deleted_at IS NULL``, the collection's optional
  ``sql_members(element)``, plus ``where=``);
* every table a path walks into adds its ``sql_reach(alias)`` condition when the schema
  has one (:class:`~cardfile.formula.schema.ReachTableInfo`): a request-time expression
  sees only the linked records its reader may read, and the rest as empty;
* functions through their ``sql`` compilers; a function without one, or a construct
  SQL cannot express the same way, raises ``FormulaError(code="FORMULA_NOT_SQL")`` and
  the caller uses the Python path.

**Empty values** follow the same rule as in Python: numbers and money are
``COALESCE``-d to 0 and text to ``''`` in arithmetic and comparisons; comparisons never
give NULL (dates compare with ``IS NOT DISTINCT FROM`` and ``COALESCE(a < b, false)``).

**Runtime errors**: where Python raises (division by zero, an invalid power), SQL gives
NULL (``x / NULLIF(y, 0)``). ``CompiledFormula.can_fail`` tells the caller when that
can happen; a bulk recompute then re-evaluates the rows that came back NULL in Python
to store their error values.

**Money is a pair** (:mod:`~cardfile.formula.sql_money`): each money value compiles to its
amount and its currency, read from the field's currency column (``FieldInfo.sql_currency``)
when it has one. Where Python raises a currency error (``amount + money(1, "EUR")`` on a
record in USD, ``sum()`` over two currencies, ordering EUR against USD) the row must pass a
*check*, and so must every value read from a formula field that holds an error value
(``FieldInfo.sql_error``); :func:`to_sql_result` gives the value (NULL where a check fails),
the result's currency and whether there are checks, so the caller evaluates those rows again
in Python. ``==`` between two currencies is false and ``!=`` true, as in Python. A check in
a branch that Python may not evaluate (``IF``, ``and``/``or``) counts only where the branch
is taken; inside ``IF``, ``switch`` and ``coalesce`` it counts always (a row may then be
re-evaluated for nothing, never get a wrong value). What cannot be checked this way — a
comparison of money inside ``switch``, ``min``/``max`` over money and plain numbers — raises
``FORMULA_NOT_SQL``.

**SQLite** has no decimal type and rounds binary floats; the platform calls
:func:`register_sqlite_functions` on every SQLite connection. It registers each
function flagged ``sqlite=True`` as a deterministic ``cf_<name>`` running the very same
Python implementation, with numbers read through ``Decimal(format(x, ".15g"))`` (15
significant digits: the float ``2.675`` becomes ``Decimal("2.675")`` and rounds to
2.68). PostgreSQL computes in ``NUMERIC`` natively: ``round(numeric, int)`` already
rounds half away from zero.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import sqlalchemy as sa

from . import errors as E
from . import ops
from .checker import Binding, CompiledFormula, PathRef, Step
from .errors import FormulaError
from .evaluate import me_value
from .functions import FunctionRegistry
from .nodes import BinOp, BoolOp, Call, Compare, IfExp, ListNode, Literal, Node, Path, UnaryOp
from .schema import Schema
from .sql_money import agree, as_sql, differ, first, pick, same_strict, sql_bool, when_filled
from .types import ANY, FormulaType, Money, type_of_value


@dataclass
class SqlResult:
    """A formula compiled to SQL: ``value`` (NULL where a check failed), ``currency`` (a
    MONEY result's currency where the value is not empty — read it only there; NULL for
    a plain number; None for other results) and ``checked`` (some rows may be NULL because
    a check failed: evaluate them in Python)."""

    value: Any
    currency: Any
    checked: bool


def to_sql(
    compiled: CompiledFormula,
    table_alias: sa.FromClause,
    schema: Schema,
    dialect_name: str,
    me: Any = None,
    today: _dt.date | None = None,
    now: _dt.datetime | None = None,
):
    """The SQL expression of ``compiled`` over rows of ``table_alias``."""
    return to_sql_result(compiled, table_alias, schema, dialect_name, me, today, now).value


def to_sql_result(
    compiled: CompiledFormula,
    table_alias: sa.FromClause,
    schema: Schema,
    dialect_name: str,
    me: Any = None,
    today: _dt.date | None = None,
    now: _dt.datetime | None = None,
) -> SqlResult:
    """``compiled`` as SQL over rows of ``table_alias``, with its currency and checks."""
    compiler = _SqlCompiler(compiled, table_alias, schema, dialect_name, me, today, now)
    expression = compiler.compile(compiled.tree)
    currency = compiler.cur(compiled.tree) if compiled.type.kind == "MONEY" else None
    ok = compiler.ok()
    if ok is not None:
        expression = sa.case((ok, expression), else_=sa.null())
    value = sa.type_coerce(expression, compiler.sa_type(compiled.type))
    if currency is not None:
        currency = sa.type_coerce(as_sql(currency), sa.String())
    return SqlResult(value, currency, ok is not None)


def to_where(
    compiled: CompiledFormula,
    table_alias: sa.FromClause,
    schema: Schema,
    dialect_name: str,
    me: Any = None,
    today: _dt.date | None = None,
    now: _dt.datetime | None = None,
):
    """``compiled`` as a WHERE condition: true exactly for the rows where Python's
    evaluation is truthy (false or NULL for the others), written so indexes can be used.

    A comparison of an own field with a constant in positive position (the whole
    condition, or under ``and``/``or`` only) compares the stored column itself:
    ``qty == 7`` becomes ``qty = 7``. The empty-value rule is kept by asking Python what
    an empty field gives (``ops.compare(op, None, constant)``): when that is False, SQL's
    NULL (which WHERE reads as false) already agrees; when it is True, ``OR col IS NULL``
    is added (``qty < 5``, ``qty != 7``, ``label == ""``). On SQLite a decimal stored
    as a scaled integer (``FieldInfo.sql_stored``) is compared with the constant scaled
    and rounded to a whole number in the right direction (``price > 500`` on a 2-place
    field is ``price_col > 50000``). Anything else — under ``not``, inside arithmetic,
    a function, a link path, an aggregate — keeps the form :func:`to_sql` gives it.
    Since ``and``/``or`` are monotone, reading a NULL leaf as false changes no result.
    """
    compiler = _SqlCompiler(compiled, table_alias, schema, dialect_name, me, today, now)
    condition = compiler.where(compiled.tree)
    ok = compiler.ok()
    return condition if ok is None else sa.and_(condition, ok)


def to_sql_scaled(
    compiled: CompiledFormula,
    table_alias: sa.FromClause,
    schema: Schema,
    dialect_name: str,
    places: int,
    me: Any = None,
    today: _dt.date | None = None,
    now: _dt.datetime | None = None,
):
    """SQLite: the result as the whole number a ``places``-place decimal column stores
    (rounded half away from zero, like ``cf_store_scaled``), in integer arithmetic and
    without a Python function call per row; None when the formula is not of that form.

    The form: own number/money fields that tell their stored integers
    (``FieldInfo.sql_stored``), number constants, ``+ - *``, unary minus, division by a
    power of ten and ``round(x, n)`` with a constant ``n >= 0``. Each part is a pair
    (integer, scale) meaning ``integer / 10**scale`` — exactly what Python's ``Decimal``
    computes, empty values counting as 0. Should a value outgrow 64 bits, SQLite goes on
    in floating point and the result is not an integer: the caller checks
    ``typeof(...) = 'integer'`` and otherwise stores what :func:`to_sql` gives.
    """
    if dialect_name != "sqlite" or not 0 <= places <= _MAX_SCALE:
        return None
    compiler = _SqlCompiler(compiled, table_alias, schema, dialect_name, me, today, now)
    exact = compiler.exact(compiled.tree)
    if exact is None:
        return None
    value, scale = exact
    if scale < places:
        value = value * _integer(10 ** (places - scale))
    elif scale > places:
        value = _half_away(value, 10 ** (scale - places))
    checks = _SqlCompiler(compiled, table_alias, schema, dialect_name, me, today, now)
    checks.compile(compiled.tree)
    ok = checks.ok()
    return value if ok is None else sa.case((ok, value), else_=sa.null())


class SqlCall:
    """What a function's ``sql`` compiler gets: the call, its types and SQL helpers."""

    def __init__(self, compiler: "_SqlCompiler", node: Call, subquery=None):
        self._compiler = compiler
        self.node = node
        self.spec = node.spec
        self.dialect = compiler.dialect
        self.fn = sa.func
        self.types: list[FormulaType] = [arg.type for arg in node.args]
        self.result: FormulaType = node.type
        self.mode = node.mode
        self.today = compiler.today
        self.now = compiler.now
        self._subquery = subquery

    def not_sql(self, reason: str):
        raise self._compiler.not_sql(reason, self.node)

    def cf(self, *args):
        """Call the SQLite function ``cf_<name>`` (see register_sqlite_functions)."""
        function = getattr(sa.func, "cf_" + self.spec.key)
        return function(*args, type_=self._compiler.sa_type(self.result))

    def num(self, value):
        return sa.func.coalesce(value, 0)

    def text(self, value):
        return sa.func.coalesce(value, "")

    def numeric(self, value):
        return sa.cast(value, sa.Numeric) if self.dialect == "postgresql" else value

    def integer(self, value):
        if self.dialect == "postgresql":
            return sa.cast(sa.func.trunc(sa.cast(value, sa.Numeric)), sa.Integer)
        return sa.cast(value, sa.Integer)

    def cast(self, value, kind: FormulaType):
        return sa.cast(value, self._compiler.sa_type(kind))

    def typed(self, value, kind: FormulaType):
        return sa.type_coerce(value, self._compiler.sa_type(kind))

    def case(self, whens, else_=None):
        return sa.case(*whens, else_=else_)

    def null(self):
        return sa.null()

    def literal(self, value, kind: FormulaType | None = None):
        return self._compiler.literal(value, kind)

    def truthy(self, value, kind: FormulaType):
        return self._compiler.truthy(value, kind, self.node)

    def compare(self, op: str, a, b, kind: str):
        if kind == "MONEY":
            self.not_sql(f"comparing money in {self.spec.name}() is computed in Python")
        return self._compiler.compare(op, a, b, kind, self.node)

    def currency(self, index: int):
        """The currency of argument ``index`` as SQL (NULL: empty or not money)."""
        return as_sql(self._compiler.cur(self.node.args[index]))

    def set_currency(self, currency) -> None:
        """Declare the currency of a MONEY result (functions that choose among their
        arguments: ``IF``, ``switch``, ``coalesce``)."""
        self._compiler.currencies[id(self.node)] = currency

    def is_constant(self, index: int) -> bool:
        return id(self.node.args[index]) in self._compiler.constants

    def constant(self, index: int):
        return self._compiler.constants[id(self.node.args[index])]

    def subquery(self, expression):
        if self._subquery is None:
            self.not_sql("not an aggregate over a collection")
        return self._subquery(expression)


class _SqlCompiler:
    def __init__(self, compiled, alias, schema, dialect, me, today, now):
        if dialect not in ("sqlite", "postgresql"):
            raise FormulaError(E.NOT_SQL, f"unsupported SQL dialect {dialect!r}")
        self.compiled = compiled
        self.constants = compiled.constants
        self.alias = alias
        self.schema = schema
        self.dialect = dialect
        self.me = me
        self.now = now or _dt.datetime.now()
        self.today = today or self.now.date()
        self.bound: dict[int, sa.FromClause] = {}
        self.checks: list = []                 # conditions each row must meet (see ok())
        self.currencies: dict[int, Any] = {}   # id(node) -> Cur of a money node

    # -- checks and currencies (see sql_money) ----------------------------------------
    def ok(self):
        """The conjunction of the checks, or None when there are none."""
        return sa.and_(*self.checks) if self.checks else None

    def require(self, condition) -> None:
        if condition is True:
            return
        self.checks.append(sql_bool(condition))

    def scoped(self, compile_):
        """Compile with a fresh list of checks: (result, their conjunction or None)."""
        saved, self.checks = self.checks, []
        try:
            result = compile_()
        finally:
            local, self.checks = self.checks, saved
        return result, (sa.and_(*local) if local else None)

    def require_when(self, guard, ok) -> None:
        """Checks that count only where ``guard`` holds (a branch Python evaluates)."""
        if ok is not None:
            self.require(ok if guard is None else sa.or_(sa.not_(guard), ok))

    def cur(self, node: Node):
        """The currency of a compiled node (None: it carries none)."""
        kind = node.type.kind if node.type is not None else "ANY"
        if kind not in ("MONEY", "ANY"):
            return None
        if id(node) not in self.currencies:
            raise self.not_sql("the currency of this value is only known in Python", node)
        return self.currencies[id(node)]

    def static_cur(self, node: Node, cur):
        """Python gives a call or an operator of a known money type that currency when its
        result is a plain number (``evaluate._as_money``)."""
        static = node.type.currency if node.type is not None else None
        if static and isinstance(node, (Call, BinOp)):
            return first(cur, static)
        return cur

    def not_sql(self, reason: str, node: Node) -> FormulaError:
        return FormulaError(E.NOT_SQL, reason,
                            self.compiled.parsed.sources.position(node.span),
                            self.compiled.field)

    def sa_type(self, kind: FormulaType | None):
        name = kind.kind if kind is not None else "ANY"
        if name in ("NUMBER", "MONEY"):
            return sa.Numeric() if self.dialect == "postgresql" else sa.Float()
        return {"TEXT": sa.String(), "BOOL": sa.Boolean(), "DATE": sa.Date(),
                "DATETIME": sa.DateTime()}.get(name, sa.types.NullType())

    # -- values -------------------------------------------------------------------
    def literal(self, value, kind: FormulaType | None = None):
        if value is None:
            return sa.null()
        if isinstance(value, Money):
            value = value.amount
        kind = kind or type_of_value(value)
        if isinstance(value, bool):
            return sa.literal(value, sa.Boolean())
        if isinstance(value, (int, float)):
            value = ops.to_number(value)
        if isinstance(value, Decimal):
            text = format(value, "f")
            if value < 0:
                text = f"({text})"
            return sa.literal_column(text, self.sa_type(kind))
        return sa.literal(value, self.sa_type(kind))

    def compile(self, node: Node):
        if id(node) in self.constants:
            value = self.constants[id(node)]
            if isinstance(value, Money):
                self.currencies[id(node)] = value.currency
            elif node.type is not None and node.type.kind == "MONEY":
                self.currencies[id(node)] = None if value is None else \
                    self.static_cur(node, None)
            return self.literal(value, node.type)
        method = getattr(self, "compile_" + type(node).__name__)
        return method(node)

    def compile_Literal(self, node: Literal):  # pragma: no cover - literals are constants
        return self.literal(node.value, node.type)

    def compile_ListNode(self, node: ListNode):
        raise self.not_sql("a list is only usable after 'in'", node)

    def compile_Path(self, node: Path):
        ref: PathRef = node.ref
        if ref.scope == "me":
            value = me_value(self.me, ref.me_attr)
            return self.literal(value, node.type if value is not None else None)
        alias = self.scope_alias(ref.scope)
        if not ref.steps:
            return alias.c.id
        *links, last = ref.steps
        if last.info.type.kind == "RECORD":
            return self.record_id(alias, list(ref.steps), node)
        if not links:
            value = last.info.sql_value(alias)
            self.read_checks(node, last.info, alias, value, lambda x: x)
            return value
        target, conditions, created = self.walk_links(alias, links)

        def scalar(expression):
            query = sa.select(expression).where(*conditions)
            return query.correlate_except(*created).scalar_subquery()
        value = scalar(last.info.sql_value(target))
        self.read_checks(node, last.info, target, value, scalar)
        return value

    def read_checks(self, node: Path, info, table, value, scalar) -> None:
        """A field read: its currency (money) and, for a formula field that may hold an
        error value, the check that it does not (Python raises reading one)."""
        sql_error = getattr(info, "sql_error", None)
        error = sql_error(table) if sql_error is not None else None
        if error is not None:
            self.require(scalar(error).is_(None))
        if node.type is None or node.type.kind != "MONEY":
            return
        static = info.currency or info.type.currency
        sql_currency = getattr(info, "sql_currency", None)
        column = sql_currency(table) if sql_currency is not None else None
        if column is None:
            self.currencies[id(node)] = when_filled(value, static) if static else None
            return
        own = sa.case((info.sql_value(table).is_(None), sa.null()),
                      else_=sa.func.coalesce(column, static) if static else column)
        self.currencies[id(node)] = scalar(own)

    def scope_alias(self, scope):
        if scope == "record":
            return self.alias
        return self.bound[scope.index]

    def walk_links(self, alias, links: list[Step]):
        conditions, created, current = [], [], alias
        for step in links:
            table = self.schema.table(step.info.target or step.info.type.table)
            target = table.sql_table().alias()
            conditions += [target.c.id == step.info.sql_link(current),
                           target.c.deleted_at.is_(None), *_reach(table, target)]
            created.append(target)
            current = target
        return current, conditions, created

    def record_id(self, alias, links: list[Step], node: Node):
        target, conditions, created = self.walk_links(alias, links)
        query = sa.select(target.c.id).where(*conditions)
        return query.correlate_except(*created).scalar_subquery()

    # -- operators ------------------------------------------------------------------
    def compile_BinOp(self, node: BinOp):
        left, right = node.left.type, node.right.type
        if ANY in (left, right) or "ANY" in (left.kind, right.kind):
            raise self.not_sql("values of unknown type are computed in Python", node)
        a, b = self.compile(node.left), self.compile(node.right)
        kinds = {left.kind, right.kind}
        if "TEXT" in kinds:
            return self.text_op(node, a, b)
        if kinds & {"DATE", "DATETIME"}:
            return self.date_op(node, a, b)
        if "MONEY" in kinds or node.type.kind == "MONEY":
            self.money_op(node)
        a, b = sa.func.coalesce(a, 0), sa.func.coalesce(b, 0)
        if node.op in ("+", "-", "*"):
            return {"+": a + b, "-": a - b, "*": a * b}[node.op]
        return self.division(node, a, b)

    def money_op(self, node: BinOp) -> None:
        """Money ± money of one currency (or either without one); money ÷ money of one
        currency; the result keeps the currency of its money operand (Money's rules)."""
        ca, cb = self.cur(node.left), self.cur(node.right)
        if node.left.type.kind == "MONEY" and node.right.type.kind == "MONEY":
            if node.op in ("+", "-"):
                self.require(agree(ca, cb))
            elif node.op in ("/", "//"):
                self.require(same_strict(ca, cb))
        if node.type.kind == "MONEY":
            self.currencies[id(node)] = self.static_cur(node, first(ca, cb))

    def text_op(self, node: BinOp, a, b):
        if node.op == "+":
            return sa.func.coalesce(a, "").op("||")(sa.func.coalesce(b, ""))
        text, count = (a, b) if node.left.type.kind == "TEXT" else (b, a)
        if self.dialect == "sqlite":
            return sa.func.cf_repeat(text, sa.func.coalesce(count, 0), type_=sa.String())
        count = sa.func.least(sa.func.greatest(sa.func.trunc(sa.cast(sa.func.coalesce(count, 0), sa.Numeric)), 0),
                              _integer(ops.MAX_TEXT + 1))
        text = sa.func.coalesce(text, "")
        # what Python refuses (a text past MAX_TEXT) is empty here, never built in the database
        return sa.case((sa.func.length(text) * count > _integer(ops.MAX_TEXT), sa.null()),
                       else_=sa.func.repeat(text, sa.cast(count, sa.Integer)))

    def date_op(self, node: BinOp, a, b):
        left, right = node.left.type.kind, node.right.type.kind
        if "DATETIME" in (left, right) or node.op not in ("+", "-"):
            raise self.not_sql("date-time arithmetic is computed in Python", node)
        if left == right == "DATE":
            if self.dialect == "sqlite":
                return sa.cast(sa.func.julianday(a) - sa.func.julianday(b), sa.Integer)
            return a - b
        day, days = (a, b) if left == "DATE" else (b, a)
        days = sa.func.coalesce(days, 0)
        if node.op == "-":
            days = -days
        if self.dialect == "sqlite":
            return sa.func.cf_add_days(day, days, type_=sa.Date())
        return day + sa.cast(sa.func.trunc(sa.cast(days, sa.Numeric)), sa.Integer)

    def division(self, node: BinOp, a, b):
        if node.op == "**":
            exponent = self.constants.get(id(node.right))
            if not isinstance(exponent, Decimal):
                raise self.not_sql("** with a computed exponent is computed in Python", node)
            if self.dialect == "sqlite":
                return sa.func.cf_power(a, b, type_=sa.Float())
            return sa.func.power(sa.cast(a, sa.Numeric), b)
        if self.dialect == "sqlite":
            quotient = (a * 1.0) / sa.func.nullif(b, 0)
            if node.op == "/":
                return quotient
            if node.op == "//":  # cf_floor would read the NULL of a division by 0 as 0
                return sa.case((b == 0, sa.null()),
                               else_=sa.func.cf_floor(quotient, type_=sa.Float()))
            return sa.func.cf_mod(a, b, type_=sa.Float())
        a, b = sa.cast(a, sa.Numeric), sa.cast(b, sa.Numeric)
        quotient = a / sa.func.nullif(b, 0)
        if node.op == "/":
            return quotient
        if node.op == "//":
            return sa.func.floor(quotient)
        return a - b * sa.func.floor(quotient)

    def compile_UnaryOp(self, node: UnaryOp):
        operand = self.compile(node.operand)
        if node.op == "not":
            return sa.not_(self.truthy(operand, node.operand.type, node))
        if node.operand.type.kind not in ("NUMBER", "MONEY", "EMPTY"):
            raise self.not_sql("values of unknown type are computed in Python", node)
        if node.type.kind == "MONEY":
            self.currencies[id(node)] = self.cur(node.operand)
        operand = sa.func.coalesce(operand, 0)
        return -operand if node.op == "-" else operand

    def compile_BoolOp(self, node: BoolOp):
        parts = []
        for value in node.values:   # a part is evaluated only while the answer is open
            part, ok = self.scoped(lambda value=value: self.truthy(self.compile(value),
                                                                    value.type, value))
            self.require_when(self.still_open(node.op, parts), ok)
            parts.append(part)
        return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)

    @staticmethod
    def still_open(op: str, parts: list):
        if not parts:
            return None
        return sa.and_(*parts) if op == "and" else sa.not_(sa.or_(*parts))

    def compile_IfExp(self, node: IfExp):
        test = self.truthy(self.compile(node.test), node.test.type, node.test)
        body, body_ok = self.scoped(lambda: self.compile(node.body))
        orelse, orelse_ok = self.scoped(lambda: self.compile(node.orelse))
        self.require_when(test, body_ok)
        self.require_when(sa.not_(test), orelse_ok)
        if node.type.kind == "MONEY":
            self.currencies[id(node)] = pick(test, self.cur(node.body), self.cur(node.orelse))
        return sa.case((test, body), else_=orelse)

    def truthy(self, value, kind: FormulaType, node: Node):
        name = kind.kind if kind is not None else "ANY"
        if name == "BOOL":
            return sa.func.coalesce(value, sa.false())
        if name in ("NUMBER", "MONEY"):
            return sa.func.coalesce(value, 0) != 0
        if name == "TEXT":
            return sa.func.coalesce(value, "") != ""
        if name in ("DATE", "DATETIME", "RECORD"):
            return value.is_not(None)
        if name == "EMPTY":
            return sa.false()
        raise self.not_sql("a condition of unknown type is computed in Python", node)

    def compile_Compare(self, node: Compare):
        operands = [None if isinstance(operand, ListNode) else self.compile(operand)
                    for operand in node.operands]
        parts = []
        for index, (op, kind) in enumerate(zip(node.ops, node.kinds)):
            part, ok = self.scoped(lambda index=index, op=op, kind=kind:
                                   self.compare_at(node, index, op, kind, operands))
            self.require_when(sa.and_(*parts) if parts else None, ok)
            parts.append(part)
        return parts[0] if len(parts) == 1 else sa.and_(*parts)

    def compare_at(self, node: Compare, index: int, op: str, kind: str, operands: list):
        """Part ``index`` of a comparison chain (``a < b`` of ``a < b < c``)."""
        left, right = node.operands[index], node.operands[index + 1]
        if op in ("in", "not in"):
            items = [(self.compile(item), item) for item in right.items]
            found = sa.or_(sa.false(), *(self.compare("==", operands[index], sql, kind, node,
                                                      (left, item)) for sql, item in items))
            return found if op == "in" else sa.not_(found)
        return self.compare(op, operands[index], operands[index + 1], kind, node, (left, right))

    def compare(self, op: str, a, b, kind: str, node: Node, pair=None):
        zero = {"NUMBER": 0, "MONEY": 0, "TEXT": "", "BOOL": sa.false()}.get(kind)
        if zero is not None:
            a, b = sa.func.coalesce(a, zero), sa.func.coalesce(b, zero)
            if kind == "MONEY" and pair is not None and \
                    pair[0].type.kind == pair[1].type.kind == "MONEY":
                return self.money_compare(op, a, b, self.cur(pair[0]), self.cur(pair[1]))
            return _OPERATORS[op](a, b)
        if kind in ("DATE", "DATETIME", "RECORD"):
            if op == "==":
                return a.is_not_distinct_from(b)
            if op == "!=":
                return a.is_distinct_from(b)
            return sa.func.coalesce(_OPERATORS[op](a, b), sa.false())
        raise self.not_sql("comparing values of unknown type is computed in Python", node)

    def money_compare(self, op: str, a, b, ca, cb):
        """Money against money, as ``ops.compare``: ``==`` is false and ``!=`` true between
        two currencies; ordering them is an error (a check)."""
        if op == "==":
            return sa.and_(a == b, sql_bool(agree(ca, cb)))
        if op == "!=":
            return sa.or_(a != b, sql_bool(differ(ca, cb)))
        self.require(agree(ca, cb))
        return _OPERATORS[op](a, b)

    # -- WHERE conditions (to_where) -----------------------------------------------------
    def where(self, node: Node):
        """Rows where ``node`` is truthy; NULL may stand for false (see to_where)."""
        if id(node) not in self.constants:
            if isinstance(node, BoolOp):
                # a failed check where Python evaluates a part is an error: no row. With
                # ``or`` a part is evaluated only after the ones before it (and their checks)
                parts, oks = [], []
                for value in node.values:
                    part, ok = self.scoped(lambda value=value: self.where(value))
                    if node.op == "and":
                        parts.append(part if ok is None else sa.and_(part, ok))
                        continue
                    if ok is not None:
                        oks.append(ok)
                    parts.append(sa.and_(*oks, part) if oks else part)
                return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
            if isinstance(node, Compare):
                return self.where_compare(node)
        value = self.compile(node)
        kind = node.type.kind if node.type is not None else "ANY"
        if kind in ("ANY", "EMPTY"):
            return value == sa.true()
        return self.truthy(value, node.type, node)

    def where_compare(self, node: Compare):
        compiled: dict[int, Any] = {}

        def operand(index):
            if index not in compiled:
                compiled[index] = self.compile(node.operands[index])
            return compiled[index]

        parts = []
        for index, (op, kind) in enumerate(zip(node.ops, node.kinds)):
            part, ok = self.scoped(lambda index=index, op=op, kind=kind:
                                   self.where_compare_part(node, index, op, kind, operand))
            parts.append(part if ok is None else sa.and_(part, ok))
        return parts[0] if len(parts) == 1 else sa.and_(*parts)

    def where_compare_part(self, node: Compare, index: int, op: str, kind: str, operand):
        left, right = node.operands[index], node.operands[index + 1]
        part = None
        if op == "in" and isinstance(right, ListNode):
            leaves = [self.field_compare("==", left, item, kind) for item in right.items]
            if leaves and all(leaf is not None for leaf in leaves):
                part = sa.or_(*leaves)
        elif op in _OPERATORS:
            part = self.field_compare(op, left, right, kind)
            if part is None:
                part = self.field_compare(_FLIPPED[op], right, left, kind)
        if part is None:
            part = self.compare_at(node, index, op, kind, _Lazy(operand))
        return part

    def field_compare(self, op: str, field: Node, other: Node, kind: str):
        """``field OP constant`` on the stored column, or None when not of that form."""
        info = self.own_field(field)
        if info is None or kind not in _PLAIN_KINDS:
            return None
        value = self.constant_value(other)
        if value is None or not _fits(kind, value, info):
            return None
        try:
            empty_matches = ops.compare(op, None, value, kind)
        except (FormulaError, ArithmeticError, TypeError, ValueError):
            return None
        column, scale = self.stored(info)
        currency = value.currency if isinstance(value, Money) else None
        if isinstance(value, Money):
            value = value.amount
        if scale:
            condition = _scaled_compare(op, column, Decimal(value).scaleb(scale))
        else:
            condition = _OPERATORS[op](column, self.literal(value, field.type))
        sql_currency = getattr(info, "sql_currency", None)
        stored_currency = sql_currency(self.alias) if sql_currency is not None else None
        if currency is not None and stored_currency is not None:
            same = sa.func.coalesce(stored_currency, info.currency or info.type.currency) == \
                sa.literal(currency, sa.String())
            condition = sa.or_(condition, sa.and_(column.is_not(None), sa.not_(same))) \
                if op == "!=" else sa.and_(condition, same)
        if not empty_matches:
            return condition
        sql_error = getattr(info, "sql_error", None)
        error = sql_error(self.alias) if sql_error is not None else None
        empty = column.is_(None) if error is None else sa.and_(column.is_(None), error.is_(None))
        return sa.or_(condition, empty)

    def own_field(self, node: Node):
        """The FieldInfo of an own field holding a plain value, else None."""
        if not isinstance(node, Path) or id(node) in self.constants:
            return None
        ref: PathRef = node.ref
        if ref is None or ref.scope != "record" or len(ref.steps) != 1:
            return None
        info = ref.steps[0].info
        return info if info.type.kind in _PLAIN_KINDS else None

    def stored(self, info):
        """(column, scale): the stored column and its decimal scale (see FieldInfo)."""
        stored = getattr(info, "sql_stored", None)
        if stored is None:
            return info.sql_value(self.alias), 0
        column, scale = stored(self.alias)
        return column, int(scale or 0) if info.type.kind in ("NUMBER", "MONEY") else 0

    def constant_value(self, node: Node):
        """The value of a constant (or of ``me``), None when not a known non-empty value."""
        if id(node) in self.constants:
            return self.constants[id(node)]
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Path) and node.ref is not None and node.ref.scope == "me":
            return me_value(self.me, node.ref.me_attr)
        return None

    # -- exact integer arithmetic (to_sql_scaled) ---------------------------------------
    def exact(self, node: Node, rounds: int = 0):
        """(integer expression, scale) with value ``integer / 10**scale``, or None."""
        if id(node) in self.constants:
            return _exact_constant(self.constants[id(node)])
        if isinstance(node, Path):
            info = self.own_field(node)
            stored = getattr(info, "sql_stored", None)
            if stored is None or info.type.kind not in ("NUMBER", "MONEY"):
                return None
            column, scale = stored(self.alias)
            scale = int(scale or 0)
            return (sa.func.coalesce(column, 0, type_=sa.BigInteger()), scale) \
                if 0 <= scale <= _MAX_SCALE else None
        if isinstance(node, UnaryOp) and node.op in ("-", "+"):
            inner = self.exact(node.operand, rounds)
            if inner is None:
                return None
            return (-inner[0], inner[1]) if node.op == "-" else inner
        if isinstance(node, BinOp):
            return self.exact_binop(node, rounds)
        if isinstance(node, Call) and node.mode == "scalar" and node.spec.key == "round" \
                and not node.kwargs and rounds < 3:
            inner = self.exact(node.args[0], rounds + 1)
            places = self.constants.get(id(node.args[1]), _NOT) if len(node.args) > 1 \
                else Decimal(0)
            if inner is None or not isinstance(places, Decimal) or \
                    places != places.to_integral_value() or not 0 <= places <= _MAX_SCALE:
                return None
            value, scale = inner
            places = int(places)
            if places >= scale:
                return value, scale
            return _half_away(value, 10 ** (scale - places)), places
        return None

    def exact_binop(self, node: BinOp, rounds: int):
        numeric = ("NUMBER", "MONEY", "EMPTY")
        if node.left.type is None or node.right.type is None or \
                node.left.type.kind not in numeric or node.right.type.kind not in numeric:
            return None
        left = self.exact(node.left, rounds)
        if left is None:
            return None
        if node.op == "/":
            divisor = self.constants.get(id(node.right))
            if isinstance(divisor, Money):
                return None
            power = _power_of_ten(divisor)
            if power is None or left[1] + power > _MAX_SCALE:
                return None
            return left[0], left[1] + power
        if node.op not in ("+", "-", "*"):
            return None
        right = self.exact(node.right, rounds)
        if right is None:
            return None
        (a, scale_a), (b, scale_b) = left, right
        if node.op == "*":
            if scale_a + scale_b > _MAX_SCALE:
                return None
            return a * b, scale_a + scale_b
        if scale_a < scale_b:
            a = a * _integer(10 ** (scale_b - scale_a))
        elif scale_b < scale_a:
            b = b * _integer(10 ** (scale_a - scale_b))
        return (a + b if node.op == "+" else a - b), max(scale_a, scale_b)

    # -- calls ------------------------------------------------------------------------
    def compile_Call(self, node: Call):
        spec = node.spec
        if spec.sql is None:
            raise self.not_sql(f"{spec.name}() is computed in Python", node)
        if node.mode == "aggregate":
            return self.aggregate(node)
        args = [self.compile(arg) for arg in node.args]
        kwargs = {name: self.compile(value) for name, value in node.kwargs.items()}
        result = spec.sql(SqlCall(self, node), *args, **kwargs)
        if node.type.kind == "MONEY":
            self.call_currency(node, result)
        return result

    def call_currency(self, node: Call, result) -> None:
        """The currency of a call's money result: what the function declared
        (``SqlCall.set_currency``), else that of its money arguments, which must agree."""
        if id(node) in self.currencies:
            cur = self.currencies[id(node)]
        elif node.spec.kind == "lazy":
            raise self.not_sql(f"the currency of {node.spec.name}() is only known in Python", node)
        else:
            found = [self.cur(arg) for arg in node.args if arg.type.kind == "MONEY"]
            for index, one in enumerate(found):
                for other in found[index + 1:]:
                    self.require(agree(one, other))
            cur = first(*found)
        self.currencies[id(node)] = when_filled(result, self.static_cur(node, cur))

    def aggregate(self, node: Call):
        binding: Binding = node.binding
        outer = self.scope_alias(binding.scope)
        *links, collection = binding.prefix
        owner = self.record_id(outer, links, node) if links else outer.c.id
        table = self.schema.table(collection.info.target or collection.info.type.table)
        element = table.sql_table().alias()
        self.bound[binding.index] = element
        base = [collection.info.sql_back(element) == owner, element.c.deleted_at.is_(None),
                *_members(collection.info, element), *_reach(table, element)]
        conditions = list(base)
        value, value_ok = self.scoped(lambda: self.compile(node.args[0]))
        where = node.kwargs.get("where")
        if where is not None:
            test, where_ok = self.scoped(lambda: self.truthy(self.compile(where), where.type, where))
            if where_ok is not None:   # every element is tested: no test may fail
                failing = sa.select(sa.literal(1)).select_from(element).where(*base, sa.not_(where_ok))
                self.require(sa.not_(failing.correlate_except(element).exists()))
            conditions.append(test)

        def subquery(expression):
            query = sa.select(expression).select_from(element).where(*conditions)
            return query.correlate_except(element).scalar_subquery()

        result = node.spec.sql(SqlCall(self, node, subquery), value)
        cur, agree_ = None, []   # what the elements taken must meet, in one subquery
        if value_ok is not None:
            agree_.append(sa.func.coalesce(sa.func.min(sa.case((value_ok, 1), else_=0)), 1) == 1)
        if node.type.kind == "MONEY" and node.args[0].type.kind == "MONEY":
            cur = self.cur(node.args[0])      # each element's; they must agree (Python adds them)
            if cur is not None and not isinstance(cur, str):
                agree_.append(sa.func.count(sa.distinct(cur)) <= 1)
                cur = subquery(sa.func.min(cur))
            self.currencies[id(node)] = when_filled(result, self.static_cur(node, cur))
        if agree_:
            self.require(subquery(sa.and_(*agree_)))
        return result


class _Lazy:
    """``operands[i]`` compiled on first use."""

    def __init__(self, compile_):
        self.compile_ = compile_

    def __getitem__(self, index):
        return self.compile_(index)


def _members(info, alias) -> list:
    """What else makes an element a member of the collection (``FieldInfo.sql_members``,
    optional): line items reached through a back-link count only while their record is not
    in the trash either."""
    members = getattr(info, "sql_members", None)
    clause = members(alias) if members is not None else None
    return [] if clause is None else [clause]


def _reach(table, alias) -> list:
    """The reader's row rule on a table a path walks into (``ReachTableInfo.sql_reach``):
    a linked record outside it reads as an empty link, a collection counts only rows in it."""
    reach = getattr(table, "sql_reach", None)
    clause = reach(alias) if reach is not None else None
    return [] if clause is None else [clause]


_OPERATORS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


_MAX_SCALE = 18
_NOT = object()


def _integer(value: int):
    """An integer literal in SQL (no bind parameter, no column type's bind rules)."""
    return sa.literal_column(str(value) if value >= 0 else f"({value})", sa.BigInteger())


def _exact_constant(value):
    if value is None:
        return _integer(0), 0
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    value = Decimal(value)
    if not value.is_finite():
        return None
    scale = max(0, -value.as_tuple().exponent)
    whole = int(value.scaleb(scale))
    if scale > _MAX_SCALE or abs(whole) >= 2 ** 62:
        return None
    return _integer(whole), scale


def _power_of_ten(value) -> int | None:
    """k when ``value`` is 10**k (k >= 0), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        return None
    for k in range(_MAX_SCALE + 1):
        if value == 10 ** k:
            return k
    return None


def _half_away(value, divisor: int):
    """``value / divisor`` rounded half away from zero, for whole numbers (divisor 10**k, k > 0).

    SQLite's integer division truncates towards zero, so adding half the divisor away
    from zero first rounds half away from zero."""
    half, div = _integer(divisor // 2), _integer(divisor)
    divide = lambda a: a.self_group().op("/", precedence=8, return_type=sa.BigInteger())(div)  # noqa: E731
    return sa.case((value < 0, -divide(half - value)), else_=divide(value + half))


_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_PLAIN_KINDS = ("NUMBER", "MONEY", "TEXT", "BOOL", "DATE", "DATETIME")


def _fits(kind: str, value, info) -> bool:
    """Whether ``value`` is a constant the stored column compares with as Python does."""
    if kind in ("NUMBER", "MONEY"):
        if isinstance(value, Money):
            return kind == "MONEY" and info.type.kind == "MONEY" and \
                value.currency == (info.type.currency or info.currency)
        return isinstance(value, (Decimal, int)) and not isinstance(value, bool) and \
            Decimal(value).is_finite()
    if kind == "TEXT":
        return isinstance(value, str)
    if kind == "BOOL":
        return isinstance(value, bool)
    if kind == "DATE":
        return isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)
    if kind == "DATETIME":
        return isinstance(value, _dt.datetime) and value.tzinfo is None
    return False


def _scaled_compare(op: str, column, scaled: Decimal):
    """``column OP scaled`` for a column of whole numbers, with a whole-number constant."""
    floor = int(scaled.to_integral_value(ROUND_FLOOR))
    ceiling = int(scaled.to_integral_value(ROUND_CEILING))
    whole = floor == ceiling

    def number(value: int):
        return sa.literal_column(str(value) if value >= 0 else f"({value})", sa.BigInteger())

    if op == "==":
        return column == number(floor) if whole else sa.false()
    if op == "!=":
        return column != number(floor) if whole else column.is_not(None)
    if op == ">":
        return column > number(floor)
    if op == ">=":
        return column >= number(ceiling)
    if op == "<":
        return column < number(ceiling)
    return column <= number(floor)


# -- SQLite ------------------------------------------------------------------------------
def register_sqlite_functions(dbapi_connection, functions: FunctionRegistry | None = None):
    """Register the ``cf_*`` functions on a ``sqlite3`` connection (call on connect)."""
    from .functions import default_registry

    for spec in functions or default_registry():
        if not spec.sqlite:
            continue
        low, high = spec.arity()
        narg = low if high == low else -1
        date_params = [all(kind in ("DATE", "DATETIME") for kind in param.kinds)
                       for param in spec.params if not param.keyword]
        impl = spec.impl
        if spec.kind == "aggregate":
            def impl(*values, _impl=spec.impl):
                return _impl(list(values))
        dbapi_connection.create_function("cf_" + spec.key, narg,
                                         _sqlite_wrapper(impl, date_params), deterministic=True)
    dbapi_connection.create_function("cf_power", 2, _sqlite_wrapper(ops.power, []),
                                     deterministic=True)
    dbapi_connection.create_function("cf_repeat", 2, _sqlite_wrapper(ops.repeat, []),
                                     deterministic=True)


def _from_sqlite(value, is_date: bool):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(format(value, ".15g"))
    if is_date and isinstance(value, str):
        try:
            if len(value) <= 10:
                return _dt.date.fromisoformat(value)
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def _to_sqlite(value):
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 \
            else float(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, _dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _sqlite_wrapper(impl, date_params: list[bool]):
    def call(*args):
        converted = [_from_sqlite(arg, index < len(date_params) and date_params[index])
                     for index, arg in enumerate(args)]
        try:
            return _to_sqlite(impl(*converted))
        except (FormulaError, ArithmeticError, ValueError, OverflowError):
            return None
    return call
