"""A keyed registry of field types that fails fast on unknown and duplicate keys."""

from __future__ import annotations

from typing import Iterable

from ..errors import CardfileError
from .base import FieldType


class UnknownFieldType(CardfileError):
    code = "UNKNOWN_FIELD_TYPE"


class DuplicateFieldType(CardfileError):
    code = "DUPLICATE_FIELD_TYPE"


class FieldTypeRegistry:
    def __init__(self):
        self._types: dict[str, FieldType] = {}
        self._sources: dict[str, str] = {}

    def register(self, field_type: type[FieldType] | FieldType, source: str = "cardfile") -> None:
        instance = field_type() if isinstance(field_type, type) else field_type
        key = instance.key
        if not key:
            raise DuplicateFieldType(f"Field type {instance!r} from {source} has no key.")
        if key in self._types:
            raise DuplicateFieldType(
                f"Duplicate field type {key!r}: registered by {self._sources[key]} and by {source}.",
                {"key": key, "sources": [self._sources[key], source]},
            )
        self._types[key] = instance
        self._sources[key] = source

    def register_all(self, types: Iterable, source: str = "cardfile") -> None:
        for t in types:
            self.register(t, source)

    def get(self, key: str) -> FieldType:
        try:
            return self._types[key]
        except KeyError:
            raise UnknownFieldType(
                f"Unknown field type {key!r}. Known types: {', '.join(sorted(self._types))}.",
                {"type": key, "known": sorted(self._types)},
            ) from None

    def __contains__(self, key: str) -> bool:
        return key in self._types

    def all(self) -> list[FieldType]:
        return list(self._types.values())

    def keys(self) -> list[str]:
        return list(self._types)


def default_registry() -> FieldTypeRegistry:
    """A registry with the built-in types (the platform adds plugin types on top)."""
    from .builtin import BUILTIN_TYPES

    registry = FieldTypeRegistry()
    registry.register_all(BUILTIN_TYPES, source="cardfile.builtin")
    return registry
