"""Checks every request input gets before it reaches a service.

PostgreSQL cannot store the NUL character in text, and no label, value or search needs
it, so any NUL in a query string, form or JSON body is refused as bad input up front.
"""

from __future__ import annotations

from typing import Any

from cardfile.metamodel.errors import BadQuery

MAX_DEPTH = 64


def contains_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return any(contains_nul(k, depth + 1) or contains_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v, depth + 1) for v in value)
    return False


def check_params(*multidicts) -> None:
    """Refuse query-string or form values that contain NUL (400 BAD_QUERY)."""
    for params in multidicts:
        for key, value in params.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise BadQuery(f"Parameter {key.replace(chr(0), '')!r} contains a NUL character.",
                               {"parameter": key.replace("\x00", "")})
