"""Permissions: what a group may do on a table, and one user's policy (the union of their groups).

    Grant       one group's permission on one table: actions, row scope, field modes
    Policy      everything one user (or a previewed group) may do, loaded in one go
    load_policy read memberships, groups and grants for a user from the ``cf_`` tables
    check_rule  validate a permission definition against the catalog (a condition that does
                not check is refused with its position)
    compile_scope  a grant's row scope as an SQL condition over a user table

How several groups combine (a **union**; see docs/access.md):

* an action is allowed on a table when any of the user's groups grants it;
* a row is in reach of an action when it is in the row scope of any group granting that
  action (``all`` in one group means every row);
* a field is hidden only when every group granting read hides it; it is writable when some
  group granting the write action neither hides it nor makes it read-only;
* a group with ``is_admin`` (and a user with ``is_admin``) may do everything;
* a group without grants may do nothing.

Line-item tables follow their parent table's grants; their fields' modes are stored in the
parent's grant (field ids are unique across tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import false, or_, select

from ..formula import errors as E
from ..formula.checker import check
from ..formula.errors import FormulaError
from ..formula.to_sql import to_sql
from ..formula.types import BOOL, accepts
from .catalog import Snapshot
from .errors import InvalidDefinition
from .fieldtypes.registry import FieldTypeRegistry
from .formulas.bridge import FormulaSchema
from .formulas.compiled import errors_of
from .formulas.filters import PerDialect
from .formulas.hooks import CHECK_DIALECT, FormulaDefinitionError
from .model import TableDef
from .storage.platform_tables import (cf_group_members, cf_groups, cf_permissions, cf_users)

ACTIONS = ("read", "create", "update", "delete", "export", "print", "design", "mail", "purge")
READ_ACTIONS = ("read", "export", "print")
SCOPES = ("all", "own", "group", "condition")
FIELD_MODES = ("hidden", "read_only")
MAX_CONDITION = 2000
#: ``table_id`` of a grant on every table (``"*"`` in the API and packages), new ones included.
ALL_TABLES = 0


@dataclass(frozen=True)
class Grant:
    group_id: int
    table_id: int
    actions: frozenset
    scope: str = "all"
    condition: str | None = None
    fields: Mapping[int, str] = None  # field id -> "hidden" | "read_only"

    def mode(self, field_id: int) -> str | None:
        return (self.fields or {}).get(field_id)


@dataclass(frozen=True)
class Policy:
    user_id: int
    active: bool
    admin: bool
    groups: tuple
    grants: Mapping[int, tuple]          # table id -> grants of the user's groups
    sections: frozenset | None           # visible menu sections; None: all
    me: Mapping[str, Any]                # what formulas read as ``me``

    def granting(self, table_id: int, action: str) -> list[Grant]:
        """Grants of ``action`` on the table. A group's grant on every table (``*``) counts
        for the tables where that group has no grant of its own."""
        own = self.grants.get(table_id, ())
        specific = {g.group_id for g in own}
        found = own + tuple(g for g in self.grants.get(ALL_TABLES, ()) if g.group_id not in specific)
        return [g for g in found if action in g.actions]

    def allows(self, table_id: int, action: str) -> bool:
        return self.admin or bool(self.granting(table_id, action))


def load_policy(conn, user_id: int, as_groups: tuple | None = None) -> Policy:
    """The policy of ``user_id``; with ``as_groups``, of those groups only (a preview)."""
    user = conn.execute(select(cf_users).where(cf_users.c.id == user_id)).mappings().first()
    if as_groups is None:
        group_ids = tuple(conn.execute(select(cf_group_members.c.group_id)
                                       .where(cf_group_members.c.user_id == user_id)
                                       .order_by(cf_group_members.c.group_id)).scalars())
    else:
        group_ids = tuple(as_groups)
    groups = conn.execute(select(cf_groups).where(cf_groups.c.id.in_(group_ids))).mappings().all() \
        if group_ids else []
    admin = any(g["is_admin"] for g in groups)
    if as_groups is None and user is not None:
        admin = admin or bool(user["is_admin"])
    sections: set | None = set()
    for g in groups:
        if g["sections"] is None:
            sections = None
            break
        sections.update(g["sections"])
    grants: dict[int, list[Grant]] = {}
    if group_ids:
        for row in conn.execute(select(cf_permissions).where(cf_permissions.c.group_id.in_(group_ids))
                                .order_by(cf_permissions.c.id)).mappings():
            grants.setdefault(row["table_id"], []).append(grant_of(row))
    me: dict[str, Any] = {}
    if user is not None:
        me.update({k: v for k, v in (user["attributes"] or {}).items() if isinstance(k, str)})
        me.update(id=user["id"], username=user["username"], name=user["name"] or "",
                  email=user["email"] or "")
    return Policy(user_id=user_id, active=bool(user is not None and user["is_active"]), admin=admin,
                  groups=group_ids, grants={k: tuple(v) for k, v in grants.items()},
                  sections=None if sections is None else frozenset(sections), me=me)


def grant_of(row) -> Grant:
    return Grant(group_id=row["group_id"], table_id=row["table_id"],
                 actions=frozenset(a for a in row["actions"] if a in ACTIONS),
                 scope=row["row_scope"], condition=row["condition"],
                 fields={int(k): v for k, v in (row["fields"] or {}).items()})


# --- checking a definition ---------------------------------------------------------------
def check_rule(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef | None, spec: dict) -> dict:
    """A permission definition (API/package shape) as stored values, or InvalidDefinition.

    ``spec``: ``actions`` (list), ``rows`` ("all", "own", "group" or ``{"condition": …}``),
    ``fields`` ({field or line-item field api name: "hidden" | "read_only"}). ``table`` None
    is a rule on every table: no condition, no fields.
    """
    if not isinstance(spec, dict):
        raise InvalidDefinition("A permission is an object with actions, rows and fields.", {})
    unknown = set(spec) - {"actions", "rows", "fields", "table", "group"}
    if unknown:
        raise InvalidDefinition(f"Unknown permission key(s): {', '.join(sorted(unknown))}.",
                                {"keys": sorted(unknown)})
    actions = spec.get("actions", [])
    if not isinstance(actions, list) or any(a not in ACTIONS for a in actions):
        raise InvalidDefinition(f"actions is a list of: {', '.join(ACTIONS)}.",
                                {"field": "actions", "allowed": list(ACTIONS)})
    rows = spec.get("rows", "all")
    condition = None
    if isinstance(rows, dict) and set(rows) == {"condition"} and isinstance(rows["condition"], str):
        if table is None:
            raise InvalidDefinition("A rule on every table (*) cannot have a row condition; "
                                    "give the condition on each table.", {"field": "rows"})
        scope, condition = "condition", rows["condition"].strip()
        check_condition(snap, registry, table, condition)
    elif rows in ("all", "own", "group"):
        scope = rows
    else:
        raise InvalidDefinition('rows is "all", "own", "group" or {"condition": "<expression>"}.',
                                {"field": "rows"})
    return {"actions": [a for a in ACTIONS if a in actions], "row_scope": scope,
            "condition": condition, "fields": _field_modes(snap, table, spec.get("fields") or {})}


def _field_modes(snap: Snapshot, table: TableDef, modes) -> dict:
    if not isinstance(modes, dict):
        raise InvalidDefinition("fields maps field names to \"hidden\" or \"read_only\".", {"field": "fields"})
    if table is None:
        if modes:
            raise InvalidDefinition("A rule on every table (*) cannot name fields.", {"field": "fields"})
        return {}
    known = {f.api_name: f for f in table.fields}
    for f in table.fields:
        if f.type == "lines":
            known.update({f"{f.api_name}.{c.api_name}": c for c in snap.child_table(f).fields})
    result = {}
    for name, mode in modes.items():
        if name not in known:
            raise InvalidDefinition(f"Table {table.api_name!r} has no field {name!r}.",
                                    {"table": table.api_name, "field": name})
        if mode not in FIELD_MODES:
            raise InvalidDefinition(f"Field {name!r}: the mode is \"hidden\" or \"read_only\", not {mode!r}.",
                                    {"field": name, "allowed": list(FIELD_MODES)})
        result[str(known[name].id)] = mode
    return result


def check_condition(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, source: str) -> None:
    """A row condition must check, give yes/no and compile to SQL; errors carry the position."""
    schema = FormulaSchema(snap, registry, CHECK_DIALECT)
    try:
        if not source:
            raise FormulaError(E.SYNTAX, "the row condition is empty")
        if len(source) > MAX_CONDITION:
            raise FormulaError(E.LIMIT, f"a row condition has at most {MAX_CONDITION} characters")
        compiled = check(source, schema.view(table), schema, expected=None)
        if not accepts(BOOL, compiled.type) and compiled.type.kind != "BOOL":
            raise FormulaError(E.TYPE, f"a row condition must give yes or no, not {compiled.type}",
                               compiled.parsed.sources.position(compiled.tree.span))
        to_sql(compiled, schema.view(table).sql_table(), schema, CHECK_DIALECT,
               me={"id": 0, "username": "", "name": "", "email": ""})
    except FormulaError as exc:
        raise FormulaDefinitionError(errors_of(exc), "The row condition", source) from None


def describe_grant(snap: Snapshot, table: TableDef | None, row) -> dict:
    """A stored permission in the API/package shape (field ids back to names)."""
    names = {}
    for f in (table.all_fields if table is not None else []):
        names[f.id] = f.api_name
        if f.type == "lines" and f.live:
            names.update({c.id: f"{f.api_name}.{c.api_name}" for c in snap.child_table(f).all_fields})
    rows = {"condition": row["condition"]} if row["row_scope"] == "condition" else row["row_scope"]
    fields = {names[int(k)]: v for k, v in (row["fields"] or {}).items() if int(k) in names}
    return {"table": table.api_name if table is not None else "*", "actions": list(row["actions"]),
            "rows": rows, "fields": fields}


# --- row scopes as SQL -----------------------------------------------------------------
def compile_scope(snap: Snapshot, registry: FieldTypeRegistry, policy: Policy, grant: Grant,
                  table: TableDef, sql):
    """The rows of ``table`` (the grant's table) in ``grant``'s scope, or None for all rows."""
    if grant.scope == "all":
        return None
    if grant.scope == "own":
        return sql.c.owner == policy.user_id
    if grant.scope == "group":
        if not policy.groups:
            return false()
        members = select(cf_group_members.c.user_id).where(cf_group_members.c.group_id.in_(policy.groups))
        return sql.c.owner.in_(members)
    return condition_clause(snap, registry, table, sql, grant.condition or "", policy.me)


def condition_clause(snap: Snapshot, registry: FieldTypeRegistry, table: TableDef, sql, source: str, me):
    """A row condition compiled for each database; one that no longer checks matches no row."""
    by_dialect = {}
    for dialect in ("sqlite", "postgresql"):
        schema = FormulaSchema(snap, registry, dialect)
        try:
            compiled = check(source, schema.view(table), schema, expected=None)
            by_dialect[dialect] = to_sql(compiled, sql, schema, dialect, me=dict(me)) == True  # noqa: E712
        except FormulaError:
            return false()  # fail closed: a broken rule (after a schema change) shows nothing
    return PerDialect(by_dialect)


def union(clauses: list):
    """OR of scope clauses; None (all rows) wins."""
    if any(c is None for c in clauses):
        return None
    return or_(*clauses) if clauses else false()
