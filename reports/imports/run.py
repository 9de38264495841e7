"""Running an import: file -> mapped, converted rows -> ``RecordService.write_many``.

Steps: open the source (detect encoding, delimiter, header row) -> mapping (auto-matched,
for the columns a given mapping leaves out) -> for each row: convert cells per field type,
resolve links by id (an ``(id)`` column) or by display value or key field (cached, looked
up in chunks), find the record to update by the key field -> ``write_many`` validates
every row and writes all or nothing (or nothing at all in a dry run). Row errors are
reported with the file row, the column header, the cell value and the reason; the cell
values of failed rows are read again from the file at the end, so memory does not grow
with the file. Every lookup runs in the import's own transaction (``batch.Lookups``).

What an export writes comes back (docs/import-export.md):

* ``<label> (currency)`` goes with the money field's amount (mapping target
  ``<field>.currency``); ``<label> (id)`` gives a link's or user's id (``<field>.id``),
  checked against the display column when both are there;
* line items: the sheets of an XLSX named after a lines field, or CSV files given per
  lines field (``lines_files``), keyed by ``Record ID`` — the ``ID`` column of the
  records' sheet; a JSON export holds them inside each record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Callable, Iterator

from cardfile.metamodel.errors import BadQuery

from .convert import NOT_IMPORTABLE, CellError, ImportMappingInvalid, auto_mapping, normalize, prepare, preparer
from .reader import ImportFileInvalid, Source, open_source, sheet_names

MODES = ("create", "update", "upsert")
LOOKUP_CHUNK = 2000
MAX_REPORTED = 10_000
ID_PART, CURRENCY_PART = "id", "currency"
RECORD_KEY = "id"           # the records' ID column (normalized), what line items point at
LINE_KEY = "recordid"       # the line items' Record ID column (normalized)
SYSTEM_KEYS = {"id", "version", "created_at", "created_by", "updated_at", "updated_by", "owner", "deleted_at",
               "position", "parent_id"}


@dataclass
class ImportOptions:
    mapping: dict | None = None            # column header -> field api name (None: skip)
    mode: str = "create"                   # create, update or upsert
    key: str | None = None                 # field identifying the record to update
    links: dict = dc_field(default_factory=dict)  # link field -> key field of its target
    dry_run: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    sheet: str | None = None
    format: str | None = None
    keep_ids: bool = False                 # create records with the IDs of the file's ID column
    locale: str | None = None              # reads currency signs ("$" is CAD in en_CA, "lei" MDL in ro_MD)

    @classmethod
    def from_dict(cls, data: dict | None) -> "ImportOptions":
        data = dict(data or {})
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise BadQuery(f"Unknown import option(s): {', '.join(sorted(unknown))}.",
                           {"options": sorted(unknown), "known": sorted(known)})
        return cls(**data)


def run_import(runtime, actor, table_name: str, path, filename: str = "", options: ImportOptions | None = None,
               progress: Callable[[int], None] | None = None, lines_files: dict | None = None) -> dict:
    """``lines_files``: lines field -> a CSV or XLSX file of its line items (a CSV export's
    second file); an XLSX's own sheets named after a lines field are read without it."""
    options = options or ImportOptions()
    if options.mode not in MODES:
        raise BadQuery(f"Import mode must be one of {', '.join(MODES)}; got {options.mode!r}.", {"mode": options.mode})
    snap = runtime.schema.snapshot()
    table = snap.table(table_name)
    runtime.access.check_table(actor, table, "read")
    view = runtime.access.view(actor, snap)
    readable = {f.api_name: f for f in view.readable(table)}
    writable = {k: f for k, f in readable.items() if not runtime.registry.get(f.type).read_only}
    if _is_json(path, filename, options):
        return _run_json(runtime, actor, snap, table, view, path, filename, options, readable, writable, progress)
    source = open_source(path, filename, {"encoding": options.encoding, "delimiter": options.delimiter,
                                          "header_row": options.header_row, "sheet": options.sheet,
                                          "format": options.format})
    mapping = merged_mapping(source.headers, writable, options.mapping)
    columns = _Columns.build(runtime, table, source.headers, mapping, writable)
    if options.mode != "create":
        if not options.key or options.key not in readable:
            raise BadQuery(f"Mode {options.mode!r} needs a key field of {table.label!r} to find the records.",
                           {"key": options.key})
        if options.key not in columns.values.values():
            raise BadQuery(f"The key field {options.key!r} is not mapped to a column.", {"key": options.key})
    parts = _line_parts(runtime, view, snap, table, source, writable, lines_files or {}, options)
    rows = _Rows(runtime, actor, snap, table, source, columns, options, parts)
    if options.keep_ids:  # a restore keeps the counters' values too (INV-2026-0012 stays)
        counters = {normalize(t): f.api_name for f in readable.values() if f.type == "counter"
                    for t in (f.label, f.api_name)}
        rows.counters = {i: counters[normalize(h)] for i, h in enumerate(source.headers)
                         if normalize(h) in counters and mapping.get(h) is None}
    if options.keep_ids and (options.mode != "create" or rows.record_key is None):
        raise BadQuery("Keeping the IDs needs mode create and the file's ID column.",
                       {"keep_ids": True, "mode": options.mode})
    report = runtime.records.write_many(actor, table_name, rows.items, mode=options.mode,
                                        dry_run=options.dry_run, source=filename or source.path.name,
                                        progress=progress, veto=lambda: bool(rows.errors),
                                        keep_ids=options.keep_ids)
    errors = _merge_errors(rows.errors, report.errors, table, columns, source, parts)
    return {
        "table": table_name, "dry_run": options.dry_run, "written": report.written,
        "import_id": report.import_id, "mode": options.mode, "key": options.key,
        "source": source.describe(), "mapping": {h: mapping.get(h) for h in source.headers},
        "lines": {p.field.api_name: {"source": p.name, "mapping": p.mapping, "rows": p.count} for p in parts},
        "rows": report.rows, "created": report.created if report.written or options.dry_run else 0,
        "updated": report.updated if report.written or options.dry_run else 0,
        "error_count": len(errors) if len(errors) < MAX_REPORTED else report.error_count + len(rows.errors),
        "errors": errors[:MAX_REPORTED], "preview": report.preview,
    }


# --- mapping ------------------------------------------------------------------------------
def merged_mapping(headers: list[str], writable: dict, given: dict | None) -> dict[str, str | None]:
    """Column header -> field: the columns ``given`` maps (a field, or None to skip it) as
    given, every other column auto-matched by label or API name to a field not mapped yet;
    ``<label> (id)`` and ``<label> (currency)`` go to ``<field>.id`` and ``<field>.currency``."""
    given = dict(given or {})
    taken = {name for name in given.values() if name}
    auto = auto_mapping(headers, [f for name, f in writable.items() if name not in taken])
    parts = {}
    for f in writable.values():
        kinds = (ID_PART,) if f.type in ("link", "user") else (CURRENCY_PART,) if f.type == "money" else ()
        for kind in kinds:
            target = f"{f.api_name}.{kind}"
            if target not in taken:
                for text in (f"{f.label} ({kind})", f"{f.api_name} ({kind})", target):
                    parts.setdefault(normalize(text), target)
    mapping, used = {}, set(taken)
    for h in [*headers, *[h for h in given if h not in headers]]:
        if h in given:
            mapping[h] = given[h]
        elif auto.get(h):
            mapping[h] = auto[h]
        else:
            target = parts.get(normalize(h))
            mapping[h] = target if target and target not in used else None
        if mapping[h]:
            used.add(mapping[h])
    return mapping


@dataclass
class _Columns:
    """A mapping checked against the fields: value columns, id columns of links and users,
    currency columns of money fields (column index -> field api name)."""

    values: dict[int, str]
    ids: dict[int, str]
    currencies: dict[int, str]
    headers: list[str]

    @classmethod
    def build(cls, runtime, table, headers: list[str], mapping: dict, writable: dict, need_one: bool = True):
        problems, values, ids, currencies, used = [], {}, {}, {}, {}
        positions = {h: i for i, h in reversed(list(enumerate(headers)))}
        for header, name in mapping.items():
            if name in (None, ""):
                continue
            if header not in positions:
                problems.append(f"the file has no column {header!r}")
                continue
            base, _, part = str(name).partition(".")
            f = writable.get(base)
            if f is None:
                problems.append(f"{table.label!r} has no field {base!r} that can be imported")
                continue
            if part and not ((part == ID_PART and f.type in ("link", "user")) or
                             (part == CURRENCY_PART and f.type == "money")):
                problems.append(f"{name!r} is not a part of {f.label!r} that can be imported "
                                f"(links and users have .id, money has .currency)")
                continue
            if f.type in NOT_IMPORTABLE:
                problems.append(f"{f.label!r} ({f.type}) cannot be imported from a file")
                continue
            if name in used:
                problems.append(f"columns {used[name]!r} and {header!r} both go to {name!r}")
                continue
            used[name] = header
            {"": values, ID_PART: ids, CURRENCY_PART: currencies}[part][positions[header]] = base
        if problems:
            raise ImportMappingInvalid("The column mapping is not valid: " + "; ".join(problems) + ".",
                                       {"problems": problems, "columns": headers})
        if need_one and not (values or ids):
            raise ImportMappingInvalid("No column is mapped to a field; map at least one.",
                                       {"columns": headers, "fields": sorted(writable)})
        return cls(values, ids, currencies, headers)

    def index_of(self) -> dict[str, int]:
        """Mapping target (``field``, ``field.id``, ``field.currency``) -> column index."""
        out = {f"{name}.{ID_PART}": i for i, name in self.ids.items()}
        out.update({f"{name}.{CURRENCY_PART}": i for i, name in self.currencies.items()})
        out.update({name: i for i, name in self.values.items()})
        for i, name in self.ids.items():
            out.setdefault(name, i)  # a link found by its id column only
        return out

    def header_of(self) -> dict[str, str]:
        return {name: self.headers[i] for name, i in self.index_of().items()}


class _Converter:
    """Cells of one row -> field values of one table (``prefix`` names the lines field of
    line items in errors)."""

    def __init__(self, table, columns: _Columns, links: "_LinkResolver", prefix: str = "",
                 locale: str | None = None):
        self.table, self.columns, self.links, self.prefix = table, columns, links, prefix
        self.cells = [(i, table.field(name), preparer(table.field(name).type, table.field(name), locale),
                       table.field(name).type in ("link", "user")) for i, name in columns.values.items()]
        self.display_index = {name: i for i, name in columns.values.items()}
        self.width = len(columns.headers)

    def prefetch(self, rows: list[list]) -> None:
        fields = {i: self.table.field(name) for i, name in self.columns.values.items()}
        with_id = {name: i for i, name in self.columns.ids.items()}
        self.links.prefetch(fields, rows, {name: [r[i] for r in rows if i < len(r)] for name, i in with_id.items()},
                            self.table)

    def convert(self, number: int, cells: list, errors: list) -> dict:
        data = {}
        width = len(cells)
        failed = set()
        for i, f, convert, linked in self.cells:
            if f.api_name in self.columns.ids.values() and _id_cell(cells, self.columns.ids, f.api_name):
                continue  # found by its id below
            try:
                value = convert(cells[i] if i < width else None)
                if linked and value is not None:
                    value = self.links.resolve(f, value)
            except CellError as exc:
                errors.append((number, self.prefix + f.api_name, str(exc)))
                failed.add(f.api_name)
                continue
            data[f.api_name] = value
        for i, name in self.columns.ids.items():
            raw = cells[i] if i < width else None
            if _blank(raw):
                continue
            f = self.table.field(name)
            try:
                record_id = _whole(raw)
                shown = cells[self.display_index[name]] if name in self.display_index and \
                    self.display_index[name] < width else None
                if not _blank(shown):
                    self.links.check_display(f, record_id, str(shown).strip())
            except CellError as exc:
                errors.append((number, self.prefix + f"{name}.id", str(exc)))
                failed.add(name)
                continue
            data[name] = record_id
        for i, name in self.columns.currencies.items():
            raw = cells[i] if i < width else None
            if _blank(raw) or name in failed:
                continue
            if data.get(name) is None:
                if name in self.display_index:
                    continue  # an empty amount: the currency alone says nothing
                errors.append((number, self.prefix + f"{name}.currency", "a currency without an amount"))
                continue
            data[name] = {"amount": data[name], "currency": str(raw).strip()}
        return data


def _id_cell(cells: list, ids: dict[int, str], name: str) -> bool:
    for i, n in ids.items():
        if n == name:
            return i < len(cells) and not _blank(cells[i])
    return False


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole(raw) -> int:
    """A record or user id from a cell (``12``, ``"12"``, ``12.0`` from a spreadsheet, ``#12``)."""
    if isinstance(raw, bool):
        raise CellError(f"expected an id (a whole number), got {raw!r}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        text = str(raw).strip().lstrip("#")
        if not text.isdigit():
            raise CellError(f"expected an id (a whole number), got {str(raw)!r}")
        value = int(text)
    if not 0 < value < 2 ** 62:
        raise CellError(f"expected an id (a whole number), got {str(raw)!r}")
    return value


# --- line items ---------------------------------------------------------------------------
@dataclass
class _LinePart:
    """The line items of one lines field: their source, columns and rows by record key."""

    field: object                 # the lines field
    child: object                 # its line-item table
    name: str                     # sheet or file name (errors say where)
    source: Source
    columns: _Columns
    mapping: dict
    key_index: int
    rows: dict[str, list[tuple[int, list]]] = dc_field(default_factory=dict)
    count: int = 0
    converter: _Converter | None = None

    def read(self) -> None:
        for number, cells in self.source.rows():
            raw = cells[self.key_index] if self.key_index < len(cells) else None
            self.rows.setdefault(_key(raw), []).append((number, cells))
            self.count += 1


def _key(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip().lstrip("#")


def _line_parts(runtime, view, snap, table, source: Source, writable: dict, files: dict, options) -> list[_LinePart]:
    lines_fields = {f.api_name: f for f in writable.values() if f.type == "lines"}
    unknown = sorted(set(files) - set(lines_fields))
    if unknown:
        raise BadQuery(f"{table.label!r} has no line items called {', '.join(unknown)}.",
                       {"lines": unknown, "allowed": sorted(lines_fields)})
    found: list[tuple] = []
    for name, path in files.items():
        opened = open_source(path, Path(str(path)).name, {})
        found.append((lines_fields[name], opened, Path(str(path)).name))
    if source.kind == "xlsx" and lines_fields:
        by_name = {}
        for f in lines_fields.values():
            for text in (f.label, f.api_name, f"{f.label} ({f.api_name})"):
                by_name.setdefault(normalize(text[:31]), f)
        for sheet in sheet_names(source.path):
            f = by_name.get(normalize(sheet))
            if sheet != source.sheet and f is not None and f.api_name not in files:
                found.append((f, open_source(source.path, source.path.name, {"sheet": sheet}), sheet))
    parts = []
    for f, opened, name in found:
        if options.mode != "create":
            raise BadQuery("Line items are imported with new records only (mode create).",
                           {"lines": f.api_name, "mode": options.mode})
        child = snap.child_table(f)
        child_writable = {k: c for k, c in {c.api_name: c for c in view.readable(child)}.items()
                          if not runtime.registry.get(c.type).read_only}
        key_index = next((i for i, h in enumerate(opened.headers) if normalize(h) == LINE_KEY), None)
        if key_index is None:
            raise ImportMappingInvalid(f"The line items of {f.label!r} ({name}) need a 'Record ID' column: the ID "
                                       "of the record each line belongs to.", {"lines": f.api_name,
                                                                               "columns": opened.headers})
        mapping = merged_mapping(opened.headers, child_writable, None)
        mapping[opened.headers[key_index]] = None
        columns = _Columns.build(runtime, child, opened.headers, mapping, child_writable)
        part = _LinePart(f, child, name, opened, columns, mapping, key_index)
        part.read()
        parts.append(part)
    if parts and not any(normalize(h) == RECORD_KEY for h in source.headers):
        raise ImportMappingInvalid("Records with line items need their 'ID' column (the Record ID the lines "
                                   "point at).", {"columns": source.headers})
    return parts


# --- rows ---------------------------------------------------------------------------------
class _Rows:
    def __init__(self, runtime, actor, snap, table, source: Source, columns: _Columns, options,
                 parts: list[_LinePart]):
        self.runtime, self.actor, self.snap, self.table = runtime, actor, snap, table
        self.source, self.columns, self.options, self.parts = source, columns, options, parts
        self.errors: list[tuple[int, str, str]] = []
        self.links = _LinkResolver(runtime, actor, snap, table, options.links)
        self.converter = _Converter(table, columns, self.links, locale=options.locale)
        for part in parts:
            part.converter = _Converter(part.child, part.columns, self.links, prefix=f"{part.field.api_name}.",
                                        locale=options.locale)
        self.key_index = next((i for i, n in columns.values.items() if n == options.key), None)
        self.record_key = next((i for i, h in enumerate(source.headers) if normalize(h) == RECORD_KEY), None)
        self.keys: dict[str, list[int]] = {}
        self.width = len(source.headers)
        self.lookups = None
        self.counters: dict[int, str] = {}  # column -> counter field whose values are kept (keep_ids)

    def items(self, lookups) -> Iterator[tuple[int, int | None, dict]]:
        """The rows as ``write_many`` takes them; links, keys and users are looked up
        through ``lookups``, in the import's own transaction."""
        self.lookups = self.links.lookups = lookups
        pending: list[tuple[int, list]] = []
        claimed: set[str] = set()
        for number, cells in self.source.rows():
            pending.append((number, cells))
            if len(pending) >= LOOKUP_CHUNK:
                yield from self._convert(pending, claimed)
                pending = []
        if pending:
            yield from self._convert(pending, claimed)
        for part in self.parts:
            for key, rows in part.rows.items():
                if key not in claimed:
                    for number, _ in rows:
                        self.errors.append((number, f"{part.field.api_name}.", f"no record in the file has the ID "
                                                                              f"{key!r} this line points at"))

    def _convert(self, chunk: list[tuple[int, list]], claimed: set) -> Iterator[tuple[int, int | None, dict]]:
        self.converter.prefetch([cells for _, cells in chunk])
        if self.key_index is not None:
            self._prefetch_keys([cells for _, cells in chunk])
        lines_of = {}
        if self.parts and self.record_key is not None:
            for part in self.parts:
                wanted = [cells for _, cells in chunk]
                keys = {_key(c[self.record_key]) for c in wanted if self.record_key < len(c)}
                rows = [cells for k in keys for _, cells in part.rows.get(k, [])]
                part.converter.prefetch(rows)
                lines_of[part.field.api_name] = (part, keys)
        for number, cells in chunk:
            if len(cells) > self.width and any(str(c).strip() for c in cells[self.width:]):
                self.errors.append((number, "", f"the row has {len(cells)} cells but there are "
                                                f"{self.width} columns"))
            data = self.converter.convert(number, cells, self.errors)
            if self.options.keep_ids:
                raw = cells[self.record_key] if self.record_key < len(cells) else None
                try:
                    data["id"] = _whole(raw)
                except CellError:
                    data["id"] = None  # write_many names the row
                for i, name in self.counters.items():
                    value = cells[i] if i < len(cells) else None
                    data[name] = None if _blank(value) else str(value).strip()
            if lines_of:
                key = _key(cells[self.record_key]) if self.record_key < len(cells) else ""
                for name, (part, _) in lines_of.items():
                    items = part.rows.get(key, []) if key else []
                    if key:
                        claimed.add(key)
                    data[name] = [(line_number, part.converter.convert(line_number, line_cells, self.errors))
                                  for line_number, line_cells in items]
            record_id = self._record_id(number, cells)
            if record_id is False:
                continue
            yield number, record_id, data

    def _prefetch_keys(self, rows: list[list]) -> None:
        texts = {str(prepare("text", r[self.key_index])) for r in rows
                 if self.key_index < len(r) and prepare("text", r[self.key_index]) is not None}
        missing = [t for t in texts if t.strip().casefold() not in self.keys]
        if missing:
            found = self.lookups.records(self.table.api_name, self.options.key, missing)
            for t in missing:
                self.keys[t.strip().casefold()] = found.get(t.strip().casefold(), [])

    def _record_id(self, number: int, cells: list):
        if self.key_index is None:
            return None
        raw = prepare("text", cells[self.key_index] if self.key_index < len(cells) else None)
        return self.record_for(number, raw)

    def record_for(self, number: int, raw):
        if raw is None:
            self.errors.append((number, self.options.key, "the key is empty"))
            return False
        ids = self.keys.get(str(raw).strip().casefold(), [])
        if len(ids) > 1:
            self.errors.append((number, self.options.key,
                                f"{len(ids)} records have this key (#{', #'.join(map(str, ids[:5]))}); "
                                "the key must identify one record"))
            return False
        if not ids:
            if self.options.mode == "update":
                self.errors.append((number, self.options.key, "no record has this key"))
                return False
            return None
        return ids[0]


class _LinkResolver:
    """Link cells -> ids: ``#12`` or a bare id when the key is numeric, otherwise the
    target's display value (or ``options.links[field]``), looked up in chunks and cached;
    an id column's ids are checked against the display given beside them."""

    def __init__(self, runtime, actor, snap, table, keys: dict):
        self.runtime, self.actor, self.snap, self.table, self.keys = runtime, actor, snap, table, keys
        self.cache: dict[tuple, dict[str, list[int]]] = {}
        self.shown: dict[tuple, dict[int, str]] = {}
        self.users: dict[str, list[int]] | None = None
        self.user_names: dict[int, set[str]] = {}
        self.lookups = None  # set when the import's transaction starts (batch.Lookups)

    def prefetch(self, fields: dict, rows: list[list], ids: dict | None = None, table=None) -> None:
        table = table or self.table
        for i, f in fields.items():
            if f.type != "link":
                continue
            known = self.cache.setdefault((table.id, f.api_name), {})
            texts = {str(r[i]).strip() for r in rows if i < len(r) and r[i] is not None and str(r[i]).strip()}
            missing = [t for t in texts if t.casefold() not in known and not t.startswith("#")]
            if missing:
                target = self.snap.table_by_id(int(f.options["target_id"]))
                found = self.lookups.records(target.api_name, self.keys.get(f.api_name), missing)
                for t in missing:
                    known[t.casefold()] = found.get(t.casefold(), [])
        for name, raws in (ids or {}).items():
            f = table.field(name)
            if f.type != "link":
                continue
            wanted = set()
            for raw in raws:
                try:
                    wanted.add(_whole(raw))
                except CellError:
                    continue
            shown = self.shown.setdefault((table.id, name), {})
            missing = sorted(wanted - set(shown))
            if missing:
                target = self.snap.table_by_id(int(f.options["target_id"]))
                shown.update(self.lookups.displays(target.api_name, missing))

    def resolve(self, f, value):
        text = str(value).strip()
        if text.startswith("#") and text[1:].isdigit():
            return int(text[1:])
        if f.type == "user":
            return self._user(text)
        ids = self.cache.get((f.table_id, f.api_name), {}).get(text.casefold(), [])
        if len(ids) == 1:
            return ids[0]
        target = self.snap.table_by_id(int(f.options["target_id"]))
        if len(ids) > 1:
            raise CellError(f"{len(ids)} {target.label} records are called {text!r}; use a unique key")
        raise CellError(f"no {target.label} record is called {text!r}")

    def check_display(self, f, record_id: int, shown: str) -> None:
        """The id of an ``(id)`` column must be the record the display column names."""
        if f.type == "user":
            self._load_users()
            names = self.user_names.get(record_id)
            actual = None if names is None else next(iter(sorted(names)))
            same = names is None or normalize(shown) in {normalize(n) for n in names}
        else:
            actual = self.shown.get((f.table_id, f.api_name), {}).get(record_id)
            same = actual is None or normalize(actual) == normalize(shown)
        if not same:
            raise CellError(f"#{record_id} is {actual!r} here, not {shown!r}; the file may come from another "
                            f"database: leave the id column out to find the records by name")

    def _load_users(self) -> None:
        if self.users is None:
            self.users = {}
            for u in self.lookups.users():
                keys = {normalize(k) for k in (u["username"], u.get("name")) if k}
                self.user_names[u["id"]] = {k for k in (u["username"], u.get("name")) if k}
                for key in keys:
                    self.users.setdefault(key, []).append(u["id"])

    def _user(self, text: str) -> int:
        self._load_users()
        ids = self.users.get(normalize(text), [])
        if len(ids) == 1:
            return ids[0]
        raise CellError(f"no single user is called {text!r}")


# --- JSON ---------------------------------------------------------------------------------
def _is_json(path, filename: str, options) -> bool:
    return options.format == "json" or (options.format is None and
                                        str(filename or Path(str(path)).name).lower().endswith(".json"))


def _run_json(runtime, actor, snap, table, view, path, filename, options, readable, writable, progress) -> dict:
    """A JSON export (an array of records in the API's shape, line items inside) back in."""
    try:
        with open(path, "rb") as handle:
            records = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ImportFileInvalid(f"The file is not a JSON array of records ({exc}).", {}) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ImportFileInvalid("The file is not a JSON array of records (objects).", {})
    if options.mode != "create" and (not options.key or options.key not in readable):
        raise BadQuery(f"Mode {options.mode!r} needs a key field of {table.label!r} to find the records.",
                       {"key": options.key})
    if options.keep_ids and options.mode != "create":
        raise BadQuery("Keeping the IDs needs mode create.", {"keep_ids": True, "mode": options.mode})
    rows = _JsonRows(runtime, actor, snap, table, view, records, options, readable, writable)
    report = runtime.records.write_many(actor, table.api_name, rows.items, mode=options.mode,
                                        dry_run=options.dry_run, source=filename or Path(str(path)).name,
                                        progress=progress, veto=lambda: bool(rows.errors),
                                        keep_ids=options.keep_ids)
    errors = sorted(({"row": row, "column": field, "field": field, "reason": reason, "value": None}
                     for row, field, reason in rows.errors), key=lambda e: (e["row"], e["field"]))
    seen = {(e["row"], e["field"]) for e in errors}
    errors += [{"row": e.row, "column": e.field, "field": e.field, "reason": e.message, "value": None}
               for e in report.errors if (e.row, e.field) not in seen]
    errors.sort(key=lambda e: (e["row"], e["field"]))
    return {
        "table": table.api_name, "dry_run": options.dry_run, "written": report.written,
        "import_id": report.import_id, "mode": options.mode, "key": options.key,
        "source": {"format": "json", "records": len(records)}, "mapping": None, "lines": {},
        "rows": report.rows, "created": report.created if report.written or options.dry_run else 0,
        "updated": report.updated if report.written or options.dry_run else 0,
        "error_count": len(errors), "errors": errors[:MAX_REPORTED], "preview": report.preview,
    }


class _JsonRows:
    """Records as the API shows them -> input: links and users by their id, money as it is,
    line items inside; what Cardfile keeps (ids, versions, formulas, counters) left out."""

    def __init__(self, runtime, actor, snap, table, view, records: list, options, readable, writable):
        self.runtime, self.snap, self.table, self.view = runtime, snap, table, view
        self.records, self.options = records, options
        self.readable, self.writable = readable, writable
        self.errors: list[tuple[int, str, str]] = []
        self.links = _LinkResolver(runtime, actor, snap, table, options.links)
        self.keys: dict[str, list[int]] = {}

    def items(self, lookups) -> Iterator[tuple[int, int | None, dict]]:
        self.links.lookups = lookups
        for number, record in enumerate(self.records, 1):
            data = self._values(number, self.table, record, self.readable, self.writable, "")
            if self.options.keep_ids:
                data["id"] = record.get("id")
                for f in self.readable.values():  # a restore keeps the counters' values too
                    if f.type == "counter" and record.get(f.api_name) not in (None, ""):
                        data[f.api_name] = record[f.api_name]
            record_id = None
            if self.options.mode != "create":
                key = record.get(self.options.key)
                text = str(key).strip().casefold() if key not in (None, "") else ""
                if not text:
                    self.errors.append((number, self.options.key, "the key is empty"))
                    continue
                if text not in self.keys:
                    self.keys[text] = lookups.records(self.table.api_name, self.options.key, [str(key)]).get(text, [])
                ids = self.keys[text]
                if len(ids) > 1:
                    self.errors.append((number, self.options.key, "several records have this key"))
                    continue
                if not ids and self.options.mode == "update":
                    self.errors.append((number, self.options.key, "no record has this key"))
                    continue
                record_id = ids[0] if ids else None
            yield number, record_id, data

    def _values(self, number: int, table, record: dict, readable: dict, writable: dict, prefix: str) -> dict:
        data = {}
        for key, value in record.items():
            f = writable.get(key)
            if f is None:
                if key not in SYSTEM_KEYS and key not in readable:
                    self.errors.append((number, prefix + key, f"unknown field; {table.label!r} has no field {key!r}"))
                continue
            if f.type in ("link", "user") and isinstance(value, dict):
                record_id = value.get("id")
                if record_id is not None and value.get("display") not in (None, ""):
                    if f.type == "link":
                        target = self.snap.table_by_id(int(f.options["target_id"]))
                        shown = self.links.shown.setdefault((table.id, f.api_name), {})
                        if record_id not in shown and isinstance(record_id, int):
                            shown.update(self.links.lookups.displays(target.api_name, [record_id]))
                    try:
                        self.links.check_display(f, record_id, str(value["display"]))
                    except CellError as exc:
                        self.errors.append((number, prefix + key, str(exc)))
                        continue
                value = record_id
            elif f.type == "lines":
                if not prefix and isinstance(value, list):
                    child = self.snap.child_table(f)
                    child_readable = {c.api_name: c for c in self.view.readable(child)}
                    child_writable = {k: c for k, c in child_readable.items()
                                      if not self.runtime.registry.get(c.type).read_only}
                    value = [(number, self._values(number, child, line, child_readable, child_writable,
                                                   f"{key}.")) for line in value if isinstance(line, dict)]
                else:
                    continue
            elif f.type in NOT_IMPORTABLE:
                continue
            data[key] = value
        return data


# --- errors -------------------------------------------------------------------------------
def _merge_errors(converter: list, service: list, table, columns: _Columns, source: Source,
                  parts: list[_LinePart] = ()) -> list[dict]:
    header_of = columns.header_of()
    part_of = {p.field.api_name: p for p in parts}
    seen, merged = set(), []

    def entry(row, field, reason, label=None):
        lines, _, inner = field.partition(".")
        part = part_of.get(lines) if inner or field.endswith(".") else None
        if part is not None:
            column = part.columns.header_of().get(inner, "")
            return {"row": row, "sheet": part.name, "column": column, "field": field, "reason": reason}
        column = header_of.get(field, label if label is not None else "")
        return {"row": row, "column": column, "field": field, "reason": reason}

    for row, field, reason in converter:
        seen.add((row, field))
        merged.append(entry(row, field, reason))
    for e in service:
        key = (e.row, e.field)
        if key in seen:
            continue
        seen.add(key)
        label = table.field(e.field).label if table.field(e.field) is not None else e.field
        merged.append(entry(e.row, e.field, e.message, label))
    merged.sort(key=lambda e: (e.get("sheet") or "", e["row"], e["column"]))
    _quote_values(merged, columns, source, parts)
    return merged


def _quote_values(errors: list[dict], columns: _Columns, source: Source, parts=()) -> None:
    """Fill each error's ``value`` from the file (a second pass, only for failed rows)."""
    index_of = columns.index_of()
    wanted: dict[int, list[dict]] = {}
    for e in errors[:MAX_REPORTED]:
        e["value"] = None
        if e.get("sheet"):
            part = next((p for p in parts if p.name == e["sheet"]), None)
            if part is not None:
                _quote_line(e, part)
            continue
        wanted.setdefault(e["row"], []).append(e)
    if not wanted:
        return
    last = max(wanted)
    for number, cells in source.rows():
        for e in wanted.get(number, []):
            i = index_of.get(e["field"])
            if i is not None and i < len(cells):
                e["value"] = _shown(cells[i])
        if number >= last:
            break


def _quote_line(e: dict, part: _LinePart) -> None:
    inner = e["field"].partition(".")[2]
    i = part.columns.index_of().get(inner)
    if i is None:
        return
    for rows in part.rows.values():
        for number, cells in rows:
            if number == e["row"] and i < len(cells):
                e["value"] = _shown(cells[i])
                return


def _shown(value):
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
