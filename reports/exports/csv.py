"""CSV exports as generators of bytes: UTF-8 with a BOM (Excel reads it), comma-separated.

Where Excel expects the CSV of a decimal-comma locale (Russian Excel: ``;`` between cells,
``12,50``), ``list_csv(..., delimiter=";", decimal=",")`` writes numbers that way."""

from __future__ import annotations

import csv
import io
from typing import Iterator

from .cells import export_columns, line_columns, text_of

BOM = "\ufeff"


def list_csv(registry, stream, delimiter: str = ",", decimal: str = ".") -> Iterator[bytes]:
    """One chunk per batch of the record stream; the header first. ``decimal`` is the
    decimal sign of numbers."""
    return _rows_csv(export_columns(registry, stream.fields), stream.batches(), delimiter, decimal)


def lines_csv(registry, stream, field_name: str, delimiter: str = ",", decimal: str = ".") -> Iterator[bytes]:
    """The line items (of the lines field ``field_name``) of the streamed records, keyed by
    ``Record ID``: the second file of a CSV export of a table with line items."""
    part = next((p for p in stream.lines if p.field.api_name == field_name), None)
    if part is None:
        from cardfile.metamodel.errors import BadQuery
        raise BadQuery(f"{stream.table.label!r} has no line items called {field_name!r}.",
                       {"lines": field_name, "allowed": [p.field.api_name for p in stream.lines]})
    return _rows_csv(line_columns(registry, part.fields), part.batches(), delimiter, decimal)


def _rows_csv(columns, batches, delimiter: str, decimal: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([c.header for c in columns])
    yield _drain(buffer)
    numbers = {i for i, c in enumerate(columns) if c.kind == "number"} if decimal != "." else set()
    for batch in batches:
        for record in batch:
            cells = [text_of(c.get(record)) for c in columns]
            for i in numbers:
                cells[i] = cells[i].replace(".", decimal)
            writer.writerow(cells)
        yield _drain(buffer)


def report_csv(pivot, delimiter: str = ",") -> Iterator[bytes]:
    """The pivot as a table: row labels, then one column per (column labels, value)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write(BOM)
    row_headers = [f["label"] for f in pivot.row_fields] or [""]
    writer.writerow(row_headers + [column_title(pivot, c) for c in pivot.columns])
    for row in pivot.rows:
        labels = list(row["labels"]) + [""] * (len(row_headers) - len(row["labels"]))
        writer.writerow(labels + [text_of(v) for v in row["cells"]])
    yield _drain(buffer)


def column_title(pivot, column: dict) -> str:
    value = pivot.values[column["value"]]["label"]
    if not pivot.column_fields:
        return value
    return " / ".join(list(column["labels"]) + [value])


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
