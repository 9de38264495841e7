"""The formula function library, by category, and its registry.

``registry.py`` defines :class:`FunctionSpec` and :class:`FunctionRegistry`. Each
category module (``numbers``, ``logic``, ``text``, ``dates``, ``aggregates``,
``money``) registers its functions through ``register(registry)``: the same public
call a plugin makes. :func:`default_registry` holds the built-ins;
:func:`new_registry` gives a fresh registry with the built-ins, for adding plugin
functions.
"""

from __future__ import annotations

from functools import cache

from . import aggregates, dates, logic, money, numbers, text
from .registry import (ArgTypeError, DuplicateFunctionError, FunctionRegistry, FunctionSpec,
                       Param, RegistryError, TypeCall, UnknownFunctionError)

BUILTIN_MODULES = (numbers, logic, text, dates, aggregates, money)


def new_registry() -> FunctionRegistry:
    """A new registry holding the built-in functions."""
    registry = FunctionRegistry()
    for module in BUILTIN_MODULES:
        module.register(registry)
    return registry


@cache
def default_registry() -> FunctionRegistry:
    """The shared registry of built-in functions (do not register into it)."""
    return new_registry()


__all__ = ["ArgTypeError", "DuplicateFunctionError", "FunctionRegistry", "FunctionSpec",
           "Param", "RegistryError", "TypeCall", "UnknownFunctionError", "default_registry",
           "new_registry"]
