"""How long can a text expression get? An upper bound per node, refused past a limit.

A filter such as eight nested ``replace(name, "a", "aaaaaaaaaa")`` is short to write and
builds a text of a hundred million characters per row inside the database. The checker
calls :func:`oversized` on every checked tree (after names and types are known), so a
list's ``where=``, a filter, a pivot and a field formula are all refused with
``FORMULA_TOO_LARGE`` and the position of the innermost part that is too large, before
any SQL runs.

The bound is computed bottom-up, in characters:

=====================  ==============================================================
node                   bound
=====================  ==============================================================
text literal           its length
text field             the field's ``max_length`` when its ``FieldInfo`` has one, else
                       :data:`FIELD_TEXT`
number, date, …        a small constant per type (how long it is written as text)
``a + b`` (text)       bound(a) + bound(b)
``t * n``              bound(t) × n for a constant n; else ``ops.MAX_TEXT`` (the
                       evaluator and SQLite's ``cf_repeat`` refuse longer results)
``concat(…)``          the sum of its arguments
``replace(t, o, n)``   bound(t) / len(o) × bound(n) when ``n`` can be longer than ``o``
                       (``len(o)`` is 1 unless ``o`` is a literal)
``upper``/``lower``    3 × bound (a character's case mapping has at most three)
``left``/``right``…    bound(t), or the constant count when it is smaller
``IF``/``switch``/…    the largest of the arguments
other text functions   their inputs plus ``ops.MAX_TEXT`` (``format``, ``words`` and a
                       plugin's function without a rule here)
=====================  ==============================================================

Any node whose bound passes :data:`MAX_TEXT_SIZE` is refused. The bound is about the
worst case of the data, not the data at hand: ``replace(notes, " ", "  ")`` doubles
the longest possible note.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from . import ops
from .errors import Span
from .nodes import BinOp, Call, IfExp, ListNode, Literal, Node, Path, children

#: The longest text an expression may build at any step, in characters.
MAX_TEXT_SIZE = 10_000_000
#: The assumed length of a text field that does not state its ``max_length``.
FIELD_TEXT = ops.MAX_TEXT
#: How long a value of each other kind can be when written as text.
WRITTEN = {"NUMBER": 100, "MONEY": 110, "DATE": 10, "DATETIME": 40, "BOOL": 5, "EMPTY": 0,
           "RECORD": 100, "COLLECTION": 100, "ERROR": 0}
#: Case mapping (upper/lower) turns one character into at most three.
CASE_GROWTH = 3
#: The module that registers the built-in functions whose sizes are known here.
BUILTIN = "cardfile.formula.functions."


@dataclass(frozen=True)
class Oversize:
    """The innermost node whose text can pass the limit, and its bound."""

    span: Span
    bound: int

    def message(self) -> str:
        return (f"this text can grow to {self.bound:,} characters, more than the "
                f"{MAX_TEXT_SIZE:,} allowed: use fewer nested replace() or repetitions, "
                "or shorter replacement text")


class _TooLarge(Exception):
    def __init__(self, found: Oversize):
        self.found = found


def oversized(tree: Node, constants: dict[int, Any]) -> Oversize | None:
    """The first node (innermost, leftmost) whose text may pass :data:`MAX_TEXT_SIZE`."""
    try:
        _Sizer(constants).size(tree)
    except _TooLarge as exc:
        return exc.found
    return None


class _Sizer:
    def __init__(self, constants: dict[int, Any]):
        self.constants = constants

    def size(self, node: Node) -> int:
        inner = [self.size(child) for child in children(node)]
        bound = self.bound(node, inner)
        if bound > MAX_TEXT_SIZE:
            raise _TooLarge(Oversize(node.span, bound))
        return bound

    def bound(self, node: Node, inner: list[int]) -> int:
        kind = node.type.kind if node.type is not None else "ANY"
        if kind not in ("TEXT", "ANY", "LIST"):
            return WRITTEN.get(kind, FIELD_TEXT)
        if isinstance(node, Literal):
            return len(node.value) if isinstance(node.value, str) else len(str(node.value))
        if isinstance(node, Path):
            return field_text(node)
        if isinstance(node, BinOp):
            return self.binop(node, inner)
        if isinstance(node, Call):
            return self.call(node, inner)
        if isinstance(node, (IfExp, ListNode)):
            return max(inner, default=0) if isinstance(node, ListNode) else max(inner[1:])
        return max(inner, default=FIELD_TEXT)

    def constant(self, node: Node) -> int | None:
        value = self.constants.get(id(node))
        if isinstance(value, Decimal) and value.is_finite():
            return max(int(value), 0)
        return None

    def binop(self, node: BinOp, inner: list[int]) -> int:
        left, right = inner
        if node.op == "+":
            return left + right
        if node.op == "*":
            text_left = node.left.type is not None and node.left.type.kind == "TEXT"
            text, count_node = (left, node.right) if text_left else (right, node.left)
            count = self.constant(count_node)
            return ops.MAX_TEXT if count is None else text * count
        return WRITTEN["NUMBER"]

    def call(self, node: Call, inner: list[int]) -> int:
        spec = node.spec
        rule = RULES.get(spec.key) if spec is not None and spec.source.startswith(BUILTIN) \
            else None
        if rule is None:
            return sum(inner) + ops.MAX_TEXT
        return rule(self, node, inner)


def field_text(node: Path) -> int:
    """The longest text a path can read: the field's ``max_length`` or :data:`FIELD_TEXT`."""
    ref = node.ref
    if ref is None or not ref.steps:
        return FIELD_TEXT
    limit = getattr(ref.steps[-1].info, "max_length", None)
    return limit if isinstance(limit, int) and limit >= 0 else FIELD_TEXT


def _replace(sizer: _Sizer, node: Call, inner: list[int]) -> int:
    text, _, new = inner
    old = node.args[1]
    step = len(old.value) if isinstance(old, Literal) and isinstance(old.value, str) else 1
    if step == 0 or new <= step:
        return text
    return (text // step) * new + text % step


def _cut(count_at: int):
    def rule(sizer: _Sizer, node: Call, inner: list[int]) -> int:
        count = sizer.constant(node.args[count_at]) if len(node.args) > count_at else None
        return inner[0] if count is None else min(inner[0], count)
    return rule


def _largest(sizer: _Sizer, node: Call, inner: list[int]) -> int:
    return max(inner, default=0)


RULES: dict[str, Callable[[_Sizer, Call, list[int]], int]] = {
    "upper": lambda sizer, node, inner: CASE_GROWTH * inner[0],
    "lower": lambda sizer, node, inner: CASE_GROWTH * inner[0],
    "trim": lambda sizer, node, inner: inner[0],
    "left": _cut(1),
    "right": _cut(1),
    "mid": _cut(2),
    "replace": _replace,
    "concat": lambda sizer, node, inner: sum(inner),
    "if": lambda sizer, node, inner: max(inner[1:], default=0),
    "switch": _largest,
    "coalesce": _largest,
    "min": _largest,
    "max": _largest,
}
