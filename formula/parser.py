"""Text -> expression tree, under simpleeval's rules and with hard limits.

The source is parsed with Python's own ``ast`` module in ``eval`` mode (so only an
expression can ever come out), and the result is translated into the small tree of
:mod:`cardfile.formula.nodes`. Anything the language does not allow is reported with
its position: imports, lambdas, comprehensions, ``:=``, subscripts, f-strings,
starred arguments, names starting with ``_`` (which covers every dunder), attribute
access on anything but a record path, calls of anything but a plain function name.

Limits are checked before and after ``ast.parse``: the source length and the bracket
depth are scanned in plain Python first, so ``((((…))))`` ten thousand deep is refused
in microseconds, without the C parser or a recursion; the tree depth is then measured
iteratively before any recursive walk.

``=`` is not comparison. ``status = "paid"`` is a syntax error whose message says
"use == to compare" and whose position is the ``=``; ``=`` is only valid for keyword
arguments such as ``sum(lines.amount, where=lines.vat > 0)``.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from decimal import Decimal

from . import errors as E
from .errors import FormulaError, FormulaErrors, SourceMap, Span
from .nodes import BinOp, BoolOp, Call, Compare, IfExp, ListNode, Literal, Node, Path, UnaryOp

MAX_LENGTH = 4000          # characters in an expression
MAX_DEPTH = 100            # nesting of brackets and of the expression tree
MAX_LITERAL = 1000         # characters in one text literal
MAX_LIST = 100             # items in one list literal

BIN_OPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
    ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
}
CMP_OPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}
BAD_OPS = {
    ast.BitXor: "^ is not supported: use ** for powers",
    ast.BitAnd: "& is not supported: use and",
    ast.BitOr: "| is not supported: use or",
    ast.MatMult: "@ is not supported",
    ast.LShift: "<< is not supported",
    ast.RShift: ">> is not supported",
    ast.Invert: "~ is not supported: use not",
    ast.Is: "'is' is not supported: use == or is_empty(x)",
    ast.IsNot: "'is not' is not supported: use != or not is_empty(x)",
}
UNSAFE_NODES = {
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Subscript: "indexing with [ ] is not allowed",
    ast.Slice: "slices are not allowed",
    ast.JoinedStr: "f-strings are not allowed: use concat() or format()",
    ast.FormattedValue: "f-strings are not allowed: use concat() or format()",
    ast.Starred: "* arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.Tuple: "tuples are not allowed: separate arguments with commas inside a call",
}


@dataclass(frozen=True)
class Parsed:
    """A parsed expression: the tree plus the map from offsets to lines/columns."""

    source: str
    tree: Node
    sources: SourceMap


def parse(source: str, field: str | None = None) -> Parsed:
    """Parse ``source``; raises :class:`FormulaErrors` listing everything wrong."""
    if not isinstance(source, str):
        raise FormulaError(E.SYNTAX, "a formula must be text", None, field)
    sources = SourceMap(source)
    _check_size(source, sources, field)
    if not source.strip():
        raise FormulaErrors([FormulaError(E.SYNTAX, "the formula is empty",
                                          sources.position(Span(0, len(source))), field)])
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise FormulaErrors([_syntax_error(exc, source, sources, field)]) from None
    except (MemoryError, RecursionError):
        raise FormulaErrors([FormulaError(E.LIMIT, "the formula is nested too deeply",
                                          sources.position(Span(0, len(source))), field)]) from None
    _check_depth(tree.body, sources, field)
    builder = _Builder(source, sources, field)
    node = builder.build(tree.body)
    if builder.errors:
        raise FormulaErrors(builder.errors)
    return Parsed(source, node, sources)


def _check_size(source: str, sources: SourceMap, field: str | None) -> None:
    if len(source) > MAX_LENGTH:
        raise FormulaErrors([FormulaError(
            E.LIMIT, f"the formula is longer than {MAX_LENGTH} characters",
            sources.position(Span(MAX_LENGTH, len(source))), field)])
    depth = 0
    quote = None
    for index, char in enumerate(source):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaErrors([FormulaError(
                    E.LIMIT, f"brackets are nested deeper than {MAX_DEPTH} levels",
                    sources.position(Span(index, index + 1)), field)])
        elif char in ")]}":
            depth -= 1


def _check_depth(root: ast.AST, sources: SourceMap, field: str | None) -> None:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            span = _ast_span(node, sources)
            raise FormulaErrors([FormulaError(
                E.LIMIT, f"the formula is nested deeper than {MAX_DEPTH} levels",
                sources.position(span), field)])
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _ast_span(node: ast.AST, sources: SourceMap) -> Span:
    start = sources.offset(node.lineno, node.col_offset)
    end = sources.offset(node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)
    return Span(start, max(end, start))


def _syntax_error(exc: SyntaxError, source: str, sources: SourceMap, field) -> FormulaError:
    hint = _misplaced_equals(source)
    if hint is not None:
        return FormulaError(E.SYNTAX, "use == to compare ('=' only names an argument, "
                            "as in where=…)", sources.position(hint), field)
    end = _missing_at_end(exc, source, sources)
    if end is not None:  # Python reports the end of the text as offset 0: name the last token
        last = source[end.start:end.end]
        return FormulaError(E.SYNTAX, f"the formula ends too early: something is missing after {last!r}",
                            sources.position(end), field)
    offset = _char_offset_from_text(sources, exc.lineno or 1, exc.offset or 1)
    offset = min(offset, max(len(source) - 1, 0))
    message = (exc.msg or "invalid syntax").split(". Maybe")[0]
    if re.search(r"(^|[^\w.])if\s*\(", source):
        message = "'if' is a keyword: write IF(condition, then, otherwise) in capitals, " \
                  "or: then if condition else otherwise"
    elif "<>" in source:
        message = "use != for 'not equal'"
    elif "&&" in source or "||" in source:
        message = "use 'and' / 'or' to combine conditions"
    return FormulaError(E.SYNTAX, message, sources.position(Span(offset, min(offset + 1, len(source)))),
                        field)


def _missing_at_end(exc: SyntaxError, source: str, sources: SourceMap) -> Span | None:
    """The span of the last token when the syntax error lies past the end of the text (an
    operand missing after ``+``, ``and``, ``else``…); None when it lies inside the text."""
    if (exc.msg or "invalid syntax") != "invalid syntax":
        return None
    content_end = len(source.rstrip())
    if exc.offset:
        offset = _char_offset_from_text(sources, exc.lineno or 1, exc.offset)
        if offset < content_end:
            return None
    last = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT,
                                  tokenize.INDENT, tokenize.DEDENT) and token.string.strip():
                last = token
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    if last is None:
        return None
    start = sources.offset(last.start[0], 0) + last.start[1]
    return Span(start, min(start + len(last.string), content_end))


def _char_offset_from_text(sources: SourceMap, lineno: int, offset: int) -> int:
    # SyntaxError.offset is 1-based and counts characters of exc.text.
    line_start = sources.offset(lineno, 0)
    return line_start + max(offset - 1, 0)


def _misplaced_equals(source: str) -> Span | None:
    """The span of a ``=`` meant as a comparison, if there is one.

    A ``=`` whose replacement by ``==`` makes the formula parse is the culprit;
    failing that, the first ``=`` that cannot be a keyword argument.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    sources = SourceMap(source)
    candidates: list[tuple[Span, bool]] = []
    brackets: list[bool] = []   # True for a call's parenthesis
    previous: list[tokenize.TokenInfo] = []
    for token in tokens:
        if token.type == tokenize.OP:
            if token.string in "([{":
                brackets.append(token.string == "(" and bool(previous) and (
                    previous[-1].type == tokenize.NAME or previous[-1].string == ")"))
            elif token.string in ")]}":
                if brackets:
                    brackets.pop()
            elif token.string == "=":
                keyword = bool(brackets and brackets[-1] and len(previous) >= 2
                               and previous[-1].type == tokenize.NAME
                               and previous[-2].string in ("(", ","))
                start = sources.offset(token.start[0], 0) + token.start[1]
                candidates.append((Span(start, start + 1), keyword))
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous.append(token)
    for span, _keyword in candidates:
        fixed = source[:span.start] + "==" + source[span.end:]
        try:
            ast.parse(fixed, mode="eval")
        except (SyntaxError, MemoryError, RecursionError):
            continue
        return span
    for span, keyword in candidates:
        if not keyword:
            return span
    return None


class _Builder:
    """Translates an ``ast`` expression into nodes, collecting every error."""

    def __init__(self, source: str, sources: SourceMap, field: str | None):
        self.source = source
        self.sources = sources
        self.field = field
        self.errors: list[FormulaError] = []

    def span(self, node: ast.AST) -> Span:
        return _ast_span(node, self.sources)

    def fail(self, code: str, message: str, span: Span) -> Node:
        self.errors.append(FormulaError(code, message, self.sources.position(span), self.field))
        return Literal(span, None)

    def build(self, node: ast.AST, allow_list: bool = False) -> Node:
        span = self.span(node)
        kind = type(node)
        if kind in UNSAFE_NODES:
            return self.fail(E.UNSAFE, UNSAFE_NODES[kind], span)
        method = getattr(self, "build_" + kind.__name__, None)
        if method is None:
            return self.fail(E.SYNTAX, f"{kind.__name__} is not supported in formulas", span)
        if kind is ast.List:
            return method(node, span, allow_list)
        return method(node, span)

    def build_Constant(self, node: ast.Constant, span: Span) -> Node:
        value = node.value
        if value is None or isinstance(value, bool):
            return Literal(span, value)
        if isinstance(value, str):
            if len(value) > MAX_LITERAL:
                return self.fail(E.LIMIT, f"text is longer than {MAX_LITERAL} characters", span)
            return Literal(span, value)
        if isinstance(value, int):
            return Literal(span, Decimal(value))
        if isinstance(value, float):
            text = self.source[span.start:span.end].replace("_", "")
            return Literal(span, Decimal(text))
        return self.fail(E.SYNTAX, f"{type(value).__name__} values are not supported", span)

    def check_name(self, name: str, span: Span) -> bool:
        if name.startswith("_"):
            self.fail(E.UNSAFE, f"names starting with '_' are not allowed: {name}", span)
            return False
        return True

    def build_Name(self, node: ast.Name, span: Span) -> Node:
        self.check_name(node.id, span)
        return Path(span, (node.id,), (span,))

    def build_Attribute(self, node: ast.Attribute, span: Span) -> Node:
        parts: list[str] = []
        spans: list[Span] = []
        current: ast.AST = node
        while isinstance(current, ast.Attribute):
            attr_end = self.span(current).end
            parts.append(current.attr)
            spans.append(Span(attr_end - len(current.attr), attr_end))
            current = current.value
        if not isinstance(current, ast.Name):
            return self.fail(E.UNSAFE, "attributes are only allowed on record paths such as "
                             "client.category.discount", span)
        parts.append(current.id)
        spans.append(self.span(current))
        ok = all([self.check_name(part, part_span) for part, part_span in zip(parts, spans)])
        if not ok:
            return Literal(span, None)
        return Path(span, tuple(reversed(parts)), tuple(reversed(spans)))

    def build_Call(self, node: ast.Call, span: Span) -> Node:
        if not isinstance(node.func, ast.Name):
            return self.fail(E.UNSAFE, "only functions can be called, by name: round(x, 2)",
                             self.span(node.func))
        name_span = self.span(node.func)
        if not self.check_name(node.func.id, name_span):
            return Literal(span, None)
        args = [self.build(arg, allow_list=True) for arg in node.args]
        kwargs: dict[str, Node] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                return self.fail(E.UNSAFE, "** arguments are not allowed", self.span(keyword))
            kwargs[keyword.arg] = self.build(keyword.value, allow_list=True)
        return Call(span, node.func.id, name_span, args, kwargs)

    def build_BinOp(self, node: ast.BinOp, span: Span) -> Node:
        op = BIN_OPS.get(type(node.op))
        if op is None:
            return self.fail(E.SYNTAX, BAD_OPS.get(type(node.op), "operator not supported"), span)
        return BinOp(span, op, self.build(node.left), self.build(node.right))

    def build_UnaryOp(self, node: ast.UnaryOp, span: Span) -> Node:
        ops = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
        op = ops.get(type(node.op))
        if op is None:
            return self.fail(E.SYNTAX, BAD_OPS.get(type(node.op), "operator not supported"), span)
        return UnaryOp(span, op, self.build(node.operand))

    def build_BoolOp(self, node: ast.BoolOp, span: Span) -> Node:
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(span, op, [self.build(value) for value in node.values])

    def build_Compare(self, node: ast.Compare, span: Span) -> Node:
        ops = []
        for op in node.ops:
            name = CMP_OPS.get(type(op))
            if name is None:
                return self.fail(E.SYNTAX, BAD_OPS.get(type(op), "comparison not supported"), span)
            ops.append(name)
        operands = [self.build(node.left)]
        for op, comparator in zip(ops, node.comparators):
            operands.append(self.build(comparator, allow_list=op in ("in", "not in")))
        return Compare(span, operands, ops)

    def build_IfExp(self, node: ast.IfExp, span: Span) -> Node:
        return IfExp(span, self.build(node.test), self.build(node.body), self.build(node.orelse))

    def build_List(self, node: ast.List, span: Span, allow_list: bool) -> Node:
        if not allow_list:
            return self.fail(E.SYNTAX, "a list [ ] is only allowed as a function argument "
                             "or after 'in'", span)
        if len(node.elts) > MAX_LIST:
            return self.fail(E.LIMIT, f"a list may hold at most {MAX_LIST} items", span)
        return ListNode(span, [self.build(item) for item in node.elts])
