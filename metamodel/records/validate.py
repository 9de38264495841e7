"""Input -> values through the field types; all problems collected per field."""

from __future__ import annotations

from typing import Any

from ..fieldtypes.base import FieldValueError
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from ..storage.names import CHILD_COLUMNS, SYSTEM_COLUMNS

IGNORED_INPUT = set(SYSTEM_COLUMNS) - {"owner"} | set(CHILD_COLUMNS)


def parse_input(registry: FieldTypeRegistry, table: TableDef, data: Any, *, partial: bool,
                current: dict | None = None) -> tuple[dict, dict[str, list[str]]]:
    """(values by api name, errors by api name). System keys (id, version…) are ignored."""
    if not isinstance(data, dict):
        return {}, {"_record": ["expected an object with field values"]}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    by_name = {f.api_name: f for f in table.fields}
    for key, raw in data.items():
        if key in IGNORED_INPUT:
            continue
        if key == "owner":
            continue  # handled by the service (only administrators may set it)
        field = by_name.get(key)
        if field is None:
            errors.setdefault(key, []).append(f"unknown field; {table.label!r} has no field {key!r}")
            continue
        ftype = registry.get(field.type)
        if ftype.read_only:
            if current is not None and _same(ftype, field, raw, current.get(key)):
                continue
            if raw is not None:
                errors.setdefault(key, []).append("is read-only")
            continue
        try:
            values[key] = ftype.parse(raw, field)
        except FieldValueError as exc:
            errors.setdefault(key, []).append(f"{exc.message} ({expected_type(ftype)})")
    if not partial:
        for field in table.fields:
            ftype = registry.get(field.type)
            if field.api_name in values or ftype.read_only:
                continue
            default = field.options.get("default")
            if default is not None and field.api_name not in data:
                try:
                    values[field.api_name] = ftype.parse(default, field)
                except FieldValueError:
                    pass
    check_required(registry, table, values, errors, partial=partial)
    return values, errors


def expected_type(ftype) -> str:
    """'an integer field', 'a single-line text field': what an error message says was expected."""
    name = ftype.label.lower()
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name} field"


def check_required(registry, table: TableDef, values: dict, errors: dict, *, partial: bool) -> None:
    for field in table.fields:
        if not field.opt("required") or registry.get(field.type).read_only:
            continue
        if partial and field.api_name not in values:
            continue
        value = values.get(field.api_name)
        if value is None or value == [] or value == "":
            errors.setdefault(field.api_name, []).append("is required")


def _same(ftype, field, raw, current) -> bool:
    if raw is None:
        return True
    try:
        return ftype.to_json(ftype.parse(raw, field), field) == ftype.to_json(current, field)
    except FieldValueError:
        return False


_MISSING = object()


class RowParser:
    """The bulk path's parse + encode for one table: same rules as ``parse_input`` (types,
    options, defaults, required), compiled once so each row costs only the field parsers.
    ``parse(data)`` returns (values, db_values, errors); every row gets every column.
    """

    def __init__(self, registry: FieldTypeRegistry, table: TableDef):
        from ..fieldtypes.base import FieldType
        from ..storage.names import column_name

        self.table = table
        self.known = {f.api_name for f in table.fields}
        self.specs = []
        for f in table.fields:
            ftype = registry.get(f.type)
            if ftype.read_only or not ftype.has_column:
                continue
            default = None
            if f.options.get("default") is not None:
                try:
                    default = ftype.parse(f.options["default"], f)
                except FieldValueError:
                    default = None
            simple = type(ftype).to_db is FieldType.to_db
            self.specs.append((f.api_name, ftype, f, default, bool(f.opt("required")),
                               column_name(f.id) if simple else None, expected_type(ftype)))
        self.lines = {f.api_name for f in table.fields if f.type == "lines"}

    def parse(self, data: Any) -> tuple[dict, dict, dict[str, list[str]]]:
        if not isinstance(data, dict):
            return {}, {}, {"_record": ["expected an object with field values"]}
        errors: dict[str, list[str]] = {}
        for key in data:
            if key not in self.known and key not in IGNORED_INPUT and key != "owner":
                errors[key] = [f"unknown field; {self.table.label!r} has no field {key!r}"]
            elif key in self.lines and data[key]:
                errors[key] = ["line items are not accepted in bulk; create those records one by one"]
        values: dict[str, Any] = {}
        db: dict[str, Any] = {}
        for name, ftype, field, default, required, column, label in self.specs:
            raw = data.get(name, _MISSING)
            if raw is _MISSING:
                value = default
            else:
                try:
                    value = ftype.parse(raw, field)
                except FieldValueError as exc:
                    errors[name] = [f"{exc.message} ({label})"]
                    continue
            if required and (value is None or value == "" or value == []):
                errors[name] = ["is required"]
            values[name] = value
            if column is not None:
                db[column] = value
            else:
                db.update(ftype.to_db(value, field))
        return values, db, errors
