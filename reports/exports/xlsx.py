"""XLSX exports with xlsxwriter.

Lists are written in constant-memory mode (a row is flushed as soon as the next begins)
into a temporary file the caller streams and deletes, so that they import back as they
were: a sheet of line items per lines field (keyed by ``Record ID``); numbers with more
than 15 significant digits (what a spreadsheet keeps) as text, and dates before 1 March
1900 (which spreadsheets cannot hold as dates) as ISO text, each column saying so in a note
on its header; money and money formulas as numbers with the currency as number format. Reports get a header of column
groups, row labels, number and date formats per value, a frozen header, bold subtotals
and totals, and a native Excel chart of the first value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import xlsxwriter

from .cells import RECORD_ID, export_columns, line_columns

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
SHEET_NAME_MAX = 31
CHART_TYPES = {"bar": "bar", "column": "column", "line": "line", "pie": "pie"}


def number_format(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def _sheet_name(text: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in text).strip() or "Sheet1"
    return cleaned[:SHEET_NAME_MAX]


#: a spreadsheet keeps 15 significant digits of a number; longer ones are written as text
EXACT_DIGITS = 15
#: the first day a spreadsheet holds as a date and every reader reads back as that day
#: (Excel counts a 29 February 1900 that never was; earlier days are written as ISO text)
FIRST_DATE = dt.date(1900, 3, 1)
NUMBER_NOTE = ("Numbers with more than 15 significant digits are written as text, "
               "so that every digit is kept.")
DATE_NOTE = "Dates before 1 March 1900, which spreadsheets cannot hold as dates, are written as text (YYYY-MM-DD)."
RECORD_ID_NOTE = "The ID of the record this line belongs to (the ID column of the first sheet)."


def list_xlsx(registry, stream, path: str, title: str = "Records") -> None:
    """The records on the first sheet; the line items of each readable lines field on a
    sheet of their own, keyed by ``Record ID`` (see ``cells``)."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    try:
        writer = _ListWriter(workbook)
        names = {_sheet_name(title).casefold()}
        sheet = workbook.add_worksheet(_sheet_name(title))
        writer.sheet(sheet, export_columns(registry, stream.fields), stream.batches())
        for part in stream.lines:
            name = _sheet_name(part.field.label)
            if name.casefold() in names:
                name = _sheet_name(f"{part.field.label} ({part.field.api_name})")
            names.add(name.casefold())
            writer.sheet(workbook.add_worksheet(name), line_columns(registry, part.fields), part.batches(),
                         notes={RECORD_ID: RECORD_ID_NOTE})
    finally:
        workbook.close()


class _ListWriter:
    def __init__(self, workbook):
        self.workbook = workbook
        self.header = workbook.add_format({"bold": True, "bottom": 1})
        self.formats = {
            "date": workbook.add_format({"num_format": DATE_FORMAT}),
            "datetime": workbook.add_format({"num_format": DATETIME_FORMAT}),
            "integer": workbook.add_format({"num_format": "0"}),
        }
        self.numbers: dict[tuple, object] = {}

    def number_format(self, places: int, currency: str | None):
        key = (places, currency)
        if key not in self.numbers:
            text = number_format(places) + (f' "{currency}"' if currency else "")
            self.numbers[key] = self.workbook.add_format({"num_format": text})
        return self.numbers[key]

    def sheet(self, sheet, columns, batches, notes: dict | None = None) -> None:
        notes = dict(notes or {})
        for i, c in enumerate(columns):
            sheet.write_string(0, i, c.header, self.header)
            sheet.set_column(i, i, max(10, min(40, len(c.header) + 2)))
            note = notes.get(c.header) or (NUMBER_NOTE if c.kind == "number" else
                                           DATE_NOTE if c.kind in ("date", "datetime") else None)
            if note:
                sheet.write_comment(0, i, note)
        sheet.freeze_panes(1, 0)
        row = 1
        for batch in batches:
            for record in batch:
                for i, c in enumerate(columns):
                    self.cell(sheet, row, i, c, c.get(record), record)
                row += 1
        if row > 1:
            sheet.autofilter(0, 0, row - 1, len(columns) - 1)

    def cell(self, sheet, row: int, col: int, c, value, record) -> None:
        if value is None:
            return
        kind = c.kind
        if isinstance(value, str) and kind != "text":  # a formula's error, or an odd value
            sheet.write_string(row, col, value)
        elif kind == "number":
            if _digits(value) > EXACT_DIGITS:
                sheet.write_string(row, col, str(value))
            else:
                currency = c.currency(record) if c.currency is not None else None
                sheet.write_number(row, col, float(value), self.number_format(c.places, currency))
        elif kind == "integer":
            if abs(int(value)) >= 10 ** EXACT_DIGITS:
                sheet.write_string(row, col, str(value))
            else:
                sheet.write_number(row, col, value, self.formats["integer"])
        elif kind == "date":
            if value < FIRST_DATE:
                sheet.write_string(row, col, value.isoformat())
            else:
                sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), self.formats["date"])
        elif kind == "datetime":
            if value.date() < FIRST_DATE or value.microsecond:
                sheet.write_string(row, col, value.isoformat(sep=" "))  # a date or a fraction it cannot hold
            else:
                sheet.write_datetime(row, col, value, self.formats["datetime"])
        elif kind == "boolean":
            sheet.write_boolean(row, col, bool(value))
        else:
            sheet.write_string(row, col, str(value))


def _digits(value) -> int:
    """Significant digits of a decimal (``1234567890123.4567``: 17)."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    digits = value.normalize().as_tuple().digits if value else (0,)
    exponent = value.normalize().as_tuple().exponent if value else 0
    return max(len(digits), len(digits) + exponent if isinstance(exponent, int) and exponent > 0 else 0)


# --- reports -----------------------------------------------------------------------
def report_xlsx(pivot, path: str, title: str = "Report") -> None:
    workbook = xlsxwriter.Workbook(path, {"remove_timezone": True})
    try:
        sheet = workbook.add_worksheet(_sheet_name(title))
        _ReportSheet(workbook, sheet, pivot).write()
    finally:
        workbook.close()


class _ReportSheet:
    def __init__(self, workbook, sheet, pivot):
        self.workbook, self.sheet, self.pivot = workbook, sheet, pivot
        self.nlabels = max(len(pivot.row_fields), 1)
        self.header_rows = len(pivot.column_fields) + 1
        self.header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.bold = workbook.add_format({"bold": True})
        self.cell_formats: dict[tuple, object] = {}

    def fmt(self, value_index: int, bold: bool):
        key = (value_index, bold)
        if key not in self.cell_formats:
            info = self.pivot.values[value_index]
            spec = {"num_format": info.get("format") or _value_format(info)}
            if bold:
                spec["bold"] = True
            self.cell_formats[key] = self.workbook.add_format(spec)
        return self.cell_formats[key]

    def write(self) -> None:
        pivot, sheet = self.pivot, self.sheet
        for level in range(self.header_rows):
            for i, f in enumerate(pivot.row_fields or [{"label": ""}]):
                sheet.write_string(level, i, f["label"] if level == self.header_rows - 1 else "", self.header)
            for j, c in enumerate(pivot.columns):
                labels = list(c["labels"]) + [""] * (len(pivot.column_fields) - len(c["labels"]))
                text = (labels + [pivot.values[c["value"]]["label"]])[level]
                sheet.write_string(level, self.nlabels + j, text, self.header)
        sheet.set_column(0, self.nlabels - 1, 24)
        sheet.set_column(self.nlabels, self.nlabels + len(pivot.columns), 14)
        sheet.freeze_panes(self.header_rows, self.nlabels)
        for r, row in enumerate(pivot.rows, start=self.header_rows):
            bold = row["kind"] != "row"
            for i in range(self.nlabels):
                text = row["labels"][i] if i < len(row["labels"]) else ""
                sheet.write_string(r, i, str(text), self.bold if bold else None)
            for j, (c, value) in enumerate(zip(pivot.columns, row["cells"])):
                self._cell(r, self.nlabels + j, value, c, bold or c["total"])
        self._chart()

    def _cell(self, r: int, col: int, value, column: dict, bold: bool) -> None:
        fmt = self.fmt(column["value"], bold)
        if value is None:
            self.sheet.write_blank(r, col, None, fmt)
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            self.sheet.write_number(r, col, float(value), fmt)
        elif isinstance(value, dt.datetime):
            self.sheet.write_datetime(r, col, value.replace(tzinfo=None), fmt)
        elif isinstance(value, dt.date):
            self.sheet.write_datetime(r, col, dt.datetime(value.year, value.month, value.day), fmt)
        else:
            self.sheet.write_string(r, col, str(value), fmt)

    def _chart(self) -> None:
        pivot = self.pivot
        options = pivot.definition.get("chart") or {}
        kind = CHART_TYPES.get(options.get("type", "column"))
        data_rows = [i for i, r in enumerate(pivot.rows) if r["kind"] == "row"]
        if kind is None or not data_rows or not pivot.columns:
            return
        value = min(int(options.get("value", 0)), len(pivot.values) - 1)
        series_cols = [j for j, c in enumerate(pivot.columns) if c["value"] == value and not c["total"]]
        chart = self.workbook.add_chart({"type": kind})
        first, last = self.header_rows + data_rows[0], self.header_rows + data_rows[-1]
        label_col = self.nlabels - 1
        for j in series_cols[:50]:
            col = self.nlabels + j
            chart.add_series({
                "name": [self.sheet.name, self.header_rows - 1 if not pivot.column_fields else 0, col],
                "categories": [self.sheet.name, first, label_col, last, label_col],
                "values": [self.sheet.name, first, col, last, col],
            })
        chart.set_title({"name": pivot.values[value]["label"]})
        chart.set_legend({"position": "bottom" if len(series_cols) > 1 else "none"})
        self.sheet.insert_chart(self.header_rows + len(pivot.rows) + 2, 0, chart,
                                {"x_scale": 1.6, "y_scale": 1.3})


def _value_format(info: dict) -> str:
    kind = info.get("type")
    if info.get("agg") in ("count", "count_distinct") or kind == "integer":
        return "#,##0"
    if kind in ("date",):
        return DATE_FORMAT
    if kind == "datetime":
        return DATETIME_FORMAT
    if kind == "money":
        return number_format(2) + (f' "{info["currency"]}"' if info.get("currency") else "")
    return number_format(2)
