"""Fill from a link: a link field's option ``fill`` copies values of the record picked.

``fill: {price: price, description: description}`` on an invoice line's ``product`` link
means: when a line is saved with a product, the line's ``price`` (the key, a field of this
table) gets the product's ``price`` (the value, a field of the linked table), and the same
for ``description``. The record service applies it when a record is created with the link
set, and when a save changes the link:

* a target field left empty (not given, or given empty) is filled;
* a target the save gives a value keeps that value (what the user typed wins);
* on a change of the link, a target the save leaves out is refilled when it still holds
  the previously linked record's value (a price copied from the old product follows the
  new one; a price typed by hand stays).

Only fields of the linked record the acting user may read are copied, from a record in
their reach. A copied value goes through the target field's own parsing and checks (a
text too long for the target is an error on that field, never cut). Clearing the link
leaves the copied values alone. Entries that do not resolve (a field since renamed or
trashed) are skipped; packages are checked for them when validated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..catalog import Snapshot
from ..errors import InvalidDefinition
from ..fieldtypes.base import FieldValueError
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import FieldDef, TableDef

NOT_FILLABLE = ("lines", "formula", "counter")


def fill_from_links(conn, snap: Snapshot, registry: FieldTypeRegistry, view, table: TableDef,
                    data: Any, values: dict, errors: dict, current: dict | None = None) -> list[str]:
    """Apply the ``fill`` options of ``table``'s links to ``values`` (parsed input);
    ``current`` is the stored record on an update (None on a create). Returns the names
    of the fields filled; a value that does not fit its field is an error in ``errors``."""
    if not isinstance(data, dict):
        return []
    filled: list[str] = []
    for link in table.fields:
        mapping = link.opt("fill") if link.type == "link" else None
        if not mapping or link.api_name not in values or values[link.api_name] is None:
            continue
        new_id = values[link.api_name]
        old_id = _id(current.get(link.api_name)) if current is not None else None
        if current is not None and new_id == old_id:
            continue
        target = snap.table_by_id(int(link.options["target_id"]))
        readable = {f.api_name for f in view.readable(target)}
        pairs = [(table.field(dest), target.field(src)) for dest, src in mapping.items()]
        pairs = [(d, s) for d, s in pairs if d is not None and s is not None and s.api_name in readable
                 and d.type not in NOT_FILLABLE and not registry.get(d.type).read_only]
        if not pairs:
            continue
        new_row = _read(conn, snap, registry, target, new_id, [s for _d, s in pairs], view.where)
        if new_row is None:
            continue  # not a record in reach: the save's link check reports it
        old_row = _read(conn, snap, registry, target, old_id, [s for _d, s in pairs], None) \
            if old_id is not None else {}
        for dest, src in pairs:
            if not _wanted(registry, dest, src, data, values, current, old_row):
                continue
            value = new_row.get(src.api_name)
            if value is None and _empty(values.get(dest.api_name)) and \
                    _empty((current or {}).get(dest.api_name)):
                continue
            try:
                values[dest.api_name] = _convert(registry, src, dest, value)
            except FieldValueError as exc:
                errors.setdefault(dest.api_name, []).append(
                    f"could not be copied from {target.label} ({exc.message})")
                continue
            if errors.get(dest.api_name) == ["is required"] and values[dest.api_name] is not None:
                errors.pop(dest.api_name)
            filled.append(dest.api_name)
    return filled


def check_fill_option(snap: Snapshot, table: TableDef, options: dict, link_name: str | None) -> None:
    """A link's ``fill`` option, when it is defined: names of this table's fields mapped to
    names of the target's fields (the target's must exist; this table's may be added later)."""
    mapping = options.get("fill")
    if mapping is None:
        return
    target = snap.tables.get(options.get("target_id"))
    for dest, src in mapping.items():
        if dest == link_name:
            raise InvalidDefinition("A link cannot fill itself.", {"fill": dest})
        if target is not None and target.field(src) is None:
            raise InvalidDefinition(f"{target.label!r} has no field {src!r} to fill {dest!r} from.",
                                    {"fill": dest, "field": src})
        own = table.field(dest)
        if own is not None and own.type in NOT_FILLABLE:
            raise InvalidDefinition(f"{own.label!r} is computed or holds line items; it cannot be filled.",
                                    {"fill": dest})


def _wanted(registry, dest: FieldDef, src: FieldDef, data: dict, values: dict, current: dict | None,
            old_row: dict) -> bool:
    if dest.api_name in data:
        return _empty(values.get(dest.api_name))
    if current is None:
        return _empty(values.get(dest.api_name))
    held = current.get(dest.api_name)
    if _empty(held):
        return True
    try:
        before = _convert(registry, src, dest, old_row.get(src.api_name))
    except FieldValueError:
        return False
    ftype = registry.get(dest.type)
    return before is not None and ftype.to_json(before, dest) == ftype.to_json(held, dest)


def _read(conn, snap: Snapshot, registry, target: TableDef, record_id, fields: list[FieldDef],
          where) -> dict | None:
    sql = snap.sql_table(target)
    clauses = [sql.c.id == record_id]
    if where is not None:
        clauses += [sql.c.deleted_at.is_(None), *where(target, sql)]
    row = conn.execute(select(sql).where(*clauses)).mappings().first()
    if row is None:
        return None
    return {f.api_name: registry.get(f.type).from_db(row, f) for f in fields}


def _convert(registry, src: FieldDef, dest: FieldDef, value):
    if value is None:
        return None
    plain = registry.get(src.type).to_json(value, src)
    return registry.get(dest.type).parse(plain, dest)


def _id(value) -> int | None:
    if isinstance(value, dict):
        return value.get("id")
    return value


def _empty(value) -> bool:
    return value is None or value == "" or value == []
