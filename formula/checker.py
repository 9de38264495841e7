"""Names + types + constants -> a :class:`CompiledFormula`, or every error found.

``check(source, table, schema)`` parses the source and walks the tree once:

* **names**: own fields, dot paths through links to any depth
  (``client.category.discount``), collections (line items, back-links) inside
  aggregates, and ``me`` (the acting user: ``me.id``, ``me.username``, ``me.name``,
  ``me.email`` and any other attribute the caller passes at evaluation, typed ANY).
  ``me`` alone is the user's id (``owner == me``). ``me`` is reserved: a field called
  ``me`` cannot be read by formulas.
  Unknown names get a "did you mean …" from :mod:`difflib`.
* **calls**: the function exists, the argument count fits, each argument's type fits.
* **aggregates**: ``sum(lines.amount, where=lines.vat > 0)``. The first collection
  path inside an aggregate's argument *binds* the aggregate to that collection: within
  the argument and ``where=``, paths through the same collection (``lines.…``) read
  the current element, other names read the record. One collection per aggregate.
* **types**: operators and comparisons (``optypes``), branches of IF/``… if … else …``.
* **constants**: operations on literals are computed here, so ``9**9**9`` or
  ``"a" * 10**9`` fail at definition time with ``FORMULA_LIMIT``.
* **size**: a text that could grow past :data:`size.MAX_TEXT_SIZE` characters (nested
  ``replace``, repetition, concatenation) is ``FORMULA_TOO_LARGE`` (:mod:`size`).

Every error carries its position and the field key; all are raised together as
:class:`FormulaErrors`.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from dataclasses import dataclass, field as dc_field
from typing import Any

from . import errors as E
from . import ops
from .errors import FormulaError, FormulaErrors, Span
from .functions import default_registry
from .functions.registry import ArgTypeError, FunctionRegistry, FunctionSpec, TypeCall
from .nodes import BinOp, BoolOp, Call, Compare, IfExp, ListNode, Literal, Node, Path, UnaryOp
from .optypes import OpTypeError, binop, check_truthy, compare_kind, unary
from .parser import Parsed, parse
from .schema import FieldInfo, Schema, TableInfo
from .size import oversized
from .types import (ANY, BOOL, ERROR, LIST, NUMBER, RECORD, TEXT, FormulaType, accepts, money_type,
                    type_of_value, unify)

ME_FIELDS = {"id": NUMBER.with_places(0), "username": TEXT, "name": TEXT, "email": TEXT}


@dataclass(frozen=True)
class Dependency:
    """The formula reads ``table.field``, reached from its own table through ``via``.

    ``via`` lists the link/collection fields walked to get there, as ``(table, field)``
    pairs, starting at the formula's table: ``client.category.discount`` on invoices
    depends on ``("categories", "discount", via=(("invoices", "client"),
    ("clients", "category")))`` as well as on the two link fields themselves.
    """

    table: str
    field: str
    via: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Step:
    name: str
    info: FieldInfo
    table: str           # the table that holds the field


@dataclass(eq=False)
class Binding:
    """An aggregate's collection: ``prefix`` walked from ``scope``; elements of ``target``."""

    index: int
    scope: Any            # "record" or an enclosing Binding
    prefix: tuple[Step, ...]
    target: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class PathRef:
    """A resolved path: start at ``scope`` ("record", "me" or a Binding), walk ``steps``."""

    scope: Any
    steps: tuple[Step, ...]
    me_attr: str | None = None


@dataclass(eq=False)
class CompiledFormula:
    """A checked formula: parse once, evaluate (or compile to SQL) many times."""

    source: str
    tree: Node
    type: FormulaType
    table: str
    field: str | None
    dependencies: frozenset[Dependency]
    parsed: Parsed
    registry: FunctionRegistry
    constants: dict[int, Any] = dc_field(default_factory=dict)
    bindings: int = 0
    can_fail: bool = False
    volatile: bool = False
    uses_me: bool = False
    _program: Any = dc_field(default=None, repr=False)

    def fields(self) -> set[tuple[str, str]]:
        """Every ``(table, field)`` the formula reads, links included."""
        return {(dep.table, dep.field) for dep in self.dependencies}

    def evaluate(self, record, **kwargs):
        from .evaluate import evaluate

        return evaluate(self, record, **kwargs)


def check(
    source: str,
    table: TableInfo,
    schema: Schema,
    field: str | None = None,
    expected: FormulaType | None = None,
    functions: FunctionRegistry | None = None,
) -> CompiledFormula:
    """Check ``source`` as a formula on ``table``; raises :class:`FormulaErrors`."""
    parsed = parse(source, field)
    checker = _Checker(parsed, table, schema, functions or default_registry(), field)
    result = checker.visit(parsed.tree)
    if result.kind in ("LIST", "COLLECTION") and not checker.errors:
        checker.error(E.TYPE, "a collection must be aggregated, e.g. sum(lines.amount) or "
                      "count(lines)", parsed.tree.span)
    if expected is not None and not checker.errors and not accepts(expected, result):
        checker.error(E.TYPE, f"the formula gives {result}, but {expected} is expected",
                      parsed.tree.span)
    if not checker.errors:
        found = oversized(parsed.tree, checker.constants)
        if found is not None:
            checker.error(E.TOO_LARGE, found.message(), found.span)
    if checker.errors:
        raise FormulaErrors(checker.errors)
    return CompiledFormula(
        source=source, tree=parsed.tree, type=result, table=table.name, field=field,
        dependencies=frozenset(checker.deps), parsed=parsed, registry=checker.registry,
        constants=checker.constants, bindings=len(checker.bindings),
        can_fail=checker.can_fail, volatile=checker.volatile, uses_me=checker.uses_me)


def field_type(info: FieldInfo) -> FormulaType:
    """The formula type of a field, with its places and currency."""
    kind = info.type.kind
    if kind == "MONEY":
        return money_type(info.currency or info.type.currency,
                          info.places if info.places is not None else info.type.places)
    if kind == "NUMBER":
        places = info.places if info.places is not None else info.type.places
        return info.type.with_places(places)
    return info.type


def may_fail(node: Node, constants: dict[int, Any]) -> bool:
    """Whether an operator node can raise at run time: ``/ // % **``, except ``/`` and
    ``//`` by a number constant other than 0 (``discount / 100`` cannot fail), and ``%``
    of a number (not of a value of unknown type) by one."""
    if not isinstance(node, BinOp) or node.op not in ("/", "//", "%", "**"):
        return False
    divisor = constants.get(id(node.right))
    if not isinstance(divisor, Decimal) or not divisor.is_finite() or divisor == 0:
        return True
    if node.op == "%":
        left = node.left.type
        return left is None or left.kind not in ("NUMBER", "EMPTY")
    return node.op == "**"


class _AggScope:
    __slots__ = ("binding",)

    def __init__(self):
        self.binding: Binding | None = None


class _Checker:
    def __init__(self, parsed: Parsed, table: TableInfo, schema: Schema,
                 registry: FunctionRegistry, field: str | None):
        self.parsed = parsed
        self.table = table
        self.schema = schema
        self.registry = registry
        self.field = field
        self.errors: list[FormulaError] = []
        self.deps: set[Dependency] = set()
        self.constants: dict[int, Any] = {}
        self.bindings: list[Binding] = []
        self.scopes: list[_AggScope] = []
        self.can_fail = False
        self.volatile = False
        self.uses_me = False

    def error(self, code: str, message: str, span: Span) -> FormulaType:
        self.errors.append(FormulaError(code, message, self.parsed.sources.position(span),
                                        self.field))
        return ERROR

    def visit(self, node: Node) -> FormulaType:
        result = getattr(self, "visit_" + type(node).__name__)(node)
        node.type = result
        return result

    # -- leaves -------------------------------------------------------------------
    def visit_Literal(self, node: Literal) -> FormulaType:
        self.constants[id(node)] = node.value
        return type_of_value(node.value)

    def visit_ListNode(self, node: ListNode) -> FormulaType:
        item = None
        for child in node.items:
            child_type = self.visit(child)
            item = child_type if item is None else (unify(item, child_type) or ANY)
        return LIST(item or ANY)

    def visit_Path(self, node: Path) -> FormulaType:
        if node.parts[0] == "me":
            return self.resolve_me(node)
        table, scope, steps, via = self.table, "record", [], []
        for index, part in enumerate(node.parts):
            span = node.spans[index]
            info = table.field(part)
            if info is None:
                return self.unknown_field(part, table, span, at_root=index == 0)
            self.deps.add(Dependency(table.name, part, tuple(via)))
            step = Step(part, info, table.name)
            kind = info.type.kind
            last = index == len(node.parts) - 1
            if kind in ("RECORD", "COLLECTION"):
                target = self.schema.table(info.target or info.type.table or "")
                if target is None:
                    return self.error(E.UNKNOWN_NAME, f"{part} links to an unknown table "
                                      f"{info.target!r}", span)
                via.append((table.name, part))
                steps.append(step)
                if kind == "COLLECTION":
                    binding = self.bind(node, index, scope, tuple(steps), target.name)
                    if binding is None:
                        return ERROR
                    scope, steps = binding, []
                    if last:
                        node.ref = PathRef(scope, ())
                        return RECORD(target.name)
                elif last:
                    node.ref = PathRef(scope, tuple(steps))
                    return field_type(info)
                table = target
                continue
            steps.append(step)
            if not last:
                return self.error(E.TYPE, f"{part} is not a link, so .{node.parts[index + 1]} "
                                  "cannot be read from it", node.spans[index + 1])
            node.ref = PathRef(scope, tuple(steps))
            return field_type(info)
        return ERROR  # pragma: no cover - the loop always returns

    def resolve_me(self, node: Path) -> FormulaType:
        self.uses_me = self.volatile = True
        if len(node.parts) == 1:          # ``me`` alone is the user's id: owner == me
            node.ref = PathRef("me", (), "id")
            return ME_FIELDS["id"]
        if len(node.parts) > 2:
            return self.error(E.TYPE, "me has no links: use me.<attribute>", node.spans[2])
        node.ref = PathRef("me", (), node.parts[1])
        return ME_FIELDS.get(node.parts[1], ANY)

    def unknown_field(self, name: str, table: TableInfo, span: Span, at_root: bool):
        candidates = list(table.field_names())
        if at_root:
            candidates.append("me")
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
        message = f"unknown field {name!r} in {table.name}"
        if at_root and name in self.registry:
            message = f"{name} is a function: call it as {name}(…)"
        elif close:
            message += " — did you mean " + " or ".join(repr(c) for c in close) + "?"
        return self.error(E.UNKNOWN_NAME, message, span)

    def bind(self, node: Path, index: int, scope, prefix: tuple[Step, ...], target: str):
        names = (id(scope), tuple(step.name for step in prefix))
        for depth, agg in enumerate(reversed(self.scopes)):
            binding = agg.binding
            if binding is not None and (id(binding.scope), binding.names) == names:
                return binding
            if binding is None and depth == 0:
                binding = Binding(len(self.bindings), scope, prefix, target, names[1])
                self.bindings.append(binding)
                agg.binding = binding
                return binding
        span = Span(node.span.start, node.spans[index].end)
        dotted = ".".join(node.parts[: index + 1])
        if self.scopes:
            self.error(E.TYPE, f"{dotted} is a second collection in one aggregate: aggregate "
                       "it separately", span)
        else:
            self.error(E.TYPE, f"{dotted} is a collection: use an aggregate such as "
                       f"sum({dotted}.amount) or count({dotted})", span)
        return None

    # -- operators ----------------------------------------------------------------
    def visit_BinOp(self, node: BinOp) -> FormulaType:
        left, right = self.visit(node.left), self.visit(node.right)
        if ERROR in (left, right):
            return ERROR
        try:
            result = binop(node.op, left, right)
        except OpTypeError as exc:
            return self.error(E.TYPE, str(exc), node.span)
        if may_fail(node, self.constants):
            self.can_fail = True
        self.fold(node, ops.ARITHMETIC[node.op], node.left, node.right)
        return result

    def fold(self, node: Node, operation, *operands: Node) -> None:
        if not all(id(operand) in self.constants for operand in operands):
            return
        try:
            self.constants[id(node)] = operation(*(self.constants[id(o)] for o in operands))
        except FormulaError as exc:
            self.error(exc.code, exc.message, node.span)
        except ArithmeticError as exc:
            self.error(E.RUNTIME, f"invalid arithmetic: {exc.__class__.__name__}", node.span)

    def visit_UnaryOp(self, node: UnaryOp) -> FormulaType:
        operand = self.visit(node.operand)
        if operand == ERROR:
            return ERROR
        try:
            result = unary(node.op, operand)
            if node.op == "not":
                check_truthy(operand, "the operand of not")
        except OpTypeError as exc:
            return self.error(E.TYPE, str(exc), node.span)
        operation = {"-": ops.neg, "+": ops.pos, "not": lambda v: not ops.truthy(v)}[node.op]
        self.fold(node, operation, node.operand)
        return result

    def visit_BoolOp(self, node: BoolOp) -> FormulaType:
        for value in node.values:
            value_type = self.visit(value)
            try:
                check_truthy(value_type, f"each side of {node.op}")
            except OpTypeError as exc:
                self.error(E.TYPE, str(exc), value.span)
        return BOOL

    def visit_Compare(self, node: Compare) -> FormulaType:
        types = [self.visit(operand) for operand in node.operands]
        node.kinds = []
        for index, op in enumerate(node.ops):
            left, right = types[index], types[index + 1]
            if ERROR in (left, right):
                node.kinds.append("ANY")
                continue
            if op in ("in", "not in"):
                if not isinstance(node.operands[index + 1], ListNode):
                    self.error(E.TYPE, f"'{op}' needs a list: x in [\"a\", \"b\"] "
                               "(use contains() for text)", node.operands[index + 1].span)
                    continue
                right = right.item or ANY
                op = "=="
            try:
                node.kinds.append(compare_kind(op, left, right))
            except OpTypeError as exc:
                node.kinds.append("ANY")
                self.error(E.TYPE, str(exc), node.span)
        return BOOL

    def visit_IfExp(self, node: IfExp) -> FormulaType:
        test = self.visit(node.test)
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        try:
            check_truthy(test, "the condition")
        except OpTypeError as exc:
            self.error(E.TYPE, str(exc), node.test.span)
        if ERROR in (body, orelse):
            return ERROR
        result = unify(body, orelse)
        if result is None:
            return self.error(E.TYPE, f"both results must have the same type, not {body} "
                              f"and {orelse}", node.span)
        return result

    # -- calls --------------------------------------------------------------------
    def visit_Call(self, node: Call) -> FormulaType:
        spec = self.registry.find(node.name)
        if spec is None:
            for child in [*node.args, *node.kwargs.values()]:
                self.visit(child)
            close = difflib.get_close_matches(node.name.lower(),
                                              [n.lower() for n in self.registry.names()], n=3)
            names = {n.lower(): n for n in self.registry.names()}
            message = f"unknown function {node.name!r}"
            if close:
                message += " — did you mean " + " or ".join(names[c] for c in close) + "?"
            return self.error(E.UNKNOWN_NAME, message, node.name_span)
        node.spec = spec
        self.can_fail = self.can_fail or spec.can_fail
        self.volatile = self.volatile or spec.volatile
        if spec.kind == "aggregate":
            return self.visit_aggregate(node, spec)
        if not self.check_arity(node, spec):
            return ERROR
        types = [self.visit(arg) for arg in node.args]
        kwtypes = {name: self.visit(value) for name, value in node.kwargs.items()}
        return self.apply_rule(node, spec, types, kwtypes)

    def check_arity(self, node: Call, spec: FunctionSpec) -> bool:
        low, high = spec.arity()
        count = len(node.args)
        ok = True
        if count < low or (high is not None and count > high):
            if high is None:
                expected = f"at least {low}"
            elif low == high:
                expected = str(low)
            else:
                expected = f"{low} to {high}"
            plural = "" if expected == "1" else "s"
            self.error(E.ARGS, f"{spec.name}() takes {expected} argument{plural}, got {count}",
                       node.span)
            ok = False
        keywords = {p.name for p in spec.params if p.keyword}
        for name, value in node.kwargs.items():
            if name not in keywords:
                hint = f" (it accepts {', '.join(sorted(keywords))}=)" if keywords else ""
                self.error(E.ARGS, f"{spec.name}() has no argument {name}={hint}", value.span)
                ok = False
        return ok

    def apply_rule(self, node: Call, spec: FunctionSpec, types, kwtypes) -> FormulaType:
        if ERROR in types or ERROR in kwtypes.values():
            return ERROR
        if not self.check_kinds(node, spec, types, kwtypes):
            return ERROR
        returns = spec.returns
        if not callable(returns):
            return returns
        try:
            return returns(TypeCall(spec, types, kwtypes, node.args, node.kwargs))
        except ArgTypeError as exc:
            target = node.span
            if isinstance(exc.where, int) and exc.where < len(node.args):
                target = node.args[exc.where].span
            elif isinstance(exc.where, str) and exc.where in node.kwargs:
                target = node.kwargs[exc.where].span
            return self.error(E.TYPE, f"{spec.name}(): {exc.message}", target)

    def check_kinds(self, node: Call, spec: FunctionSpec, types, kwtypes) -> bool:
        positional = [p for p in spec.params if not p.keyword]
        ok = True
        for index, arg_type in enumerate(types):
            param = positional[min(index, len(positional) - 1)]
            if not _fits(param.kinds, arg_type):
                ok = False
                self.error(E.TYPE, f"{spec.name}(): {param.name} must be "
                           f"{' or '.join(param.kinds)}, not {arg_type}", node.args[index].span)
        for name, arg_type in kwtypes.items():
            param = next(p for p in spec.params if p.name == name)
            if not _fits(param.kinds, arg_type):
                ok = False
                self.error(E.TYPE, f"{spec.name}(): {name}= must be {' or '.join(param.kinds)}, "
                           f"not {arg_type}", node.kwargs[name].span)
        return ok

    def visit_aggregate(self, node: Call, spec: FunctionSpec) -> FormulaType:
        if not self.check_arity(node, spec):
            return ERROR
        if len(node.args) != 1:
            if "where" in node.kwargs:
                return self.error(E.ARGS, f"{spec.name}(): where= needs a single collection "
                                  "argument", node.kwargs["where"].span)
            types = [self.visit(arg) for arg in node.args]
            return self.apply_rule(node, spec, types, {})
        scope = _AggScope()
        self.scopes.append(scope)
        try:
            value_type = self.visit(node.args[0])
            where = node.kwargs.get("where")
            where_type = self.visit(where) if where is not None else BOOL
        finally:
            self.scopes.pop()
        if scope.binding is None:
            if where is not None:
                return self.error(E.TYPE, f"{spec.name}(): where= needs a collection such as "
                                  "lines.amount", where.span)
            return self.apply_rule(node, spec, [value_type], {})
        node.mode, node.binding = "aggregate", scope.binding
        if ERROR in (value_type, where_type):
            return ERROR
        try:
            check_truthy(where_type, "where=")
        except OpTypeError as exc:
            return self.error(E.TYPE, str(exc), where.span)
        return self.apply_rule(node, spec, [value_type], {})


def _fits(kinds: tuple[str, ...], actual: FormulaType) -> bool:
    if "ANY" in kinds or actual.kind in ("ANY", "EMPTY"):
        return True
    return actual.kind in kinds


__all__ = ["check", "CompiledFormula", "Dependency", "PathRef", "Binding", "Step",
           "field_type", "accepts", "FormulaErrors"]
