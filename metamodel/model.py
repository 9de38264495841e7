"""Metadata as plain dataclasses: what a table and a field are, independent of storage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field as dc_field
from functools import cached_property
from typing import Any


@dataclass
class FieldDef:
    id: int
    table_id: int
    api_name: str
    label: str
    type: str
    options: dict[str, Any] = dc_field(default_factory=dict)
    position: int = 0
    created_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None

    def opt(self, name: str, default: Any = None) -> Any:
        value = self.options.get(name)
        return default if value is None else value


@dataclass
class TableDef:
    id: int
    api_name: str
    label: str
    display_field_id: int | None = None
    parent_field_id: int | None = None
    section: str | None = None
    position: int = 0
    options: dict[str, Any] = dc_field(default_factory=dict)
    created_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    all_fields: list[FieldDef] = dc_field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.deleted_at is None

    @property
    def is_child(self) -> bool:
        return self.parent_field_id is not None

    @cached_property
    def fields(self) -> list[FieldDef]:
        """Live fields in their order (a snapshot's tables are not changed once loaded)."""
        return [f for f in self.all_fields if f.live]

    @cached_property
    def _live_by_name(self) -> dict[str, FieldDef]:
        return {f.api_name: f for f in self.fields}

    @property
    def trashed_fields(self) -> list[FieldDef]:
        return [f for f in self.all_fields if not f.live]

    def field(self, api_name: str) -> FieldDef | None:
        return self._live_by_name.get(api_name)

    def field_by_id(self, field_id: int) -> FieldDef | None:
        for f in self.all_fields:
            if f.id == field_id:
                return f
        return None

    @property
    def display_field(self) -> FieldDef | None:
        f = self.field_by_id(self.display_field_id) if self.display_field_id else None
        if f is not None and f.live:
            return f
        return self.fields[0] if self.fields else None
