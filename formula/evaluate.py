"""Evaluate a checked formula against one record, in Python.

**Why not simpleeval's evaluator.** The language keeps simpleeval's rules (parsed
with ``ast`` in eval mode; no imports, no dunders, no attribute access except record
paths, bounded powers, string sizes, nesting and time), but evaluation walks our own
typed tree. The tree is compiled once into nested Python closures, one per node, and
cached on the :class:`CompiledFormula`; evaluating a record is then a handful of
direct calls with no parsing, no name lookups by string in a dict of functions, no
``isinstance`` dispatch on AST node classes and no ``getattr`` on Python objects.
That is several times faster than ``simpleeval.simple_eval(source)`` per record, and
it is what lets us give every runtime error the position of the node that failed,
evaluate ``Decimal``/``Money`` exactly, apply the empty-value rule, walk links and
collections through :class:`~cardfile.formula.schema.RecordContext`, and filter
aggregates with ``where=``.

Bounds at run time: ``**`` (exponent ≤ 100, result ≤ 1e30), text results ≤ 100,000
characters, and a wall-clock budget (``max_seconds``) checked while walking
collections, the only place where the work is not bounded by the expression's size.

Runtime failures raise ``FormulaError`` with code ``FORMULA_RUNTIME`` (or
``FORMULA_LIMIT``) and the position of the failing node; callers store an error
value for that record.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from . import errors as E
from . import ops
from .checker import Binding, CompiledFormula, PathRef
from .errors import CurrencyMismatch, FormulaError, at
from .nodes import (BinOp, BoolOp, Call, Compare, IfExp, ListNode, Literal, Node, Path, UnaryOp,
                    walk)
from .schema import RatesProvider, RecordContext
from .types import FormulaType, Money

DEFAULT_MAX_SECONDS = 2.0
Fn = Callable[["_Env"], Any]


@dataclass
class EvalContext:
    """What functions may read besides the record: the user, the clock, the rates."""

    me: Any = None
    today: _dt.date | None = None
    now: _dt.datetime | None = None
    rates: RatesProvider | None = None
    deadline: float = float("inf")


class _Env:
    __slots__ = ("record", "slots", "ctx")

    def __init__(self, record, slots, ctx):
        self.record = record
        self.slots = slots
        self.ctx = ctx


def evaluate(
    compiled: CompiledFormula,
    record: RecordContext | None,
    me: Any = None,
    today: _dt.date | None = None,
    now: _dt.datetime | None = None,
    rates: RatesProvider | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
):
    """The value of ``compiled`` for ``record``; raises ``FormulaError`` on failure."""
    program = compiled._program
    if program is None:
        program = compiled._program = _Compiler(compiled).compile(compiled.tree)
    if now is None:
        now = _dt.datetime.now()
    ctx = EvalContext(me, today or now.date(), now, rates, time.monotonic() + max_seconds)
    try:
        return program(_Env(record, [None] * compiled.bindings, ctx))
    except FormulaError as exc:
        raise at(exc, compiled.parsed.sources, compiled.tree.span, compiled.field) from None


def me_value(me, attr: str):
    """An attribute of the acting user (a mapping or an object); never a method."""
    if me is None:
        return None
    if isinstance(me, Mapping):
        value = me.get(attr)
    else:
        value = getattr(me, attr, None)
    if callable(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ops.to_number(value)
    return value


def coercer(t: FormulaType) -> Callable[[Any], Any] | None:
    """How a stored value becomes a formula value of type ``t``."""
    kind = t.kind
    if kind == "NUMBER":
        return ops.to_number
    if kind == "MONEY":
        currency = t.currency or ""

        def to_money(value):
            if value is None or isinstance(value, Money):
                return value
            return Money(ops.to_number(value), currency)
        return to_money
    if kind == "DATE":
        return lambda v: _dt.date.fromisoformat(v) if isinstance(v, str) else v
    if kind == "DATETIME":
        return lambda v: _dt.datetime.fromisoformat(v) if isinstance(v, str) else v
    return None


class _Compiler:
    def __init__(self, compiled: CompiledFormula):
        self.compiled = compiled
        self.sources = compiled.parsed.sources
        self.field = compiled.field

    def locate(self, error: FormulaError, node: Node) -> FormulaError:
        return at(error, self.sources, node.span, self.field)

    def guard(self, fn: Fn, node: Node) -> Fn:
        locate = self.locate
        crosses = None

        def guarded(env):
            nonlocal crosses
            try:
                return fn(env)
            except CurrencyMismatch as exc:
                if exc.crosses is None:   # the innermost node: where the currencies met
                    if crosses is None:
                        crosses = reads_other_records(node)
                    exc.crosses = crosses
                raise locate(exc, node) from None
            except FormulaError as exc:
                raise locate(exc, node) from None
            except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:
                raise locate(FormulaError(E.RUNTIME, _describe(exc)), node) from None
        return guarded

    def compile(self, node: Node) -> Fn:
        if id(node) in self.compiled.constants:
            value = self.compiled.constants[id(node)]
            return lambda env: value
        fn = getattr(self, "compile_" + type(node).__name__)(node)
        if node.type is not None and node.type.kind == "MONEY" and node.type.currency and \
                isinstance(node, (Call, BinOp)):
            fn = _as_money(fn, node.type.currency)
        return fn

    def compile_Literal(self, node: Literal) -> Fn:  # pragma: no cover - always constant
        value = node.value
        return lambda env: value

    def compile_ListNode(self, node: ListNode) -> Fn:
        items = [self.compile(item) for item in node.items]
        return lambda env: [item(env) for item in items]

    def compile_Path(self, node: Path) -> Fn:
        ref: PathRef = node.ref
        if ref.scope == "me":
            attr = ref.me_attr
            return lambda env: me_value(env.ctx.me, attr)
        start = self.scope_getter(ref.scope)
        if not ref.steps:
            return start
        *links, last = ref.steps
        names = [step.name for step in links]
        final = last.name
        convert = coercer(node.type) if last.info.type.kind not in ("RECORD",) else None
        if not names:
            if ref.scope == "record":
                if convert is None:
                    return lambda env: env.record.get(final)
                return lambda env: convert(env.record.get(final))

        def read(env):
            current = start(env)
            for name in names:
                if current is None:
                    return None
                current = current.get(name)
            if current is None:
                return None
            value = current.get(final)
            return convert(value) if convert is not None else value
        return self.guard(read, node)

    def scope_getter(self, scope) -> Fn:
        if scope == "record":
            return lambda env: env.record
        index = scope.index
        return lambda env: env.slots[index]

    def compile_BinOp(self, node: BinOp) -> Fn:
        operation = ops.static_operation(node.op, node.left.type.kind, node.right.type.kind,
                                         node.type.kind)
        left, right = self.compile(node.left), self.compile(node.right)
        return self.guard(lambda env: operation(left(env), right(env)), node)

    def compile_UnaryOp(self, node: UnaryOp) -> Fn:
        operand = self.compile(node.operand)
        if node.op == "not":
            truthy = ops.truthy
            return lambda env: not truthy(operand(env))
        operation = ops.neg if node.op == "-" else ops.pos
        return self.guard(lambda env: operation(operand(env)), node)

    def compile_BoolOp(self, node: BoolOp) -> Fn:
        values = [self.compile(value) for value in node.values]
        truthy = ops.truthy
        if node.op == "and":
            return lambda env: all(truthy(value(env)) for value in values)
        return lambda env: any(truthy(value(env)) for value in values)

    def compile_Compare(self, node: Compare) -> Fn:
        operands = [self.compile(operand) for operand in node.operands]
        steps = list(zip(node.ops, node.kinds, operands[1:]))
        first = operands[0]
        compare, member = ops.compare, ops.member

        def run(env):
            left = first(env)
            for op, kind, operand in steps:
                right = operand(env)
                if op == "in":
                    result = member(left, right, kind)
                elif op == "not in":
                    result = not member(left, right, kind)
                else:
                    result = compare(op, left, right, kind)
                if not result:
                    return False
                left = right
            return True
        return self.guard(run, node)

    def compile_IfExp(self, node: IfExp) -> Fn:
        test, body, orelse = (self.compile(n) for n in (node.test, node.body, node.orelse))
        truthy = ops.truthy
        return lambda env: body(env) if truthy(test(env)) else orelse(env)

    def compile_Call(self, node: Call) -> Fn:
        spec = node.spec
        if node.mode == "aggregate":
            return self.guard(self.aggregate(node), node)
        args = [self.compile(arg) for arg in node.args]
        kwargs = {name: self.compile(value) for name, value in node.kwargs.items()}
        impl = spec.impl
        if spec.kind == "lazy":
            def lazy(env):
                thunks = [_thunk(arg, env) for arg in args]
                named = {name: _thunk(arg, env) for name, arg in kwargs.items()}
                return impl(*thunks, **named)
            return self.guard(lazy, node)
        if spec.kind == "aggregate":      # scalar form: min(a, b, …)
            return self.guard(lambda env: impl([arg(env) for arg in args]), node)
        if spec.context:
            return self.guard(lambda env: impl(env.ctx, *[a(env) for a in args],
                                               **{k: v(env) for k, v in kwargs.items()}), node)
        if not kwargs:
            if len(args) == 1:
                only = args[0]
                return self.guard(lambda env: impl(only(env)), node)
            return self.guard(lambda env: impl(*[arg(env) for arg in args]), node)
        return self.guard(lambda env: impl(*[a(env) for a in args],
                                           **{k: v(env) for k, v in kwargs.items()}), node)

    def aggregate(self, node: Call) -> Fn:
        binding: Binding = node.binding
        collection = self.collection_getter(binding)
        value = self.compile(node.args[0])
        where_node = node.kwargs.get("where")
        where = self.compile(where_node) if where_node is not None else None
        impl, index, truthy = node.spec.impl, binding.index, ops.truthy

        def run(env):
            slots, deadline = env.slots, env.ctx.deadline
            saved = slots[index]
            values = []
            try:
                for position, element in enumerate(collection(env) or ()):
                    if position % 64 == 63 and time.monotonic() > deadline:
                        raise FormulaError(E.LIMIT, "the formula took too long")
                    slots[index] = element
                    if where is not None and not truthy(where(env)):
                        continue
                    values.append(value(env))
            finally:
                slots[index] = saved
            return impl(values)
        return run

    def collection_getter(self, binding: Binding) -> Fn:
        start = self.scope_getter(binding.scope)
        names = [step.name for step in binding.prefix]

        def read(env):
            current = start(env)
            for name in names:
                if current is None:
                    return []
                current = current.get(name)
            return current or []
        return read


def reads_other_records(node: Node) -> bool:
    """Whether ``node`` reads values of other records: a link path or an aggregate."""
    for item in walk(node):
        if isinstance(item, Call) and item.mode == "aggregate":
            return True
        if isinstance(item, Path) and item.ref is not None and item.ref.scope != "me" and \
                (item.ref.scope != "record" or len(item.ref.steps) > 1):
            return True
    return False


def _thunk(fn: Fn, env: _Env):
    return lambda: fn(env)


def _as_money(fn: Fn, currency: str) -> Fn:
    def wrapped(env):
        value = fn(env)
        if isinstance(value, Decimal):
            return Money(value, currency)
        return value
    return wrapped


def _describe(exc: BaseException) -> str:
    from decimal import DivisionByZero, InvalidOperation

    if isinstance(exc, (ZeroDivisionError, DivisionByZero)):
        return "division by zero"
    if isinstance(exc, InvalidOperation):
        return "invalid arithmetic"
    if isinstance(exc, OverflowError):
        return "number out of range"
    return str(exc) or exc.__class__.__name__
