"""Access checks, asked first by every service method.

The foundation rule: an active user may read and write records; only administrators
change the schema, manage users, or act on another user's behalf. Groups, per-table
permissions, row scopes and field rules extend this class.
"""

from __future__ import annotations

from .actors import Actor
from .errors import AccessDenied, AuthenticationFailed
from .model import TableDef

RECORD_ACTIONS = ("read", "create", "update", "delete", "export", "print")


class Access:
    def require_active(self, actor: Actor | None) -> Actor:
        if actor is None or not actor.is_active:
            raise AuthenticationFailed("Sign in first.")
        return actor

    def check_table(self, actor: Actor | None, table: TableDef, action: str) -> None:
        actor = self.require_active(actor)
        if action == "design" and not actor.is_admin:
            raise AccessDenied(f"You may not change the design of {table.label!r}.",
                               {"table": table.api_name, "action": action})

    def row_clause(self, actor: Actor, table: TableDef, sql_table):
        """An extra WHERE clause limiting the rows ``actor`` may read (None: all rows).

        Every read path of the record service (lists, cards, counts, aggregates, exports,
        link pickers) adds it, so a row scope is enforced in one place.
        """
        return None

    def readable_fields(self, actor: Actor, table: TableDef) -> list:
        """The live fields ``actor`` may see; hidden fields never leave the service."""
        return table.fields

    def check_design(self, actor: Actor | None) -> None:
        actor = self.require_active(actor)
        if not actor.is_admin:
            raise AccessDenied("Only administrators may change tables and fields.", {"action": "design"})

    def check_admin(self, actor: Actor | None) -> None:
        actor = self.require_active(actor)
        if not actor.is_admin:
            raise AccessDenied("Only administrators may do this.", {"action": "admin"})
