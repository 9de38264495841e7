"""Who acts: every record-service and schema-service call names its actor explicitly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    name: str = ""
    is_admin: bool = False
    is_active: bool = True

    @property
    def display(self) -> str:
        return self.name or self.username
