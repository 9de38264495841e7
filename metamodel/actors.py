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
    #: "View as": the administrator previewing (read-only), and the groups previewed
    #: (None: the user's own groups).
    previewed_by: int | None = None
    preview_groups: tuple | None = None

    @property
    def display(self) -> str:
        return self.name or self.username
