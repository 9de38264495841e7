"""Groups, memberships and per-table permissions: administrators manage them here.

    GroupService.create / update / delete / list / get       groups
    GroupService.set_members / add_member / remove_member    memberships (a user may be in several)
    GroupService.set_permission / remove_permission          what a group may do on a table
                                                              (``"*"``: every table)
    GroupService.apply_roles                                  the ``groups`` of a package

Every change bumps the access version (``access.bump_version``) in its own transaction and
writes an entry to the security log. Semantics of the rules: ``permissions.py``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from .access import Access, bump_version
from .actors import Actor
from .errors import InvalidDefinition, NameClash, NotFound
from .permissions import ALL_TABLES, check_rule, describe_grant
from .security_log import SecurityLog
from .storage.platform_tables import cf_group_members, cf_groups, cf_permissions, cf_users

MAX_NAME = 100


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class GroupNotFound(NotFound):
    code = "GROUP_NOT_FOUND"

    def __init__(self, name):
        super().__init__(f"No group {name!r}.", {"group": name})


class GroupService:
    def __init__(self, engine, catalog, registry, access: Access):
        self.engine = engine
        self.catalog = catalog
        self.registry = registry
        self.access = access

    # --- groups ---------------------------------------------------------------------
    def create(self, actor: Actor, name: str, *, description: str = "", is_admin: bool = False,
               sections: list | None = None, package: str | None = None) -> dict:
        self.access.check_admin(actor)
        name = _name(name)
        sections = _sections(sections)
        with self.engine.begin() as conn:
            if conn.execute(select(cf_groups.c.id).where(cf_groups.c.name == name)).first():
                raise NameClash(f"Group {name!r} already exists.", {"group": name})
            group_id = conn.execute(insert(cf_groups).values(
                name=name, description=description or "", is_admin=bool(is_admin), sections=sections,
                package=package, created_at=utcnow()).returning(cf_groups.c.id)).scalar_one()
            bump_version(conn)
            SecurityLog.write(conn, "group_created", actor_id=actor.id,
                              details={"group": name, "is_admin": bool(is_admin)})
        return self.get(actor, name)

    def update(self, actor: Actor, group: str | int, changes: dict) -> dict:
        self.access.check_admin(actor)
        if not isinstance(changes, dict) or set(changes) - {"name", "description", "is_admin", "sections"}:
            raise InvalidDefinition("A group change may set name, description, is_admin and sections.", {})
        values = {}
        if "name" in changes:
            values["name"] = _name(changes["name"])
        if "description" in changes:
            values["description"] = str(changes["description"] or "")
        if "is_admin" in changes:
            values["is_admin"] = bool(changes["is_admin"])
        if "sections" in changes:
            values["sections"] = _sections(changes["sections"])
        with self.engine.begin() as conn:
            row = self._group(conn, group)
            if "name" in values and values["name"] != row["name"] and conn.execute(
                    select(cf_groups.c.id).where(cf_groups.c.name == values["name"])).first():
                raise NameClash(f"Group {values['name']!r} already exists.", {"group": values["name"]})
            if values:
                conn.execute(update(cf_groups).where(cf_groups.c.id == row["id"]).values(**values))
                bump_version(conn)
                SecurityLog.write(conn, "group_changed", actor_id=actor.id,
                                  details={"group": row["name"], "changes": _jsonable(values)})
        return self.get(actor, row["id"])

    def delete(self, actor: Actor, group: str | int) -> dict:
        """Delete a group with its memberships and permissions (users and records stay)."""
        self.access.check_admin(actor)
        with self.engine.begin() as conn:
            row = self._group(conn, group)
            conn.execute(delete(cf_permissions).where(cf_permissions.c.group_id == row["id"]))
            conn.execute(delete(cf_group_members).where(cf_group_members.c.group_id == row["id"]))
            conn.execute(delete(cf_groups).where(cf_groups.c.id == row["id"]))
            bump_version(conn)
            SecurityLog.write(conn, "group_deleted", actor_id=actor.id, details={"group": row["name"]})
        return {"name": row["name"], "deleted": True}

    def list(self, actor: Actor) -> list[dict]:
        self.access.check_admin(actor)
        with self._read() as conn:
            rows = conn.execute(select(cf_groups).order_by(cf_groups.c.name)).mappings().all()
            return [self._describe(conn, row, with_permissions=False) for row in rows]

    def get(self, actor: Actor, group: str | int) -> dict:
        self.access.check_admin(actor)
        with self._read() as conn:
            return self._describe(conn, self._group(conn, group), with_permissions=True)

    # --- members --------------------------------------------------------------------
    def set_members(self, actor: Actor, group: str | int, usernames: list[str]) -> dict:
        self.access.check_admin(actor)
        if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
            raise InvalidDefinition("members is a list of usernames.", {"field": "members"})
        with self.engine.begin() as conn:
            row = self._group(conn, group)
            ids = self._user_ids(conn, usernames)
            before = set(conn.execute(select(cf_group_members.c.user_id)
                                      .where(cf_group_members.c.group_id == row["id"])).scalars())
            conn.execute(delete(cf_group_members).where(cf_group_members.c.group_id == row["id"]))
            for user_id in sorted(set(ids.values())):
                conn.execute(insert(cf_group_members).values(group_id=row["id"], user_id=user_id))
            bump_version(conn)
            SecurityLog.write(conn, "membership_changed", actor_id=actor.id, details={
                "group": row["name"], "added": sorted(set(ids.values()) - before),
                "removed": sorted(before - set(ids.values()))})
        return self.get(actor, row["id"])

    def add_member(self, actor: Actor, group: str | int, username: str) -> dict:
        self.access.check_admin(actor)
        with self.engine.begin() as conn:
            row = self._group(conn, group)
            user_id = self._user_ids(conn, [username])[username]
            exists = conn.execute(select(cf_group_members.c.user_id).where(
                cf_group_members.c.group_id == row["id"], cf_group_members.c.user_id == user_id)).first()
            if exists is None:
                conn.execute(insert(cf_group_members).values(group_id=row["id"], user_id=user_id))
                bump_version(conn)
                SecurityLog.write(conn, "membership_changed", actor_id=actor.id, user_id=user_id,
                                  username=username, details={"group": row["name"], "added": [user_id]})
        return self.get(actor, row["id"])

    def remove_member(self, actor: Actor, group: str | int, username: str) -> dict:
        self.access.check_admin(actor)
        with self.engine.begin() as conn:
            row = self._group(conn, group)
            user_id = self._user_ids(conn, [username])[username]
            result = conn.execute(delete(cf_group_members).where(
                cf_group_members.c.group_id == row["id"], cf_group_members.c.user_id == user_id))
            if result.rowcount:
                bump_version(conn)
                SecurityLog.write(conn, "membership_changed", actor_id=actor.id, user_id=user_id,
                                  username=username, details={"group": row["name"], "removed": [user_id]})
        return self.get(actor, row["id"])

    def groups_of(self, user_id: int) -> list[dict]:
        """The groups a user is in (id, name, is_admin)."""
        with self._read() as conn:
            rows = conn.execute(select(cf_groups.c.id, cf_groups.c.name, cf_groups.c.is_admin)
                                .join(cf_group_members, cf_group_members.c.group_id == cf_groups.c.id)
                                .where(cf_group_members.c.user_id == user_id)
                                .order_by(cf_groups.c.name)).mappings().all()
        return [dict(r) for r in rows]

    # --- permissions ----------------------------------------------------------------
    def set_permission(self, actor: Actor, group: str | int, table_name: str, spec: dict) -> dict:
        """Replace what ``group`` may do on ``table_name`` (``"*"``: every table).

        ``spec``: ``actions``, ``rows`` and ``fields`` (see ``permissions.check_rule``); a
        condition that does not check is refused with its position.
        """
        self.access.check_admin(actor)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = None if table_name == "*" else snap.table(table_name)
            values = check_rule(snap, self.registry, table, spec)
            row = self._group(conn, group)
            table_id = ALL_TABLES if table is None else table.id
            where = (cf_permissions.c.group_id == row["id"], cf_permissions.c.table_id == table_id)
            if conn.execute(select(cf_permissions.c.id).where(*where)).first() is None:
                conn.execute(insert(cf_permissions).values(group_id=row["id"], table_id=table_id, **values))
            else:
                conn.execute(update(cf_permissions).where(*where).values(**values))
            bump_version(conn)
            stored = conn.execute(select(cf_permissions).where(*where)).mappings().one()
            result = describe_grant(snap, table, stored)
            SecurityLog.write(conn, "permission_changed", actor_id=actor.id,
                              details={"group": row["name"], **result})
        return result

    def remove_permission(self, actor: Actor, group: str | int, table_name: str) -> dict:
        self.access.check_admin(actor)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table_id = ALL_TABLES if table_name == "*" else snap.table(table_name, include_trashed=True).id
            row = self._group(conn, group)
            result = conn.execute(delete(cf_permissions).where(cf_permissions.c.group_id == row["id"],
                                                               cf_permissions.c.table_id == table_id))
            if not result.rowcount:
                raise NotFound(f"Group {row['name']!r} has no permission on {table_name!r}.",
                               {"group": row["name"], "table": table_name})
            bump_version(conn)
            SecurityLog.write(conn, "permission_changed", actor_id=actor.id,
                              details={"group": row["name"], "table": table_name, "removed": True})
        return {"group": row["name"], "table": table_name, "removed": True}

    def apply_roles(self, actor: Actor, roles: list[dict], package: str | None = None) -> dict:
        """Create or update groups and replace their permissions (a package's ``groups``).

        Memberships are left alone: a package describes roles, not people.
        """
        self.access.check_admin(actor)
        created, updated = [], []
        for role in roles:
            name = role["name"]
            fields = {k: role[k] for k in ("description", "is_admin", "sections") if k in role}
            with self._read() as conn:
                exists = conn.execute(select(cf_groups.c.id).where(cf_groups.c.name == name)).first()
            if exists is None:
                self.create(actor, name, package=package, **fields)
                created.append(name)
            else:
                self.update(actor, name, fields)
                updated.append(name)
            wanted = {p["table"] for p in role.get("permissions", [])}
            for current in self.get(actor, name)["permissions"]:
                if current["table"] not in wanted:
                    self.remove_permission(actor, name, current["table"])
            for perm in role.get("permissions", []):
                self.set_permission(actor, name, perm["table"], {k: v for k, v in perm.items() if k != "table"})
        return {"created": created, "updated": updated}

    # --- internals ------------------------------------------------------------------
    def _read(self):
        return _ReadOnly(self.engine)

    def _group(self, conn, group: str | int):
        column = cf_groups.c.id if isinstance(group, int) else cf_groups.c.name
        row = conn.execute(select(cf_groups).where(column == group)).mappings().first()
        if row is None:
            raise GroupNotFound(group)
        return row

    @staticmethod
    def _user_ids(conn, usernames: list[str]) -> dict[str, int]:
        rows = dict(conn.execute(select(cf_users.c.username, cf_users.c.id)
                                 .where(cf_users.c.username.in_(usernames))).all()) if usernames else {}
        missing = sorted(set(usernames) - set(rows))
        if missing:
            raise NotFound(f"No user {missing[0]!r}.", {"usernames": missing})
        return rows

    def _describe(self, conn, row, with_permissions: bool) -> dict:
        members = conn.execute(select(cf_users.c.id, cf_users.c.username, cf_users.c.name, cf_users.c.is_active)
                               .join(cf_group_members, cf_group_members.c.user_id == cf_users.c.id)
                               .where(cf_group_members.c.group_id == row["id"])
                               .order_by(cf_users.c.username)).mappings().all()
        result = {"id": row["id"], "name": row["name"], "description": row["description"],
                  "is_admin": row["is_admin"], "sections": row["sections"], "package": row["package"],
                  "members": [dict(m) for m in members]}
        if with_permissions:
            snap = self.catalog.current(conn)
            perms = []
            for p in conn.execute(select(cf_permissions).where(cf_permissions.c.group_id == row["id"])
                                  .order_by(cf_permissions.c.table_id)).mappings():
                table = None if p["table_id"] == ALL_TABLES else snap.tables.get(p["table_id"])
                if p["table_id"] != ALL_TABLES and (table is None or not table.live):
                    continue
                perms.append(describe_grant(snap, table, p))
            result["permissions"] = perms
        return result


class _ReadOnly:
    """``with`` a read-only connection in a transaction."""

    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.conn = self.engine.connect().execution_options(cf_readonly=True)
        self.tx = self.conn.begin()
        return self.conn

    def __exit__(self, *exc):
        self.tx.rollback()
        self.conn.close()
        return False


def _name(name) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        raise InvalidDefinition(f"A group name is 1-{MAX_NAME} characters.", {"field": "name"})
    return name


def _sections(sections):
    if sections is None:
        return None
    if not isinstance(sections, list) or not all(isinstance(s, str) for s in sections):
        raise InvalidDefinition("sections is a list of section names (or null: every section).",
                                {"field": "sections"})
    return sorted(set(sections))


def _jsonable(values: dict) -> dict:
    return {k: v for k, v in values.items()}
