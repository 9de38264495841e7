"""Exports: lists (any table with a list query) and pivot reports, to CSV, XLSX and JSON.

    cells.py    a record's JSON values -> typed cells (numbers, dates, booleans, display text),
                made to import back: money with a currency column, links and users with an
                id column, line items keyed by ``Record ID``
    csv.py      list_csv / lines_csv / report_csv: generators of bytes (UTF-8 with BOM, for
                Excel); a table's line items are a CSV file of their own (lines_csv)
    json.py     list_json: a generator of bytes, one JSON array streamed record by record,
                line items inside their records
    xlsx.py     list_xlsx: xlsxwriter in constant-memory mode into a temporary file, the line
                items on a sheet per lines field; report_xlsx: number and date formats,
                frozen header, bold totals, a chart

Lists come from ``RecordService.iter_rows`` (readable fields only, server-side cursor),
so memory stays flat for any number of rows. Import rule: metamodel and pandas only.
"""

from .cells import ExportColumn, export_columns, line_columns
from .csv import lines_csv, list_csv, report_csv
from .json import list_json
from .xlsx import list_xlsx, report_xlsx

FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

__all__ = ["ExportColumn", "FORMATS", "MEDIA_TYPES", "export_columns", "line_columns", "lines_csv", "list_csv",
           "list_json", "list_xlsx", "report_csv", "report_xlsx"]
