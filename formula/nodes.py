"""The expression tree the parser produces and the checker annotates.

It is decoupled from Python's ``ast``: only the constructs the language allows exist
here. Every node keeps its ``span`` in the source. The checker sets ``type`` (a
:class:`~cardfile.formula.types.FormulaType`) on every node and ``ref`` on paths; the
evaluator and the SQL compiler read those annotations and never re-resolve names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Span


@dataclass(eq=False, slots=True)
class Node:
    span: Span
    type: Any = field(default=None, kw_only=True)


@dataclass(eq=False, slots=True)
class Literal(Node):
    """A number (``Decimal``), text, ``True``/``False`` or ``None`` (empty)."""

    value: Any


@dataclass(eq=False, slots=True)
class Path(Node):
    """A name or a dot path: ``total``, ``client.category.discount``, ``me.email``.

    ``spans`` holds one span per part. The checker sets ``ref`` to a resolved
    :class:`~cardfile.formula.checker.PathRef`.
    """

    parts: tuple[str, ...]
    spans: tuple[Span, ...]
    ref: Any = field(default=None, kw_only=True)


@dataclass(eq=False, slots=True)
class Call(Node):
    """A call of a registered function: ``round(x, 2)``, ``sum(lines.amount, where=…)``.

    The checker sets ``spec`` (the FunctionSpec), ``mode`` and, for an aggregate over a
    collection, ``binding`` (the collection whose elements ``args[0]`` and ``where=``
    are evaluated for).
    """

    name: str
    name_span: Span
    args: list[Node]
    kwargs: dict[str, Node]
    spec: Any = field(default=None, kw_only=True)
    mode: str = field(default="scalar", kw_only=True)     # or "aggregate"
    binding: Any = field(default=None, kw_only=True)      # aggregate: the element binding


@dataclass(eq=False, slots=True)
class BinOp(Node):
    """``+ - * / // % **``."""

    op: str
    left: Node
    right: Node


@dataclass(eq=False, slots=True)
class UnaryOp(Node):
    """``-x``, ``+x``, ``not x``."""

    op: str
    operand: Node


@dataclass(eq=False, slots=True)
class BoolOp(Node):
    """``a and b and c`` / ``a or b``: always gives True or False."""

    op: str
    values: list[Node]


@dataclass(eq=False, slots=True)
class Compare(Node):
    """``a < b``, chained ``a < b <= c``: ``ops[i]`` compares operand i with i+1."""

    operands: list[Node]
    ops: list[str]
    kinds: list[str] = field(default_factory=list, kw_only=True)  # static type per comparison


@dataclass(eq=False, slots=True)
class IfExp(Node):
    """``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node


@dataclass(eq=False, slots=True)
class ListNode(Node):
    """``[a, b]``: allowed only as a function argument (``switch``'s pairs, ``in``)."""

    items: list[Node]


def children(node: Node) -> list[Node]:
    """The direct sub-expressions of ``node``, in source order."""
    if isinstance(node, Call):
        return [*node.args, *node.kwargs.values()]
    if isinstance(node, BinOp):
        return [node.left, node.right]
    if isinstance(node, UnaryOp):
        return [node.operand]
    if isinstance(node, BoolOp):
        return list(node.values)
    if isinstance(node, Compare):
        return list(node.operands)
    if isinstance(node, IfExp):
        return [node.test, node.body, node.orelse]
    if isinstance(node, ListNode):
        return list(node.items)
    return []


def walk(node: Node):
    """Every node of the tree, parents before children (iterative)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
