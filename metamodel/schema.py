"""The schema service: create, change, trash, restore and purge tables and fields.

Each change runs in one transaction: metadata rows, the DDL plan (``storage.ddl``) and
the catalog's ``schema_version`` bump commit together or not at all. A retype first
plans the conversion; if values would not survive it is refused with the records listed
(``RetypeWouldLoseValues``) unless ``force``; ``dry_run`` returns the plan and writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import jsonschema
from sqlalchemy import MetaData, delete, insert, select, update

from .access import Access
from .actors import Actor
from .catalog import Catalog, Snapshot, build_sql_table, field_indexes
from .describe import describe_field, describe_table
from .errors import (
    FieldInUse, InvalidDefinition, NameClash, RetypeWouldLoseValues, TableNotFound, FieldNotFound,
)
from .fieldtypes.base import FieldValueError
from .fieldtypes.conversions import check_supported, plan_conversion
from .fieldtypes.registry import FieldTypeRegistry
from .model import FieldDef, TableDef
from .naming import check_api_name, clean_label, make_api_name
from .i18n import TABLE_TRANSLATIONS_SCHEMA, without_label_translations
from .records.audit import record_losses
from .records.fill import check_fill_option
from .formulas import Computed
from .formulas.labels import EXPRESSION_OPTIONS, rename_in_expressions, resolve_options
from .storage import ddl, names
from .storage.platform_tables import cf_fields, cf_tables

MAX_LOSSES_SHOWN = 100


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SchemaService:
    def __init__(self, engine, catalog: Catalog, registry: FieldTypeRegistry, access: Access):
        self.engine = engine
        self.catalog = catalog
        self.registry = registry
        self.access = access
        self.computed = Computed(registry)  # formulas: checks, recompute, verify

    # --- reading --------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        with self.engine.connect() as conn:
            return self.catalog.current(conn)

    def list_tables(self, actor: Actor, include_trashed: bool = False) -> list[dict]:
        """The tables ``actor`` may read (administrators: all), with only their readable fields."""
        snap = self.snapshot()
        view = self.access.view(actor, snap)
        seen = view.snapshot()
        tables = [t for t in snap.tables.values() if not t.is_child and (include_trashed or t.live)
                  and (view.admin or (t.live and view.allows(t, "read")))]
        return [describe_table(seen, seen.tables[t.id]) for t in sorted(tables, key=lambda t: (t.position, t.id))]

    def get_table(self, actor: Actor, name: str) -> dict:
        snap = self.snapshot()
        view = self.access.view(actor, snap)
        table = snap.table(name)
        if not view.allows(table, "read"):
            raise TableNotFound(name)  # a table one may not read is not revealed
        seen = view.snapshot()
        return describe_table(seen, seen.tables[table.id], include_trashed_fields=view.admin)

    # --- tables ---------------------------------------------------------------------
    def create_table(self, actor: Actor, spec: dict) -> dict:
        self.access.check_design(actor)
        spec = _require_dict(spec, "table")
        _only_keys(spec, {"label", "api_name", "section", "position", "display_field", "fields", "options"}, "table")
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = self._insert_table(conn, snap, spec)
            snap = self.catalog.load(conn, "pending")
            ddl.apply(conn, [ddl.CreateTable(self._standalone(snap, table.id))])
            for field_spec in spec.get("fields") or []:
                snap = self._add_field(conn, snap, table.id, field_spec)
            if spec.get("display_field"):
                self._set_display(conn, snap, snap.tables[table.id], spec["display_field"])
            elif snap.tables[table.id].fields:
                self._default_display(conn, snap.tables[table.id])
            self.computed.verify(conn, self.catalog)
            Catalog.bump_version(conn)
            snap = self.catalog.load(conn, "pending")
            return describe_table(snap, snap.tables[table.id])

    def update_table(self, actor: Actor, name: str, changes: dict) -> dict:
        self.access.check_design(actor, name)
        changes = _require_dict(changes, "table")
        _only_keys(changes, {"label", "api_name", "section", "position", "display_field", "options"}, "table")
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(name)
            values: dict[str, Any] = {}
            if "label" in changes:
                values["label"] = self._table_label(snap, changes["label"], exclude=table.id)
            if "api_name" in changes and changes["api_name"] != table.api_name:
                values["api_name"] = self._table_api_name(snap, changes["api_name"], exclude=table.id)
            for key in ("section", "position", "options"):
                if key in changes:
                    values[key] = changes[key]
            if "options" in values:
                values["options"] = resolve_options(snap, self.registry, table, values["options"])
                self.computed.check_table_options(snap, table, values["options"])
                _check_table_translations(values["options"])
            if "translations" not in (changes.get("options") or {}):  # words changed by hand
                changed = {k for k in ("label", "section") if k in values and values[k] != getattr(table, k)}
                if changed:
                    values["options"] = without_label_translations(values.get("options", table.options), changed)
            if values:
                conn.execute(update(cf_tables).where(cf_tables.c.id == table.id).values(**values))
            if "display_field" in changes:
                self._set_display(conn, snap, table, changes["display_field"])
            self.computed.verify(conn, self.catalog)
            Catalog.bump_version(conn)
            snap = self.catalog.load(conn, "pending")
            return describe_table(snap, snap.tables[table.id])

    def delete_table(self, actor: Actor, name: str) -> dict:
        """Move a table to the trash: its records stay, hidden, until restored or purged."""
        self.access.check_design(actor)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(name)
            if table.is_child:
                raise InvalidDefinition("Line-item tables go to the trash with their field.",
                                        {"table": name})
            users = [f"{t.label}.{f.label}" for t, f in snap.back_links(table) if t.id != table.id]
            if users:
                raise InvalidDefinition(
                    f"Table {table.label!r} is linked from {', '.join(users)}; delete or change those links first.",
                    {"table": name, "linked_from": users})
            conn.execute(update(cf_tables).where(cf_tables.c.id == table.id).values(deleted_at=utcnow()))
            Catalog.bump_version(conn)
            return {"table": table.api_name, "trashed": True}

    def restore_table(self, actor: Actor, name: str) -> dict:
        self.access.check_design(actor)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(name, include_trashed=True)
            if table.live:
                return describe_table(snap, table)
            if any(t.live and t.api_name == table.api_name for t in snap.tables.values()):
                raise NameClash(f"A table named {table.api_name!r} exists again; rename it first.",
                                {"api_name": table.api_name})
            conn.execute(update(cf_tables).where(cf_tables.c.id == table.id).values(deleted_at=None))
            Catalog.bump_version(conn)
            snap = self.catalog.load(conn, "pending")
            return describe_table(snap, snap.tables[table.id])

    def purge_table(self, actor: Actor, name: str) -> dict:
        """Drop a trashed table for good (with its line-item tables)."""
        self.access.check_design(actor)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = next((t for t in snap.tables.values() if t.api_name == name and not t.live), None)
            if table is None:
                raise TableNotFound(name)
            doomed = [table] + [snap.child_table(f) for f in table.all_fields if f.type == "lines"]
            for t in reversed(doomed):
                ddl.apply(conn, [ddl.DropTable(names.table_name(t.id))])
                conn.execute(delete(cf_fields).where(cf_fields.c.table_id == t.id))
                conn.execute(delete(cf_tables).where(cf_tables.c.id == t.id))
            Catalog.bump_version(conn)
            return {"table": name, "purged": True}

    # --- fields ---------------------------------------------------------------------
    def add_field(self, actor: Actor, table_name: str, spec: dict) -> dict:
        self.access.check_design(actor, table_name)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(table_name)
            snap = self._add_field(conn, snap, table.id, spec)
            table = snap.tables[table.id]
            if table.display_field_id is None:
                self._default_display(conn, table)
            described = describe_field(snap, table.fields[-1] if not spec.get("api_name") else table.field(spec["api_name"]))
            recompute = self.computed.field_added(conn, self.catalog, table.id, described["id"], actor)
            Catalog.bump_version(conn)
            return {**described, "recompute": recompute} if recompute else described

    def update_field(self, actor: Actor, table_name: str, field_name: str, changes: dict,
                     force: bool = False, dry_run: bool = False) -> dict:
        self.access.check_design(actor, table_name)
        changes = _require_dict(changes, "field")
        _only_keys(changes, {"label", "api_name", "type", "options", "position"}, "field")
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(table_name)
            old = snap.field(table, field_name)
            new = dataclasses.replace(old, options=dict(old.options))
            if "label" in changes:
                new.label = self._field_label(table, changes["label"], exclude=old.id)
            if "api_name" in changes and changes["api_name"] != old.api_name:
                new.api_name = self._field_api_name(table, changes["api_name"], exclude=old.id)
            if "position" in changes:
                new.position = int(changes["position"])
            if "type" in changes or "options" in changes:
                new.type = changes.get("type", old.type)
                self.registry.get(new.type)
                merged = {**old.options, **(changes.get("options") or {})} if new.type == old.type \
                    else dict(changes.get("options") or {})
                merged = {k: v for k, v in merged.items() if v is not None}  # null removes an option
                new.options = self._normalize_options(snap, table, new.type, merged, old)
            result = {"field": describe_field(snap, new), "conversion": None}
            if old.type == new.type == "formula":  # values are recomputed, not converted
                result["conversion"] = self.computed.formula_column_change(conn, snap, table, old, new, dry_run)
            elif (new.type, new.options) != (old.type, old.options):
                result["conversion"] = self._convert(conn, snap, table, old, new, force, dry_run, actor)
            if dry_run:
                return result  # nothing was written
            if "translations" not in (changes.get("options") or {}):  # words changed by hand
                new.options = without_label_translations(new.options, _changed_words(old, new))
            if new.api_name != old.api_name:  # formulas that use the old name get the new one
                new.options = self._rename_in_expressions(conn, snap, table, old, new)
            conn.execute(update(cf_fields).where(cf_fields.c.id == old.id).values(
                label=new.label, api_name=new.api_name, type=new.type, options=new.options,
                position=new.position))
            result["recompute"] = self.computed.field_changed(conn, self.catalog, table, old, new, actor)
            Catalog.bump_version(conn)
            return result

    def delete_field(self, actor: Actor, table_name: str, field_name: str) -> dict:
        """Move a field to the trash: the column and its values stay until purged."""
        self.access.check_design(actor, table_name)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(table_name)
            field = snap.field(table, field_name)
            conn.execute(update(cf_fields).where(cf_fields.c.id == field.id).values(deleted_at=utcnow()))
            if field.type == "lines":
                conn.execute(update(cf_tables).where(cf_tables.c.id == field.options["table_id"])
                             .values(deleted_at=utcnow()))
            if table.display_field_id == field.id:
                rest = [f for f in table.fields if f.id != field.id]
                conn.execute(update(cf_tables).where(cf_tables.c.id == table.id)
                             .values(display_field_id=rest[0].id if rest else None))
            users = self.computed.breaking(conn, self.catalog)
            if users:
                raise field_in_use(snap, table, field, [where for where, _error in users])
            self.computed.verify(conn, self.catalog)
            Catalog.bump_version(conn)
            return {"table": table.api_name, "field": field.api_name, "trashed": True}

    def restore_field(self, actor: Actor, table_name: str, field_name: str) -> dict:
        self.access.check_design(actor, table_name)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(table_name)
            trashed = [f for f in table.trashed_fields if f.api_name == field_name]
            if not trashed:
                raise FieldNotFound(table.api_name, field_name)
            field = trashed[-1]
            if table.field(field.api_name) is not None:
                raise NameClash(f"Field {field.api_name!r} exists again in {table.label!r}; rename it first.",
                                {"api_name": field.api_name})
            if any(f.label.casefold() == field.label.casefold() for f in table.fields):
                raise NameClash(f"A field labelled {field.label!r} exists again in {table.label!r}; rename it first.",
                                {"label": field.label})
            conn.execute(update(cf_fields).where(cf_fields.c.id == field.id).values(deleted_at=None))
            if field.type == "lines":
                conn.execute(update(cf_tables).where(cf_tables.c.id == field.options["table_id"])
                             .values(deleted_at=None))
            Catalog.bump_version(conn)
            snap = self.catalog.load(conn, "pending")
            return describe_field(snap, snap.tables[table.id].field_by_id(field.id))

    def purge_field(self, actor: Actor, table_name: str, field_name: str) -> dict:
        """Drop a trashed field's column(s) for good."""
        self.access.check_design(actor)
        with self.engine.begin() as conn:
            snap = self.catalog.current(conn)
            table = snap.table(table_name)
            field = next((f for f in table.trashed_fields if f.api_name == field_name), None)
            if field is None:
                raise FieldNotFound(table.api_name, field_name)
            ftype = self.registry.get(field.type)
            if ftype.has_column:
                cols = [c.name for c in ftype.columns(field)]
                ddl.apply(conn, [ddl.DropColumns(snap.sql_table(table), cols)])
            elif field.type == "lines":
                child = snap.child_table(field)
                ddl.apply(conn, [ddl.DropTable(names.table_name(child.id))])
                conn.execute(delete(cf_fields).where(cf_fields.c.table_id == child.id))
                conn.execute(delete(cf_tables).where(cf_tables.c.id == child.id))
            conn.execute(delete(cf_fields).where(cf_fields.c.id == field.id))
            Catalog.bump_version(conn)
            return {"table": table.api_name, "field": field_name, "purged": True}

    # --- internals ------------------------------------------------------------------
    def _rename_in_expressions(self, conn, snap: Snapshot, table: TableDef, old: FieldDef, new: FieldDef) -> dict:
        """Rewrite every stored expression that uses ``old``'s API name; ``new``'s options
        as they must be stored (its own expressions may use its name too)."""
        fields, tables = rename_in_expressions(snap, self.registry, table, old.api_name, new.api_name)
        options = new.options
        for field_id, changed in fields.items():
            if field_id == old.id:
                options = {**new.options, **{k: v for k, v in changed.items() if k in EXPRESSION_OPTIONS}}
            else:
                conn.execute(update(cf_fields).where(cf_fields.c.id == field_id).values(options=changed))
        for table_id, changed in tables.items():
            conn.execute(update(cf_tables).where(cf_tables.c.id == table_id).values(options=changed))
        return options

    def _standalone(self, snap: Snapshot, table_id: int):
        return snap.sql[table_id]

    def _insert_table(self, conn, snap: Snapshot, spec: dict, parent_field_id: int | None = None) -> TableDef:
        label = self._table_label(snap, spec.get("label"))
        taken = {t.api_name for t in snap.tables.values()}
        api_name = (self._table_api_name(snap, spec["api_name"]) if spec.get("api_name")
                    else make_api_name(label, taken, "table"))
        position = spec.get("position")
        if position is None:
            position = max([t.position for t in snap.tables.values()] or [0]) + 1
        row = dict(api_name=api_name, label=label, section=spec.get("section"), position=int(position),
                   options=spec.get("options") or {}, created_at=utcnow(), parent_field_id=parent_field_id)
        table_id = conn.execute(insert(cf_tables).values(**row).returning(cf_tables.c.id)).scalar_one()
        return TableDef(id=table_id, api_name=api_name, label=label, parent_field_id=parent_field_id)

    def _add_field(self, conn, snap: Snapshot, table_id: int, spec: dict) -> Snapshot:
        spec = _require_dict(spec, "field")
        _only_keys(spec, {"label", "api_name", "type", "options", "position"}, "field")
        table = snap.tables[table_id]
        label = self._field_label(table, spec.get("label"))
        api_name = (self._field_api_name(table, spec["api_name"]) if spec.get("api_name")
                    else make_api_name(label, {f.api_name for f in table.all_fields}, "field"))
        type_key = spec.get("type")
        if not isinstance(type_key, str):
            raise InvalidDefinition("A field needs a type.", {"field": api_name, "known": self.registry.keys()})
        ftype = self.registry.get(type_key)
        options = dict(spec.get("options") or {})
        child_fields = options.pop("fields", None) if type_key == "lines" else None
        if type_key == "lines":
            options.pop("table_id", None)
            options.pop("table", None)
        options = self._normalize_options(snap, table, type_key, options, None)
        position = spec.get("position")
        if position is None:
            position = max([f.position for f in table.all_fields] or [0]) + 1
        field_id = conn.execute(insert(cf_fields).values(
            table_id=table_id, api_name=api_name, label=label, type=type_key, options=options,
            position=int(position), created_at=utcnow()).returning(cf_fields.c.id)).scalar_one()
        field = FieldDef(id=field_id, table_id=table_id, api_name=api_name, label=label,
                         type=type_key, options=options, position=int(position))
        if type_key == "lines":
            child = self._insert_table(conn, snap, {
                "api_name": f"{table.api_name}_{api_name}"[:63],
                "label": f"{table.label}: {label}"}, parent_field_id=field_id)
            options = {**options, "table_id": child.id}
            conn.execute(update(cf_fields).where(cf_fields.c.id == field_id).values(options=options))
            snap = self.catalog.load(conn, "pending")
            ddl.apply(conn, [ddl.CreateTable(snap.sql[child.id])])
            for child_spec in child_fields or []:
                snap = self._add_field(conn, snap, child.id, child_spec)
            return self.catalog.load(conn, "pending")
        if ftype.has_column:
            snap_after = self.catalog.load(conn, "pending")
            sql_table = snap_after.sql[table_id]
            columns = [sql_table.c[c.name] for c in ftype.columns(field)]
            indexes = field_indexes(table, field, self.registry)
            ddl.apply(conn, [ddl.AddColumns(sql_table, columns, indexes)])
            return snap_after
        return self.catalog.load(conn, "pending")

    def _normalize_options(self, snap: Snapshot, table: TableDef, type_key: str, options: dict,
                           old: FieldDef | None) -> dict:
        ftype = self.registry.get(type_key)
        options = resolve_options(snap, self.registry, table, {k: v for k, v in options.items()},
                                  old.api_name if old is not None else None)  # [Label] -> api_name
        if type_key == "link":
            target_name = options.pop("target", None)
            if target_name is not None:
                target = snap.table(target_name)
                if target.is_child:
                    raise InvalidDefinition("A link cannot point at a line-item table.", {"target": target_name})
                options["target_id"] = target.id
            if "target_id" not in options or options["target_id"] not in snap.tables:
                raise InvalidDefinition("A link field needs a target table (options.target).",
                                        {"options": options})
            if old is not None and old.type == "link" and old.options.get("target_id") != options["target_id"]:
                raise InvalidDefinition("A link's target table cannot be changed; add a new link field instead.",
                                        {"field": old.api_name})
        if type_key == "link":
            check_fill_option(snap, table, options, old.api_name if old is not None else None)
        if type_key == "lines" and old is not None:
            options["table_id"] = old.options.get("table_id")
            options.pop("table", None)
            options.pop("fields", None)
        try:
            options_validator(ftype.options_schema()).validate(options)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "options"
            raise InvalidDefinition(f"Field options for a {type_key} field are not valid at {where}: {exc.message}",
                                    {"type": type_key, "path": where}) from None
        try:
            options = ftype.normalize_options(options)
        except FieldValueError as exc:
            raise InvalidDefinition(f"Field options are not valid: {exc.message}", {"type": type_key}) from None
        if options.get("unique") and not ftype.supports_unique:
            raise InvalidDefinition(f"A {type_key} field cannot be unique.", {"type": type_key})
        if "default" in options and options["default"] is not None:
            probe = FieldDef(id=0, table_id=table.id, api_name="default", label="default",
                             type=type_key, options=options)
            try:
                ftype.parse(options["default"], probe)
            except FieldValueError as exc:
                raise InvalidDefinition(f"The default value is not valid: {exc.message}",
                                        {"type": type_key}) from None
        return self.computed.check_field_options(snap, table, type_key, options, old)

    def _convert(self, conn, snap: Snapshot, table: TableDef, old: FieldDef, new: FieldDef,
                 force: bool, dry_run: bool, actor: Actor | None = None) -> dict:
        check_supported(old.type, new.type)
        ftype_old, ftype_new = self.registry.get(old.type), self.registry.get(new.type)
        if not ftype_old.has_column:  # line items: options only
            return {"changed": 0, "losses": [], "operations": []}
        sql_table = snap.sql_table(table)
        cols = [sql_table.c.id, *[sql_table.c[c.name] for c in ftype_old.columns(old)]]
        rows = [(row["id"], ftype_old.from_db(row, old)) for row in conn.execute(select(*cols)).mappings()]
        plan = plan_conversion(self.registry, old, new, rows)
        losses = [{"id": loss.id, "value": loss.value, "reason": loss.reason} for loss in plan.losses]
        ops = []
        if plan.changes_column:
            new_meta = MetaData()
            new_table = dataclasses.replace(table, all_fields=[new if f.id == old.id else f
                                                               for f in table.all_fields])
            rebuilt = build_sql_table(new_meta, new_table, self.registry)
            new_cols = [rebuilt.c[c.name] for c in ftype_new.columns(new)]
            values = {rid: ftype_new.to_db(v, new) for rid, v in plan.values.items()}
            ops.append(ddl.RewriteColumns(
                sql_table, [c.name for c in ftype_old.columns(old)], new_cols, values,
                drop_indexes=[i.name for i in field_indexes(table, old, self.registry)],
                create_indexes=field_indexes(table, new, self.registry)))
        else:
            old_idx = [i.name for i in field_indexes(table, old, self.registry)]
            new_idx = field_indexes(table, new, self.registry)
            if old_idx != [i.name for i in new_idx] or old.opt("unique") != new.opt("unique"):
                ops.append(ddl.ReplaceIndexes(sql_table, old_idx, new_idx))
        duplicates = []
        if new.opt("unique"):  # unique among live records: a value in the trash does not count
            live = set(conn.execute(select(sql_table.c.id).where(snap.live(table, sql_table))).scalars())
            duplicates = _duplicates(ftype_new, new, {k: v for k, v in plan.values.items() if k in live})
        report = {"records": len(rows), "losses": losses[:MAX_LOSSES_SHOWN], "lost": len(losses),
                  "operations": [op.describe() for op in ops], "dry_run": dry_run, "forced": force,
                  "duplicates": duplicates[:MAX_LOSSES_SHOWN]}
        if dry_run:
            return report
        if duplicates:
            shown = "; ".join(f"{d['value']!r} in #{', #'.join(map(str, d['ids']))}" for d in duplicates[:5])
            raise InvalidDefinition(
                f"{old.label!r} cannot be unique: {len(duplicates)} value(s) repeat ({shown}"
                + ("…" if len(duplicates) > 5 else "") + "). Make them unique first.",
                {"field": old.api_name, "duplicates": duplicates[:MAX_LOSSES_SHOWN]})
        if losses and not force:
            shown = ", ".join(f"#{l['id']} ({l['value']!r}: {l['reason']})" for l in losses[:5])
            raise RetypeWouldLoseValues(
                f"Changing {old.label!r} would lose {len(losses)} value(s): {shown}"
                + ("…" if len(losses) > 5 else "") + ". Fix them, or force the change to empty them.",
                {"field": old.api_name, "from": old.type, "to": new.type, "records": losses[:MAX_LOSSES_SHOWN],
                 "count": len(losses)})
        if plan.changes_column:
            ddl.apply(conn, ops)
        else:
            stored = {rid: ftype_old.to_db(value, old) for rid, value in rows}
            self._rewrite_values_in_place(conn, sql_table, new, plan, ftype_new, stored)
            ddl.apply(conn, ops)
        record_losses(conn, sql_table, table, old, new, losses, actor)
        return report

    def _rewrite_values_in_place(self, conn, sql_table, new: FieldDef, plan, ftype, stored: dict) -> None:
        """Write the converted values that are stored differently (``stored``: id -> columns now)."""
        from sqlalchemy import bindparam
        changed = [{"_id": rid, **columns} for rid, v in plan.values.items()
                   if (columns := ftype.to_db(v, new)) != stored.get(rid)]
        if not changed:
            return
        cols = list(ftype.to_db(None, new))
        stmt = update(sql_table).where(sql_table.c.id == bindparam("_id")).values(
            {c: bindparam(c) for c in cols})
        conn.execute(stmt, changed)

    def _set_display(self, conn, snap: Snapshot, table: TableDef, field_name: str) -> None:
        field = snap.field(table, field_name)
        if not self.registry.get(field.type).has_column:
            raise InvalidDefinition("Line items cannot be a table's display field.", {"field": field_name})
        conn.execute(update(cf_tables).where(cf_tables.c.id == table.id).values(display_field_id=field.id))

    def _default_display(self, conn, table: TableDef) -> None:
        preferred = [f for f in table.fields if f.type in ("text", "counter", "email")] or \
            [f for f in table.fields if self.registry.get(f.type).has_column]
        if preferred:
            conn.execute(update(cf_tables).where(cf_tables.c.id == table.id)
                         .values(display_field_id=preferred[0].id))

    def _table_label(self, snap: Snapshot, label, exclude: int | None = None) -> str:
        label = clean_label(label)
        for t in snap.tables.values():
            if t.live and t.id != exclude and not t.is_child and t.label.casefold() == label.casefold():
                raise NameClash(f"A table labelled {label!r} already exists.", {"label": label})
        return label

    def _table_api_name(self, snap: Snapshot, name, exclude: int | None = None) -> str:
        check_api_name(name, "table")
        for t in snap.tables.values():
            if t.api_name == name and t.id != exclude:
                raise NameClash(f"A table with API name {name!r} already exists"
                                + (" (in the trash)" if not t.live else "") + ".", {"api_name": name})
        return name

    def _field_label(self, table: TableDef, label, exclude: int | None = None) -> str:
        label = clean_label(label)
        for f in table.fields:
            if f.id != exclude and f.label.casefold() == label.casefold():
                raise NameClash(f"Table {table.label!r} already has a field labelled {label!r}.",
                                {"table": table.api_name, "label": label})
        return label

    def _field_api_name(self, table: TableDef, name, exclude: int | None = None) -> str:
        check_api_name(name)
        for f in table.all_fields:  # a trashed field keeps its name until purged
            if f.id != exclude and f.api_name == name:
                raise NameClash(f"Table {table.label!r} already has a field with API name {name!r}"
                                + (" (in the trash)" if not f.live else "") + ".",
                                {"table": table.api_name, "api_name": name})
        return name


def _duplicates(ftype, field: FieldDef, values: dict) -> list[dict]:
    """Values held by more than one record (they would break a unique index)."""
    groups: dict[str, list[int]] = {}
    shown: dict[str, Any] = {}
    for record_id, value in values.items():
        if value is None:
            continue
        out = ftype.to_json(value, field)
        key = json.dumps(out, sort_keys=True, default=str)
        groups.setdefault(key, []).append(record_id)
        shown[key] = out
    return [{"value": shown[k], "ids": sorted(ids)} for k, ids in groups.items() if len(ids) > 1]


def field_in_use(snap: Snapshot, table: TableDef, field: FieldDef, places: list[str]) -> FieldInUse:
    """One message naming, by label, every formula, default, condition and rule that reads
    ``field`` ("table.field" and "table rule N" places, each once)."""
    used_by, by_table = [], {}
    for place in dict.fromkeys(places):
        name, _dot, rest = place.partition(".") if " rule " not in place else (place.split(" rule ")[0], "", "")
        try:
            owner = snap.table(name)
        except TableNotFound:
            continue
        if " rule " in place:
            number = place.rsplit(" ", 1)[-1]
            entry = {"table": owner.api_name, "rule": int(number) if number.isdigit() else number,
                     "label": f"rule {number}", "table_label": owner.label}
        else:
            user = owner.field(rest)
            entry = {"table": owner.api_name, "field": rest, "label": user.label if user else rest,
                     "table_label": owner.label}
        used_by.append(entry)
        by_table.setdefault(owner.label, []).append(entry["label"])
    shown = "; ".join(f"{', '.join(labels)} ({label})" for label, labels in by_table.items())
    return FieldInUse(f"{field.label!r} cannot be moved to the trash: it is used by {shown}. "
                      "Change or remove those formulas first.",
                      {"table": table.api_name, "field": field.api_name, "used_by": used_by})


def _changed_words(old: FieldDef, new: FieldDef) -> set[str]:
    """What of a field's own words a change gives anew: label, help text, choice labels."""
    changed = {k for k in ("label",) if getattr(old, k) != getattr(new, k)}
    if old.options.get("help_text") != new.options.get("help_text"):
        changed.add("help_text")
    before = {c.get("value"): c.get("label") for c in old.options.get("choices") or [] if isinstance(c, dict)}
    changed |= {f"choice:{c.get('value')}" for c in new.options.get("choices") or []
                if isinstance(c, dict) and before.get(c.get("value")) != c.get("label")}
    return changed


def _check_table_translations(options) -> None:
    if isinstance(options, dict) and "translations" in options:
        try:
            jsonschema.validate(options["translations"], TABLE_TRANSLATIONS_SCHEMA)
        except jsonschema.ValidationError as exc:
            raise InvalidDefinition(f"Table option 'translations' is not valid: {exc.message}",
                                    {"path": "/".join(map(str, exc.absolute_path))}) from None


def _require_dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidDefinition(f"Expected a {what} definition (a JSON object).", {})
    return value


def _only_keys(spec: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise InvalidDefinition(f"Unknown {what} attribute(s): {', '.join(unknown)}.",
                                {"unknown": unknown, "allowed": sorted(allowed)})


_VALIDATORS: dict[str, Any] = {}


def options_validator(schema: dict):
    """A checked validator per options schema, kept: checking the schema itself on every
    field added (``jsonschema.validate`` does) cost most of a package's apply time."""
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[key] = cls(schema)
    return validator
