"""Reading import files: CSV (encoding, delimiter and header row detected) and XLSX.

``open_source(path, filename, options)`` returns a ``Source``: the detected settings, the
column headers and ``rows()``, a generator of (file row number, cells) that can be run
again (the importer reads the file twice only to quote the values of rows with errors).
CSV is read with the csv module line by line, XLSX with openpyxl in read-only mode, so
memory stays flat for big files.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Iterator

from charset_normalizer import from_bytes

from cardfile.metamodel.errors import BadQuery

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t")
HEADER_SCAN = 20


class ImportFileInvalid(BadQuery):
    code = "IMPORT_FILE_INVALID"


@dataclass
class Source:
    path: Path
    kind: str                     # csv or xlsx
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1           # 1-based row of the headers in the file
    sheet: str | None = None
    headers: list[str] = dc_field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list]]:
        return _csv_rows(self) if self.kind == "csv" else _xlsx_rows(self)

    def describe(self) -> dict:
        return {"format": self.kind, "encoding": self.encoding, "delimiter": self.delimiter,
                "header_row": self.header_row, "sheet": self.sheet, "columns": self.headers}


def open_source(path, filename: str = "", options: dict | None = None) -> Source:
    options = options or {}
    path = Path(path)
    kind = options.get("format") or ("xlsx" if str(filename or path.name).lower().endswith((".xlsx", ".xlsm"))
                                     else "csv")
    if kind not in ("csv", "xlsx"):
        raise ImportFileInvalid(f"Import reads CSV and XLSX files, not {kind!r}.", {"format": kind})
    source = Source(path, kind)
    if kind == "csv":
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
        source.encoding = options.get("encoding") or detect_encoding(sample)
        text = _decode_sample(sample, source.encoding)
        source.delimiter = options.get("delimiter") or detect_delimiter(text)
        head = list(csv.reader(io.StringIO(text), delimiter=source.delimiter))[:HEADER_SCAN]
    else:
        source.sheet = options.get("sheet")
        head = _xlsx_head(source)
    source.header_row = int(options.get("header_row") or detect_header(head))
    if source.header_row > len(head) and not options.get("header_row"):
        raise ImportFileInvalid("The file has no rows.", {})
    header = head[source.header_row - 1] if source.header_row <= len(head) else []
    source.headers = _headers(header)
    if not any(source.headers):
        raise ImportFileInvalid(f"Row {source.header_row} has no column headers.", {"header_row": source.header_row})
    return source


# --- detection ------------------------------------------------------------------------
def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes; otherwise charset-normalizer's guess."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) >= SAMPLE_BYTES:
            return "utf-8"  # a character cut at the end of the sample
    best = from_bytes(sample).best()
    if best is None:
        raise ImportFileInvalid("The file is not text (its encoding cannot be recognised).", {})
    name = best.encoding
    if _cyrillic_share(sample, "cp1251") > 0.3 and name not in ("cp1251", "windows_1251", "koi8_r"):
        name = "cp1251"
    return codecs.lookup(name).name


def _cyrillic_share(sample: bytes, encoding: str) -> float:
    text = sample.decode(encoding, errors="replace")
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff") / len(letters) if letters else 0.0


def _decode_sample(sample: bytes, encoding: str) -> str:
    text = sample.decode(encoding, errors="replace")
    if len(sample) >= SAMPLE_BYTES and "\n" in text:
        text = text[:text.rfind("\n")]  # drop a possibly cut last line
    return text


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the most regular number of cells.

    Rows are read as CSV with each candidate (quoted cells kept whole), so a line break
    inside a quoted text followed by ``; x`` does not look like a row split by ``;``."""
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        counts = []
        try:
            for row in csv.reader(io.StringIO(text), delimiter=d):
                if any(cell.strip() for cell in row):
                    counts.append(len(row))
                if len(counts) >= 50:
                    break
        except csv.Error:
            pass  # a sample cut inside a quoted cell: the rows before it count
        if not counts or max(counts) < 2:
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common) / len(counts) * 1000 + common
        if score > best_score:
            best, best_score = d, score
    return best


def detect_header(rows: list[list]) -> int:
    """The first row whose filled cells are all text (not numbers or dates) and that is
    about as wide as the data below it."""
    width = max((_filled(r) for r in rows), default=0)
    need = width if width <= 2 else (width + 1) // 2
    for i, row in enumerate(rows, 1):
        cells = [c for c in row if c not in (None, "")]
        if len(cells) >= max(1, need) and all(isinstance(c, str) and not _numberlike(c) for c in cells):
            return i
    return 1


def _filled(row) -> int:
    return sum(1 for c in row if c not in (None, ""))


def _numberlike(text: str) -> bool:
    cleaned = text.strip().replace(" ", "").replace(",", "").replace(".", "").replace("-", "").replace("/", "")
    return cleaned.isdigit()


def _headers(row: list) -> list[str]:
    headers = []
    for i, cell in enumerate(row):
        text = "" if cell is None else str(cell).strip()
        headers.append(text)
    while headers and not headers[-1]:
        headers.pop()
    return headers


# --- rows -----------------------------------------------------------------------------
def _csv_rows(source: Source) -> Iterator[tuple[int, list]]:
    """Rows after the header; cells beyond the headers are kept (the importer refuses
    a row whose extra cells are not empty). Row numbers count physical lines."""
    with source.path.open("r", encoding=source.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        try:
            for _ in range(source.header_row):
                next(reader, None)
            for cells in reader:
                if any(cells):
                    yield reader.line_num, cells
        except UnicodeDecodeError:
            raise ImportFileInvalid(f"The file is not {source.encoding} text after line {reader.line_num}; "
                                    "choose its encoding.", {"encoding": source.encoding,
                                                             "row": reader.line_num}) from None
        except csv.Error as exc:
            raise ImportFileInvalid(f"Line {reader.line_num} cannot be read as CSV: {exc}.",
                                    {"row": reader.line_num}) from None


def sheet_names(path) -> list[str]:
    """The sheets of an XLSX workbook, in order."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise ImportFileInvalid(f"The file is not a readable XLSX workbook ({exc.__class__.__name__}).", {}) from None
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _open_workbook(source: Source):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise ImportFileInvalid(f"The file is not a readable XLSX workbook ({exc.__class__.__name__}).", {}) from None
    if source.sheet and source.sheet not in workbook.sheetnames:
        workbook.close()
        raise ImportFileInvalid(f"The workbook has no sheet {source.sheet!r}.", {"sheets": workbook.sheetnames})
    return workbook, workbook[source.sheet] if source.sheet else workbook.worksheets[0]


def _xlsx_head(source: Source) -> list[list]:
    workbook, sheet = _open_workbook(source)
    try:
        source.sheet = sheet.title
        return [list(r) for r in sheet.iter_rows(max_row=HEADER_SCAN, values_only=True)]
    finally:
        workbook.close()


def _xlsx_rows(source: Source) -> Iterator[tuple[int, list]]:
    workbook, sheet = _open_workbook(source)
    width = len(source.headers)
    try:
        for number, row in enumerate(sheet.iter_rows(min_row=source.header_row + 1, values_only=True),
                                     start=source.header_row + 1):
            cells = list(row[:width]) + [None] * (width - len(row))
            if any(c not in (None, "") for c in cells):
                yield number, ["" if c is None else c for c in cells]
    finally:
        workbook.close()
