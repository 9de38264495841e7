"""The function registry: every formula function is a :class:`FunctionSpec`.

Built-in functions are registered through exactly the API a plugin uses::

    registry.register(FunctionSpec(name="double", params=(Param("x", NUMERIC),),
                                   returns=NUMBER, impl=lambda x: x * 2,
                                   description="Twice x.", examples=(("double(2)", 4),)),
                      source="my_plugin")

Keys are the lower-cased names, so ``IF`` and ``if`` are the same function. A
duplicate key raises :class:`DuplicateFunctionError` naming both sources; an unknown
key raises :class:`UnknownFunctionError`.

Calling conventions (``FunctionSpec.kind``):

``scalar``     ``impl(*values, **kw_values)``; empties arrive as ``None``.
``lazy``       ``impl(*thunks, **kw_thunks)``: each thunk evaluates its argument on
               demand (``IF``, ``switch``, ``coalesce`` only evaluate what they need).
``aggregate``  ``impl(values)``: the collection projection, already filtered by
               ``where=``; the evaluator handles ``where`` and the collection walk.

With ``context=True`` the first argument is the :class:`EvalContext` (today, now,
me, currency rates). ``returns`` is a FormulaType or a rule
``returns(call: TypeCall) -> FormulaType`` that may raise :class:`ArgTypeError`.
``sql`` compiles a call to SQLAlchemy: ``sql(call: SqlCall, *args) -> ColumnElement``;
without it the function is Python-only and ``to_sql`` raises ``FORMULA_NOT_SQL``.
``sqlite=True`` registers ``impl`` as the SQLite function ``cf_<key>`` (see
:func:`cardfile.formula.to_sql.register_sqlite_functions`), which ``call.cf()`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..types import FormulaType

NUMERIC = ("NUMBER", "MONEY")
ANY_KIND = ("ANY",)


class RegistryError(Exception):
    """A problem with the set of registered functions (a startup error)."""


class DuplicateFunctionError(RegistryError):
    pass


class UnknownFunctionError(RegistryError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown function"


class ArgTypeError(Exception):
    """Raised by a type rule: ``where`` is an argument index or keyword name."""

    def __init__(self, where: int | str | None, message: str):
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Param:
    name: str
    kinds: tuple[str, ...] = ANY_KIND
    optional: bool = False
    variadic: bool = False
    keyword: bool = False          # keyword-only: where=, on=
    default: str | None = None     # shown in the signature

    def describe(self) -> str:
        if self.variadic:
            return f"{self.name}…"
        if self.keyword:
            return f"{self.name}=…"
        if self.optional:
            return f"{self.name}={self.default}" if self.default is not None else f"[{self.name}]"
        return self.name


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    params: tuple[Param, ...]
    returns: FormulaType | Callable[["TypeCall"], FormulaType]
    impl: Callable[..., Any]
    description: str
    examples: tuple[tuple[str, Any], ...] = ()
    sql: Callable[..., Any] | None = None
    category: str = "other"
    kind: str = "scalar"
    context: bool = False
    can_fail: bool = False
    volatile: bool = False
    sqlite: bool = False
    source: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return self.name.lower()

    def signature(self) -> str:
        return f"{self.name}({', '.join(param.describe() for param in self.params)})"

    def arity(self) -> tuple[int, int | None]:
        positional = [p for p in self.params if not p.keyword]
        required = sum(1 for p in positional if not p.optional and not p.variadic)
        if any(p.variadic for p in positional):
            return required, None
        return required, len(positional)


@dataclass
class TypeCall:
    """What a type rule sees: argument types, keyword types and the argument nodes."""

    spec: FunctionSpec
    args: list[FormulaType]
    kwargs: dict[str, FormulaType]
    nodes: list[Any]
    kwnodes: dict[str, Any]

    def literal(self, index: int, default=None):
        """The value of argument ``index`` if it is a literal, else ``default``."""
        from ..nodes import Literal, UnaryOp

        if index >= len(self.nodes):
            return default
        node = self.nodes[index]
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, UnaryOp) and node.op == "-" and isinstance(node.operand, Literal):
            value = node.operand.value
            return -value if value is not None and not isinstance(value, (str, bool)) else default
        return default


class FunctionRegistry:
    """Functions by key. Register built-ins and plugins the same way."""

    def __init__(self):
        self._specs: dict[str, FunctionSpec] = {}

    def register(self, spec: FunctionSpec, source: str | None = None) -> FunctionSpec:
        if source is not None or not spec.source:
            spec = _with_source(spec, source or "unknown")
        existing = self._specs.get(spec.key)
        if existing is not None:
            raise DuplicateFunctionError(
                f"duplicate formula function {spec.name!r}: registered by {existing.source} "
                f"and again by {spec.source}")
        self._specs[spec.key] = spec
        return spec

    def get(self, name: str) -> FunctionSpec:
        spec = self._specs.get(name.lower())
        if spec is None:
            raise UnknownFunctionError(f"unknown formula function: {name!r}")
        return spec

    def find(self, name: str) -> FunctionSpec | None:
        return self._specs.get(name.lower())

    def names(self) -> list[str]:
        return sorted(spec.name for spec in self._specs.values())

    def __iter__(self):
        return iter(sorted(self._specs.values(), key=lambda s: (s.category, s.key)))

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._specs

    def __len__(self) -> int:
        return len(self._specs)


def _with_source(spec: FunctionSpec, source: str) -> FunctionSpec:
    from dataclasses import replace

    return replace(spec, source=source)
