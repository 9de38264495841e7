"""List and report exports read back and compared value by value with the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pandas as pd

from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.exports import list_csv, list_json, list_xlsx, report_csv, report_xlsx
from cardfile.reports.pivot import run_pivot

from .conftest import clerk_without_secret


def all_records(rt, actor, table, **q):
    records, page = [], 1
    while True:
        chunk = rt.records.list(actor, table, ListQuery(page=page, per_page=500, **q))["records"]
        records += chunk
        if len(chunk) < 500:
            return records
        page += 1


def test_list_csv_and_xlsx_match_the_database(sales_db, tmp_path):
    rt, admin, _, _ = sales_db
    query = dict(filters=[("kind", "eq", "retail")], sort=["-amount"])
    expected = all_records(rt, admin, "sales", **query)
    data = b"".join(list_csv(rt.registry, rt.records.iter_rows(admin, "sales", ListQuery(**query), batch=37)))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(expected) > 50
    path = tmp_path / "sales.xlsx"
    list_xlsx(rt.registry, rt.records.iter_rows(admin, "sales", ListQuery(**query), batch=50), str(path))
    sheet = openpyxl.load_workbook(path).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert sheet.freeze_panes == "A2"
    for rec, row, xrow in zip(expected, rows, cells):
        x = dict(zip(header, xrow))
        assert int(row["ID"]) == x["ID"] == rec["id"]
        assert row["Day"] == rec["day"] and x["Day"] == dt.datetime.fromisoformat(rec["day"])
        amount = rec["amount"]["amount"] if rec["amount"] else None
        assert row["Amount"] == (amount or "")
        assert (x["Amount"] is None and amount is None) or Decimal(str(x["Amount"])) == Decimal(amount)
        assert Decimal(row["Qty"]) == Decimal(rec["qty"]) == Decimal(str(x["Qty"]))
        assert int(row["Units"]) == x["Units"] == rec["units"]
        assert row["Client"] == (rec["client"]["display"] if rec["client"] else "") == (x["Client"] or "")
        assert row["Kind"] == x["Kind"] == "Retail"
        assert row["Paid"] == ("true" if rec["paid"] else "false") and x["Paid"] is rec["paid"]
        stamp = dt.datetime.fromisoformat(rec["at"].replace("Z", "+00:00")).replace(tzinfo=None)
        assert x["At"] == stamp and row["At"] == stamp.isoformat(sep=" ")


def test_list_json_is_the_api_shape(sales_db):
    rt, admin, _, _ = sales_db
    data = b"".join(list_json(rt.records.iter_rows(admin, "sales", ListQuery(sort=["id"]), batch=100)))
    exported = json.loads(data)
    assert exported == all_records(rt, admin, "sales", sort=["id"])


def test_report_xlsx_and_csv_match_the_pivot(sales_db, tmp_path):
    rt, admin, _, _ = sales_db
    pivot = run_pivot(rt.records, admin, "sales", {
        "rows": [{"field": "client.category"}, {"field": "client"}], "columns": [{"field": "day", "date": "quarter"}],
        "values": [{"field": "amount", "agg": "sum"}, {"agg": "count"}], "subtotals": True})
    path = tmp_path / "report.xlsx"
    report_xlsx(pivot, str(path), title="Sales")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet.freeze_panes == "C3"
    assert len(sheet._charts) == 1
    grid = list(sheet.iter_rows(values_only=True))
    header = len(pivot.column_fields) + 1
    for i, row in enumerate(pivot.rows):
        line = grid[header + i]
        assert list(line[:2]) == (row["labels"] + [""] * 2)[:2]
        for j, value in enumerate(row["cells"]):
            got = line[2 + j]
            if value is None:
                assert got is None
            else:
                assert Decimal(str(got)) == Decimal(value)
        if row["kind"] != "row":
            assert sheet.cell(header + i + 1, 3).font.bold
    frame = pd.read_csv(io.BytesIO(b"".join(report_csv(pivot))), encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert len(frame) == len(pivot.rows)
    total = pivot.rows[-1]
    assert frame.iloc[-1, 0] == "Total"
    assert [Decimal(v) if v else None for v in frame.iloc[-1, 2:]] == \
        [None if v is None else Decimal(v) for v in total["cells"]]
    assert pivot.frame().shape == (len(pivot.rows), len(pivot.columns))


def test_hidden_field_never_appears_in_any_export(runtime, admin, tmp_path):
    rt = runtime
    rt.schema.create_table(admin, {"label": "People", "api_name": "people", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Secret", "type": "text"}]})
    rt.records.bulk_create(admin, "people", [{"name": f"P{i}", "secret": f"HIDDEN-{i}"} for i in range(30)])
    clerk = clerk_without_secret(rt, admin, "people")
    outputs = [b"".join(list_csv(rt.registry, rt.records.iter_rows(clerk, "people"))),
               b"".join(list_json(rt.records.iter_rows(clerk, "people")))]
    path = tmp_path / "p.xlsx"
    list_xlsx(rt.registry, rt.records.iter_rows(clerk, "people"), str(path))
    outputs.append(path.read_bytes())
    import zipfile
    with zipfile.ZipFile(path) as z:
        outputs += [z.read(n) for n in z.namelist()]
    pivot = run_pivot(rt.records, clerk, "people", {"rows": [{"field": "name"}], "values": [{"agg": "count"}]})
    report_xlsx(pivot, str(tmp_path / "r.xlsx"))
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        outputs += [z.read(n) for n in z.namelist()]
    outputs.append(b"".join(report_csv(pivot)))
    for data in outputs:
        assert b"HIDDEN" not in data and b"Secret" not in data
    assert b"P29" in outputs[0]
