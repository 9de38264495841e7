"""Access checks, asked first by every service method: the one place rules are enforced.

    Access.view(actor, snap)   an ActorView: the actor's policy (permissions.Policy, the union
                               of their groups) over one catalog snapshot
    ActorView.check(table, action)     403 unless a group grants the action on the table
    ActorView.scope(table, sql, action) extra WHERE for the rows in reach (None: all rows)
    ActorView.readable(table)          the fields the actor may see (hidden ones never leave)
    ActorView.writable(table, action)  the fields the actor may set on create/update
    ActorView.unrequired(table)        required fields the actor may not set: not required of them
    ActorView.snapshot()               the snapshot as the actor sees it (filters, search,
                                       sort, formulas in ``where=`` and OpenAPI use it)
    Access.actions(actor, table, id)   the record actions the actor may take on a table, or
                                       on one record (its row scope per action): which
                                       buttons a page shows
    check_table / row_clause / readable_fields   the same for callers without a view

Policies are cached per user and reloaded whenever ``cf_meta.access_version`` changes;
every change to users, groups, memberships or permissions bumps it (``bump_version``), so
all app processes see a change on their next check.

A **preview** ("view as", ``Actor.previewed_by``) sees what the previewed user or group
sees and may change nothing. Administrators (``is_admin`` users and members of an admin
group) may do everything.
"""

from __future__ import annotations

import dataclasses
import threading

from sqlalchemy import false, func, insert, select, update

from .actors import Actor
from .catalog import VERSION_KEYS, forget_versions, meta_versions
from .errors import AccessDenied, AuthenticationFailed, RecordNotFound
from .model import TableDef
from .permissions import READ_ACTIONS, Policy, compile_scope, load_policy, union
from .storage.platform_tables import cf_meta

RECORD_ACTIONS = ("read", "create", "update", "delete", "export", "print")
VERSION_KEY = VERSION_KEYS[1]


def bump_version(conn) -> None:
    """Call in the transaction of any change that affects policies."""
    current = conn.execute(select(cf_meta.c.value).where(cf_meta.c.key == VERSION_KEY)).scalar()
    if current is None:
        conn.execute(insert(cf_meta).values(key=VERSION_KEY, value="1"))
    else:
        conn.execute(update(cf_meta).where(cf_meta.c.key == VERSION_KEY).values(value=str(int(current) + 1)))
    forget_versions(conn)


class Access:
    def __init__(self, engine, catalog, registry):
        self.engine = engine
        self.catalog = catalog
        self.registry = registry
        self._cache: dict = {}
        self._lock = threading.Lock()

    # --- who ------------------------------------------------------------------------
    def require_active(self, actor: Actor | None) -> Actor:
        self._active_policy(actor)
        return actor

    def _active_policy(self, actor: Actor | None, conn=None) -> Policy:
        if actor is None or not actor.is_active:
            raise AuthenticationFailed("Sign in first.")
        policy = self.policy(actor, conn)
        if not policy.active:
            raise AuthenticationFailed("This account is disabled.")
        return policy

    def policy(self, actor: Actor, conn=None) -> Policy:
        """The actor's groups and rules, cached until the access version changes; read on
        ``conn`` when given (the caller's transaction), else on a connection of its own."""
        if conn is None:
            with self.engine.connect().execution_options(cf_readonly=True) as own, own.begin():
                return self.policy(actor, own)
        key = (actor.id, actor.preview_groups)
        version = meta_versions(conn)[VERSION_KEY]
        cached = self._cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        policy = load_policy(conn, actor.id, actor.preview_groups)
        with self._lock:
            self._cache[key] = (version, policy)
        return policy

    def is_admin(self, actor: Actor | None) -> bool:
        return actor is not None and actor.is_active and self.policy(actor).admin

    def view(self, actor: Actor | None, snap=None, conn=None) -> "ActorView":
        """What ``actor`` may do on ``snap`` (the current catalog when not given); reads on
        ``conn`` when given."""
        if conn is None:
            with self.engine.connect().execution_options(cf_readonly=True) as own, own.begin():
                return self.view(actor, snap, own)
        policy = self._active_policy(actor, conn)
        return ActorView(self, actor, policy, snap if snap is not None else self.catalog.current(conn))

    def actions(self, actor: Actor | None, table_name: str, record_id: int | None = None) -> set[str]:
        """The record actions (read, create, update, delete, export, print) ``actor`` may take
        on ``table_name``, and with ``record_id`` on that record (within each action's row
        scope; create is about the table). Pages show only the buttons for these."""
        with self.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            view = self.view(actor, None, conn)
            table = view.snap.table(table_name)
            allowed = {a for a in RECORD_ACTIONS if view.allows(table, a)}
            if record_id is not None:
                allowed = {a for a in allowed
                           if a == "create" or view.in_scope(conn, table, int(record_id), a)}
            return allowed

    # --- the hooks the services call ----------------------------------------------------
    def check_table(self, actor: Actor | None, table: TableDef, action: str) -> None:
        self.view(actor).check(table, action)

    def row_clause(self, actor: Actor, table: TableDef, sql_table):
        """An extra WHERE clause limiting the rows ``actor`` may read (None: all rows).

        Every read path of the record service (lists, cards, counts, aggregates, exports,
        link pickers) adds it, so a row scope is enforced in one place.
        """
        return self.view(actor).scope(table, sql_table, "read")

    def readable_fields(self, actor: Actor, table: TableDef) -> list:
        """The live fields ``actor`` may see; hidden fields never leave the service."""
        return self.view(actor).readable(table)

    def check_design(self, actor: Actor | None, table_name: str | None = None) -> None:
        """Administrators design everything; a group granted ``design`` on a table may change
        that table's fields and settings (creating, trashing and purging tables stays with
        administrators). A non-administrator learns nothing about tables out of reach."""
        actor = self.require_active(actor)
        _refuse_preview(actor)
        policy = self.policy(actor)
        if policy.admin:
            return
        if table_name is not None:
            view = self.view(actor)
            table = next((t for t in view.snap.tables.values()
                          if t.live and not t.is_child and t.api_name == table_name), None)
            if table is not None and view.allows(table, "design"):
                return
            raise AccessDenied("You may not change the design of this table.",
                               {"action": "design", "table": table_name})
        raise AccessDenied("Only administrators may create, trash or purge tables.", {"action": "design"})

    def check_admin(self, actor: Actor | None) -> None:
        actor = self.require_active(actor)
        _refuse_preview(actor)
        if not self.policy(actor).admin:
            raise AccessDenied("Only administrators may do this.", {"action": "admin"})


def _refuse_preview(actor: Actor) -> None:
    if actor.previewed_by is not None:
        raise AccessDenied("This is a read-only preview (view as); nothing can be changed.",
                           {"preview": True})


class ActorView:
    """One actor's rights over one snapshot; built per service call."""

    def __init__(self, access: Access, actor: Actor, policy: Policy, snap):
        self.access = access
        self.actor = actor
        self.policy = policy
        self.snap = snap
        self._readable: dict[int, list] = {}

    @property
    def admin(self) -> bool:
        return self.policy.admin

    def root(self, table: TableDef) -> TableDef:
        """The table whose grants apply (a line-item table follows its parent)."""
        while table.is_child:
            table = self.snap.parent_of(table)[0]
        return table

    def allows(self, table: TableDef, action: str) -> bool:
        if self.actor.previewed_by is not None and action not in READ_ACTIONS:
            return False
        return self.policy.allows(self.root(table).id, action)

    def check(self, table: TableDef, action: str) -> None:
        if self.actor.previewed_by is not None and action not in READ_ACTIONS:
            _refuse_preview(self.actor)
        if not self.policy.allows(self.root(table).id, action):
            raise AccessDenied(_denied_message(table, action), {"table": table.api_name, "action": action})

    def scope(self, table: TableDef, sql, action: str = "read"):
        """The rows of ``table`` in reach of ``action`` as a WHERE clause (None: all)."""
        if self.policy.admin:
            return None
        if table.is_child:
            parent, _ = self.snap.parent_of(table)
            parent_sql = self.snap.sql_table(parent)
            inner = self.scope(parent, parent_sql, action)
            return None if inner is None else sql.c.parent_id.in_(select(parent_sql.c.id).where(inner))
        grants = self.policy.granting(table.id, action)
        if not grants:
            return false()
        return union([compile_scope(self.snap, self.access.registry, self.policy, g, table, sql)
                      for g in grants])

    def in_scope(self, conn, table: TableDef, record_id: int, action: str) -> bool:
        sql = self.snap.sql_table(table)
        clause = self.scope(table, sql, action)
        if clause is None:
            return True
        return conn.execute(select(sql.c.id).where(sql.c.id == record_id, clause)).first() is not None

    def where(self, table: TableDef, sql, action: str = "read") -> list:
        """``scope`` as a list of clauses to splat into ``.where(…)``."""
        clause = self.scope(table, sql, action)
        return [] if clause is None else [clause]

    def require_reach(self, conn, table: TableDef, record_id: int, action: str) -> None:
        """404 for a record outside the read scope (its existence is not revealed), 403 for
        one the actor may read but not ``action``."""
        if self.in_scope(conn, table, record_id, action):
            return
        if action != "read" and self.in_scope(conn, table, record_id, "read"):
            raise AccessDenied(f"This record of {table.label!r} is outside what you may {action}.",
                               {"table": table.api_name, "id": record_id, "action": action})
        raise RecordNotFound(table.api_name, record_id)

    def require_created_in_scope(self, conn, table: TableDef, ids: list, action: str = "create") -> None:
        """After a write: every record must still be within the actor's reach for ``action``."""
        sql = self.snap.sql_table(table)
        clause = self.scope(table, sql, action)
        if clause is None or not ids:
            return
        inside = conn.execute(select(func.count()).select_from(sql).where(sql.c.id.in_(list(ids)), clause)).scalar_one()
        if inside != len(set(ids)):
            raise AccessDenied(f"The record would be outside what you may {action} in {table.label!r} "
                               "(your row rule); nothing was saved.",
                               {"table": table.api_name, "action": action})

    def readable(self, table: TableDef) -> list:
        if table.id in self._readable:
            return self._readable[table.id]
        if self.policy.admin:
            fields = list(table.fields)
        else:
            grants = self.policy.granting(self.root(table).id, "read")
            fields = [f for f in table.fields
                      if grants and not all(g.mode(f.id) == "hidden" for g in grants)]
        self._readable[table.id] = fields
        return fields

    def writable(self, table: TableDef, action: str) -> list:
        readable = self.readable(table)
        if self.policy.admin:
            return readable
        grants = self.policy.granting(self.root(table).id, action)
        # read-only: filled in when the record is created, never changed afterwards
        settable = (None, "read_only") if action == "create" else (None,)
        return [f for f in readable if any(g.mode(f.id) in settable for g in grants)]

    def unrequired(self, table: TableDef, action: str = "create") -> frozenset:
        """Required fields the actor may not set (hidden from them, or read-only): never
        required of them; a default may still fill them."""
        if self.policy.admin:
            return frozenset()
        settable = {f.api_name for f in self.writable(table, action)}
        return frozenset(f.api_name for f in table.fields if f.opt("required") and f.api_name not in settable)

    def check_values(self, table: TableDef, data, action: str) -> None:
        """403 naming the fields in ``data`` the actor may not set (hidden or read-only)."""
        if self.policy.admin or not isinstance(data, dict):
            return
        writable = {f.api_name for f in self.writable(table, action)}
        refused = sorted(k for k in data if table.field(k) is not None and k not in writable)
        if refused:
            raise AccessDenied(f"You may not set {', '.join(repr(k) for k in refused)} on {table.label!r}.",
                               {"table": table.api_name, "fields": refused, "action": action})
        for f in table.fields:
            if f.type == "lines" and isinstance(data.get(f.api_name), list):
                child = self.snap.child_table(f)
                for line in data[f.api_name]:
                    self.check_values(child, line, "update" if isinstance(line, dict) and line.get("id") else action)

    def check_values_many(self, table: TableDef, rows: list, action: str) -> None:
        """``check_values`` for every row of a batch: the keys of all rows checked at once;
        when any is refused, row by row, so the error names the first row's fields."""
        if self.policy.admin:
            return
        keys = set().union(*(data for data in rows if isinstance(data, dict)))
        writable = {f.api_name for f in self.writable(table, action) if f.type != "lines"}
        if all(k in writable or table.field(k) is None for k in keys):  # line items: row by row
            return
        for data in rows:
            self.check_values(table, data, action)

    def visible_table(self, table: TableDef) -> TableDef:
        """``table`` with only the readable fields (filters, search and sort see no more)."""
        if self.policy.admin:
            return table
        return dataclasses.replace(table, all_fields=list(self.readable(table)))

    def snapshot(self):
        """The snapshot as the actor sees it: unreadable tables without fields, hidden fields gone."""
        if self.policy.admin:
            return self.snap
        tables = {}
        for t in self.snap.tables.values():
            readable = self.readable(t) if self.allows(t, "read") and t.live else []
            tables[t.id] = dataclasses.replace(t, all_fields=list(readable))
        return dataclasses.replace(self.snap, tables=tables)

    def visible_tables(self) -> list[TableDef]:
        """Readable top-level tables in a visible menu section, in menu order."""
        sections = self.policy.sections
        return [t for t in self.snap.live_tables()
                if self.allows(t, "read") and (self.policy.admin or sections is None or t.section in sections
                                               or t.section is None)]


def _denied_message(table: TableDef, action: str) -> str:
    verbs = {"read": "see the records of", "create": "add records to", "update": "change records in",
             "delete": "delete records from", "export": "export", "print": "print from",
             "design": "change the design of"}
    return f"You may not {verbs.get(action, action)} {table.label!r}."
