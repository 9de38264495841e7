"""Input -> values through the field types; all problems collected per field."""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ..fieldtypes.base import FieldType, FieldValueError
from ..fieldtypes.registry import FieldTypeRegistry
from ..model import TableDef
from ..storage.names import CHILD_COLUMNS, SYSTEM_COLUMNS

IGNORED_INPUT = set(SYSTEM_COLUMNS) - {"owner"} | set(CHILD_COLUMNS)


def parse_input(registry: FieldTypeRegistry, table: TableDef, data: Any, *, partial: bool,
                current: dict | None = None, exempt=frozenset()) -> tuple[dict, dict[str, list[str]]]:
    """(values by api name, errors by api name). System keys (id, version…) are ignored;
    ``exempt``: required fields not required of this writer (hidden from them, read-only)."""
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
    check_required(registry, table, values, errors, partial=partial, exempt=exempt)
    return values, errors


def expected_type(ftype) -> str:
    """'an integer field', 'a single-line text field': what an error message says was expected."""
    name = ftype.label.lower()
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name} field"


def check_required(registry, table: TableDef, values: dict, errors: dict, *, partial: bool,
                   exempt=frozenset()) -> None:
    for field in table.fields:
        if not field.opt("required") or registry.get(field.type).read_only or field.api_name in exempt:
            continue
        if partial and field.api_name not in values:
            continue
        if field.api_name in errors:  # given, but not valid: that message says it
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


@dataclass
class ParsedBatch:
    """A batch of input rows parsed column by column (``RowParser.parse_batch``).

    ``rows``: positions (in the batch given) of the rows without problems; ``values``: api
    name -> those rows' values, in that order (fields given to an encoder may be left
    out, see ``RowParser.encode_with``); ``db``: the same rows' values for each of the
    parser's ``columns``; ``errors``: position -> api name -> messages.
    """

    rows: list[int]
    values: dict[str, list]
    db: list[list]
    errors: dict[int, dict[str, list[str]]]

    def record(self, j: int) -> dict:
        """The values of the ``j``-th row of ``rows`` by api name."""
        return {name: column[j] for name, column in self.values.items()}


class RowParser:
    """The bulk path's parse + encode for one table: the rules of ``parse_input`` (types,
    options, defaults, required), compiled once (``FieldType.parser``).

    ``parse_batch`` takes the rows of a batch column by column: each field's parser runs
    over every row in one loop, which costs a fraction of a loop over rows and fields. A
    batch with any problem (a value that does not parse, a missing required value, an
    unknown key, line items) is parsed again row by row (``parse``) to collect every
    error, so both ways give the same result. ``columns`` are the data columns of ``db``.
    """

    def __init__(self, registry: FieldTypeRegistry, table: TableDef, refuse_read_only: bool = False):
        self.table = table
        self.known = {f.api_name for f in table.fields}
        self.accepted = self.known | IGNORED_INPUT | {"owner"}
        #: read-only fields (counters, formulas) a row may not give a value (imports); a bulk
        #: create leaves such values out instead
        self.read_only = {f.api_name for f in table.fields if registry.get(f.type).read_only} \
            if refuse_read_only else set()
        self.lines = {f.api_name for f in table.fields if f.type == "lines"}
        self.columns: list[str] = []
        self.specs = []  # (api name, parser, raw default, required, expected type)
        self.storage = []  # (api name, field type, field, stored as is)
        for f in table.fields:
            ftype = registry.get(f.type)
            if ftype.read_only or not ftype.has_column:
                continue
            default = f.options.get("default")
            if default is not None:
                try:
                    ftype.parse(default, f)
                except FieldValueError:
                    default = None  # a default that no longer parses is no default (as parse_input)
            columns = [c.name for c in ftype.columns(f)]
            self.columns += columns
            self.storage.append((f.api_name, ftype, f, len(columns) == 1 and _stores_as_is(ftype)))
            self.specs.append((f.api_name, ftype.parser(f), default, bool(f.opt("required")), expected_type(ftype)))
        self.required = [spec[0] for spec in self.specs if spec[3]]
        self.encoders: dict = {}  # api name -> the type's encoder (encode_with)

    def encode_with(self, dialect: str, converters: dict, keep: set[str]) -> set[str]:
        """From now on take the fields that are not in ``keep`` and whose types have an
        ``encoder`` from input to the driver's form in one step (``FieldType.encoder``;
        ``converters``: column -> the driver converter the encoder must agree with). Their
        parsed values are then left out of ``ParsedBatch.values``. Returns their columns,
        whose values in ``ParsedBatch.db`` are ready for the driver."""
        ready: set[str] = set()
        for name, ftype, field, _ in self.storage:
            columns = [c.name for c in ftype.columns(field)]
            encoder = None if name in keep else ftype.encoder(field, dialect, [converters.get(c) for c in columns])
            if encoder is not None:
                self.encoders[name] = encoder
                ready.update(columns)
        return ready

    def parse_batch(self, batch: list) -> ParsedBatch:
        accepted, lines, read_only = self.accepted, self.lines, self.read_only
        for data in batch:
            if type(data) is not dict or not accepted.issuperset(data) or (
                    lines and not lines.isdisjoint(data)) or (read_only and not read_only.isdisjoint(data)):
                return self._by_row(batch)
        values: dict[str, list] = {}
        encoded: dict[str, list[list]] = {}
        encoders = self.encoders
        try:
            for name, parse, default, _, _ in self.specs:
                try:
                    raws = list(map(itemgetter(name), batch))
                except KeyError:  # some rows leave the field out: its default
                    raws = [data.get(name, default) for data in batch]
                if name in encoders:
                    encoded[name] = encoders[name](raws)
                else:
                    values[name] = list(map(parse, raws))
        except FieldValueError:
            return self._by_row(batch)
        for name in self.required:
            column = encoded[name][0] if name in encoded else values[name]
            if None in column or "" in column or [] in column:
                return self._by_row(batch)
        return ParsedBatch(list(range(len(batch))), values, self._db(values, encoded), {})

    def _by_row(self, batch: list) -> ParsedBatch:
        rows, records, errors = [], [], {}
        for k, data in enumerate(batch):
            record, problems = self.parse(data)
            if problems:
                errors[k] = problems
            else:
                rows.append(k)
                records.append(record)
        values = {name: [record[name] for record in records] for name, *_ in self.specs}
        return ParsedBatch(rows, values, self._db(values), errors)

    def _db(self, values: dict[str, list], encoded: dict[str, list[list]] | None = None) -> list[list]:
        db: list[list] = []
        for name, ftype, field, as_is in self.storage:
            if name in self.encoders:  # a parsed value is valid input to its encoder
                db += encoded[name] if encoded is not None else self.encoders[name](values[name])
            elif as_is:
                db.append(values[name])
            else:
                db += ftype.db_columns(values[name], field)
        return db

    def parse(self, data: Any) -> tuple[dict, dict[str, list[str]]]:
        """One row, field by field, every problem collected: (values, errors)."""
        if not isinstance(data, dict):
            return {}, {"_record": ["expected an object with field values"]}
        errors: dict[str, list[str]] = {}
        for key in data:
            if key not in self.accepted:
                errors[key] = [f"unknown field; {self.table.label!r} has no field {key!r}"]
            elif key in self.lines and data[key]:
                errors[key] = ["line items are not accepted in bulk; create those records one by one"]
        values: dict[str, Any] = {}
        for name, parse, default, required, label in self.specs:
            try:
                value = parse(data.get(name, default))
            except FieldValueError as exc:
                errors[name] = [f"{exc.message} ({label})"]
                continue
            if required and (value is None or value == "" or value == []):
                errors[name] = ["is required"]
            values[name] = value
        for name in self.read_only.intersection(data):
            if data[name] is not None:
                errors[name] = ["is read-only"]
        return values, errors


def _stores_as_is(ftype) -> bool:
    return type(ftype).to_db is FieldType.to_db
