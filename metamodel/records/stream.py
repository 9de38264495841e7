"""Streaming reads for exports, and lookups by value for imports.

    open_stream   check access now, then return a RowStream whose ``batches()`` generator
                  reads the list query through a server-side cursor (``stream_results``):
                  memory stays constant whatever the number of rows; each batch is read
                  under the query time limit (``storage.time_limit.restart``)
    lookup        ids of records whose key field (or display field) matches given texts

Only readable fields are read, filtered, sorted, searched and returned; the access row
clause limits the rows. Records come out in the API's JSON shape (links and users as
``{"id", "display"}``), without line items.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import String, and_, select
from sqlalchemy.types import TypeDecorator

from ..errors import BadQuery, FieldNotFound
from ..model import FieldDef, TableDef
from ..storage import time_limit
from ..storage.sqltypes import casefold
from .output import RecordReader
from .query import ListQuery, build_where, order_by

DEFAULT_BATCH = 1000
LOOKUP_CHUNK = 500


@dataclass
class LineItems:
    """The line items of the streamed records for one readable lines field: each in the
    API's shape plus ``parent_id`` (the record it belongs to), by record and position."""

    field: FieldDef           # the lines field of the streamed table
    table: TableDef           # its line-item table, restricted to the readable fields
    fields: list[FieldDef]    # the readable fields with a value, in order
    _open: Callable[[], Iterator[list[dict]]]

    def batches(self) -> Iterator[list[dict]]:
        return self._open()


@dataclass
class RowStream:
    table: TableDef           # restricted to the readable fields
    fields: list[FieldDef]    # the readable fields with a value, in order
    _open: Callable[[bool], Iterator[list[dict]]]
    lines: list[LineItems] = dataclasses.field(default_factory=list)

    def batches(self, with_lines: bool = False) -> Iterator[list[dict]]:
        """Batches of records; ``with_lines``: each with its line items (as the API shows them)."""
        return self._open(True) if with_lines else self._open()

    def records(self) -> Iterator[dict]:
        for batch in self.batches():
            yield from batch


def visible_table(table: TableDef, readable: list[FieldDef]) -> TableDef:
    """A copy of ``table`` holding only ``readable`` fields (hidden ones never get read)."""
    return dataclasses.replace(table, all_fields=list(readable))


def open_stream(service, actor, table_name: str, q: ListQuery, batch: int, action: str) -> RowStream:
    with service.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
        snap, table = service._table(conn, table_name)
        service.access.check_table(actor, table, "read")
        if action != "read":
            service.access.check_table(actor, table, action)
        visible = visible_table(table, service.access.readable_fields(actor, table))
        sql = snap.sql_table(table)
        view = service.access.view(actor, snap, conn)
        seen = view.snapshot()  # filters through links see only readable fields and rows
        where = build_where(service.registry, seen, seen.tables[table.id], sql, q, scope=view.scope)
        stmt = order_by(service.registry, seen, seen.tables[table.id], sql, q.sort,
                        select(sql).where(and_(*where)), view.scope)
        extra = service.access.row_clause(actor, table, sql)
        if extra is not None:
            stmt = stmt.where(extra)
    fields = [f for f in visible.fields if service.registry.get(f.type).has_column]
    batch = max(1, int(batch))

    reader = RecordReader(service.registry, snap, view.readable, view.scope)

    def read(with_lines: bool = False) -> Iterator[list[dict]]:
        with service.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
            for rows in result.mappings().partitions(batch):
                records = reader.to_json(conn, visible, rows, with_lines=with_lines)
                yield [_strip(r) for r in records]
                time_limit.restart(conn)  # each batch has the query time limit, not the whole export

    chosen = select(sql.c.id).where(and_(*where), *([] if extra is None else [extra]))
    lines = [_line_items(service, snap, view, f, chosen, reader, batch)
             for f in visible.fields if f.type == "lines"]
    return RowStream(visible, fields, read, lines)


def _line_items(service, snap, view, field: FieldDef, chosen, reader: RecordReader, batch: int) -> LineItems:
    """The live line items of the records ``chosen`` selects, by record and position."""
    child = snap.child_table(field)
    visible = visible_table(child, view.readable(child))
    csql = snap.sql_table(child)
    stmt = (select(csql).where(csql.c.parent_id.in_(chosen), csql.c.deleted_at.is_(None))
            .order_by(csql.c.parent_id, csql.c.position, csql.c.id))

    def read() -> Iterator[list[dict]]:
        with service.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
            for rows in result.mappings().partitions(batch):
                records = reader.to_json(conn, visible, rows, with_lines=False)
                for row, record in zip(rows, records):
                    record["parent_id"] = row["parent_id"]
                    record.pop("owner", None)
                yield [_strip(r) for r in records]
                time_limit.restart(conn)

    return LineItems(field, visible, [f for f in visible.fields if service.registry.get(f.type).has_column], read)


def _strip(record: dict) -> dict:
    record.pop("deleted_at", None)
    return record


def lookup(service, actor, table_name: str, field_name: str | None, texts: list[str]) -> dict[str, list[int]]:
    """Case-insensitive match of ``texts`` against a field (default: the display field).

    Returns folded text -> ids of live, readable records (several ids mean an ambiguous key).
    """
    with service.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
        return lookup_on(conn, service, actor, table_name, field_name, texts)


def lookup_on(conn, service, actor, table_name: str, field_name: str | None, texts: list[str]) -> dict[str, list[int]]:
    """``lookup`` on the caller's connection (an import looks up in its own transaction):
    the access rules are read on it too."""
    snap, table = service._table(conn, table_name)
    view = service.access.view(actor, snap, conn)
    view.check(table, "read")
    readable = {f.api_name: f for f in view.readable(table)}
    field = table.display_field if field_name is None else readable.get(field_name)
    if field is None or field.api_name not in readable:
        raise FieldNotFound(table.api_name, field_name or "(display field)")
    ftype = service.registry.get(field.type)
    if not ftype.has_column or field.type in ("link", "multi_choice", "file", "image", "lines"):
        raise BadQuery(f"{field.label!r} ({ftype.label}) cannot be used as a key.", {"field": field.api_name})
    sql = snap.sql_table(table)
    col = ftype.column(sql, field)
    extra = view.where(table, sql)
    textual = _is_text(col.type)
    found: dict[str, list[int]] = {}
    values: dict = {}
    wanted = sorted({str(t).strip().casefold() for t in texts if t is not None and str(t).strip()})
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        if textual:
            key = casefold(col)
            stmt = select(sql.c.id, col).where(key.in_(chunk))
        else:
            values = _parsed(ftype, field, chunk)
            if not values:
                continue
            stmt = select(sql.c.id, col).where(col.in_(list(values)))
        stmt = stmt.where(snap.live(table, sql), *extra)
        for record_id, value in conn.execute(stmt.order_by(sql.c.id)):
            text = value.strip().casefold() if textual else values[value]
            found.setdefault(text, []).append(record_id)
    return found


def _is_text(sql_type) -> bool:
    impl = sql_type.impl if isinstance(sql_type, TypeDecorator) else sql_type
    return isinstance(impl, String)


def _parsed(ftype, field, texts: list[str]) -> dict[Any, str]:
    values = {}
    for text in texts:
        try:
            values[ftype.parse_filter_value(text, field)] = text
        except ValueError:
            continue
    return values
