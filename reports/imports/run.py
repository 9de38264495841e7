"""Running an import: file -> mapped, converted rows -> ``RecordService.write_many``.

Steps: open the source (detect encoding, delimiter, header row) -> mapping (auto-matched
unless given) -> for each row: convert cells per field type, resolve links by display
value or key field (cached, looked up in chunks through the record service), find the
record to update by the key field -> ``write_many`` validates every row and writes all
or nothing (or nothing at all in a dry run). Row errors are reported with the file row,
the column header, the cell value and the reason; the cell values of failed rows are
read again from the file at the end, so memory does not grow with the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Callable, Iterator

from cardfile.metamodel.errors import BadQuery

from .convert import CellError, auto_mapping, check_mapping, normalize, prepare, preparer
from .reader import Source, open_source

MODES = ("create", "update", "upsert")
LOOKUP_CHUNK = 2000
MAX_REPORTED = 10_000


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
               progress: Callable[[int], None] | None = None) -> dict:
    options = options or ImportOptions()
    if options.mode not in MODES:
        raise BadQuery(f"Import mode must be one of {', '.join(MODES)}; got {options.mode!r}.", {"mode": options.mode})
    source = open_source(path, filename, {"encoding": options.encoding, "delimiter": options.delimiter,
                                          "header_row": options.header_row, "sheet": options.sheet,
                                          "format": options.format})
    snap = runtime.schema.snapshot()
    table = snap.table(table_name)
    runtime.access.check_table(actor, table, "read")
    readable = {f.api_name: f for f in runtime.access.readable_fields(actor, table)}
    writable = {k: f for k, f in readable.items() if not runtime.registry.get(f.type).read_only}
    mapping = merged_mapping(source.headers, writable, options.mapping)
    columns = check_mapping(mapping, source.headers, table, writable)
    if options.mode != "create":
        if not options.key or options.key not in readable:
            raise BadQuery(f"Mode {options.mode!r} needs a key field of {table.label!r} to find the records.",
                           {"key": options.key})
        if options.key not in columns.values():
            raise BadQuery(f"The key field {options.key!r} is not mapped to a column.", {"key": options.key})
    rows = _Rows(runtime, actor, snap, table, source, columns, options)
    report = runtime.records.write_many(actor, table_name, rows.items, mode=options.mode,
                                        dry_run=options.dry_run, source=filename or source.path.name,
                                        progress=progress, veto=lambda: bool(rows.errors))
    errors = _merge_errors(rows.errors, report.errors, table, columns, source)
    return {
        "table": table_name, "dry_run": options.dry_run, "written": report.written,
        "import_id": report.import_id, "mode": options.mode, "key": options.key,
        "source": source.describe(), "mapping": {h: mapping.get(h) for h in source.headers},
        "rows": report.rows, "created": report.created if report.written or options.dry_run else 0,
        "updated": report.updated if report.written or options.dry_run else 0,
        "error_count": len(errors) if len(errors) < MAX_REPORTED else report.error_count + len(rows.errors),
        "errors": errors[:MAX_REPORTED], "preview": report.preview,
    }


def merged_mapping(headers: list[str], writable: dict, given: dict | None) -> dict[str, str | None]:
    """Column header -> field: the columns ``given`` maps (a field, or None to skip it) as
    given, every other column auto-matched by label or API name to a field not mapped yet."""
    given = dict(given or {})
    taken = {name for name in given.values() if name}
    auto = auto_mapping(headers, [f for name, f in writable.items() if name not in taken])
    return {h: given[h] if h in given else auto.get(h) for h in [*headers, *[h for h in given if h not in headers]]}


class _Rows:
    def __init__(self, runtime, actor, snap, table, source: Source, columns: dict[int, str], options):
        self.runtime, self.actor, self.snap, self.table = runtime, actor, snap, table
        self.source, self.columns, self.options = source, columns, options
        self.fields = {i: table.field(name) for i, name in columns.items()}
        self.cells = [(i, f, preparer(f.type), f.type in ("link", "user")) for i, f in self.fields.items()]
        self.kinds = {i: f.type for i, f in self.fields.items()}
        self.errors: list[tuple[int, str, str]] = []
        self.links = _LinkResolver(runtime, actor, snap, table, options.links)
        self.key_index = next((i for i, n in columns.items() if n == options.key), None)
        self.keys: dict[str, list[int]] = {}
        self.width = len(source.headers)

    def items(self, lookups) -> Iterator[tuple[int, int | None, dict]]:
        """The rows as ``write_many`` takes them; links, keys and users are looked up
        through ``lookups``, in the import's own transaction."""
        self.lookups = self.links.lookups = lookups
        pending: list[tuple[int, list]] = []
        for number, cells in self.source.rows():
            pending.append((number, cells))
            if len(pending) >= LOOKUP_CHUNK:
                yield from self._convert(pending)
                pending = []
        if pending:
            yield from self._convert(pending)

    def _convert(self, chunk: list[tuple[int, list]]) -> Iterator[tuple[int, int | None, dict]]:
        self.links.prefetch(self.fields, [cells for _, cells in chunk])
        if self.key_index is not None:
            self._prefetch_keys([cells for _, cells in chunk])
        for number, cells in chunk:
            if len(cells) > self.width and any(str(c).strip() for c in cells[self.width:]):
                self.errors.append((number, "", f"the row has {len(cells)} cells but there are "
                                                f"{self.width} columns"))
            data = {}
            width = len(cells)
            for i, f, convert, linked in self.cells:
                try:
                    value = convert(cells[i] if i < width else None)
                    if linked and value is not None:
                        value = self.links.resolve(f, value)
                except CellError as exc:
                    self.errors.append((number, f.api_name, str(exc)))
                    continue
                data[f.api_name] = value
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
    target's display value (or ``options.links[field]``), looked up in chunks and cached."""

    def __init__(self, runtime, actor, snap, table, keys: dict):
        self.runtime, self.actor, self.snap, self.table, self.keys = runtime, actor, snap, table, keys
        self.cache: dict[str, dict[str, list[int]]] = {}
        self.users: dict[str, list[int]] | None = None
        self.lookups = None  # set when the import's transaction starts (batch.Lookups)

    def prefetch(self, fields: dict, rows: list[list]) -> None:
        for i, f in fields.items():
            if f.type != "link":
                continue
            known = self.cache.setdefault(f.api_name, {})
            texts = {str(r[i]).strip() for r in rows if i < len(r) and str(r[i]).strip()}
            missing = [t for t in texts if t.casefold() not in known and not t.startswith("#")]
            if missing:
                target = self.snap.table_by_id(int(f.options["target_id"]))
                found = self.lookups.records(target.api_name, self.keys.get(f.api_name), missing)
                for t in missing:
                    known[t.casefold()] = found.get(t.casefold(), [])

    def resolve(self, f, value):
        text = str(value).strip()
        if text.startswith("#") and text[1:].isdigit():
            return int(text[1:])
        if f.type == "user":
            return self._user(text)
        ids = self.cache.get(f.api_name, {}).get(text.casefold(), [])
        if len(ids) == 1:
            return ids[0]
        target = self.snap.table_by_id(int(f.options["target_id"]))
        if len(ids) > 1:
            raise CellError(f"{len(ids)} {target.label} records are called {text!r}; use a unique key")
        raise CellError(f"no {target.label} record is called {text!r}")

    def _user(self, text: str) -> int:
        if self.users is None:
            self.users = {}
            for u in self.lookups.users():
                for key in {normalize(k) for k in (u["username"], u.get("name")) if k}:
                    self.users.setdefault(key, []).append(u["id"])
        ids = self.users.get(normalize(text), [])
        if len(ids) == 1:
            return ids[0]
        raise CellError(f"no single user is called {text!r}")


def _merge_errors(converter: list, service: list, table, columns: dict[int, str], source: Source) -> list[dict]:
    header_of = {name: source.headers[i] for i, name in columns.items()}
    seen, merged = set(), []
    for row, field, reason in converter:
        seen.add((row, field))
        merged.append({"row": row, "column": header_of.get(field, ""), "field": field, "reason": reason})
    for e in service:
        key = (e.row, e.field)
        if key in seen:
            continue
        seen.add(key)
        label = table.field(e.field).label if table.field(e.field) is not None else e.field
        merged.append({"row": e.row, "column": header_of.get(e.field, label), "field": e.field, "reason": e.message})
    merged.sort(key=lambda e: (e["row"], e["column"]))
    _quote_values(merged, columns, source)
    return merged


def _quote_values(errors: list[dict], columns: dict[int, str], source: Source) -> None:
    """Fill each error's ``value`` from the file (a second pass, only for failed rows)."""
    index_of = {name: i for i, name in columns.items()}
    wanted: dict[int, list[dict]] = {}
    for e in errors[:MAX_REPORTED]:
        wanted.setdefault(e["row"], []).append(e)
        e["value"] = None
    if not wanted:
        return
    last = max(wanted)
    for number, cells in source.rows():
        for e in wanted.get(number, []):
            i = index_of.get(e["field"])
            if i is not None and i < len(cells):
                value = cells[i]
                e["value"] = value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
        if number >= last:
            break
