"""Export -> import is a round trip: a table with every field type (several currencies,
users, links to records with the same name, line items, multi-line texts with ; and ,,
empty values, 18-digit decimals, dates from 1800 to 9999) exported to CSV, XLSX and JSON
and imported into an empty copy gives the same records, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pytest

from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.exports import lines_csv, list_csv, list_json, list_xlsx
from cardfile.reports.imports import ImportOptions, detect_delimiter, run_import

#: what Cardfile keeps itself (never compared): ids, versions, who and when
SYSTEM = {"id", "version", "created_at", "created_by", "updated_at", "updated_by", "owner", "position",
          "deleted_at", "parent_id"}
TEXTS = ["Line one;\nline two, with a comma\n; x", "  spaced  ", 'a "quoted" word', "Ünïcödé — тест", "x" * 300]


def fields_spec(clients: str, products: str) -> list[dict]:
    return [
        {"label": "Name", "type": "text"},
        {"label": "Notes", "type": "long_text"},
        {"label": "Email", "type": "email"},
        {"label": "Phone", "type": "phone"},
        {"label": "Site", "type": "url"},
        {"label": "Count", "type": "integer"},
        {"label": "Exact", "type": "decimal", "options": {"places": 4}},
        {"label": "Rate", "type": "percent", "options": {"places": 2}},
        {"label": "Price", "type": "money", "options": {"currency": "EUR"}},
        {"label": "Day", "type": "date"},
        {"label": "At", "type": "datetime"},
        {"label": "Done", "type": "boolean"},
        {"label": "Kind", "type": "choice", "options": {"choices": [
            {"value": "org", "label": "Organisation"}, {"value": "person", "label": "Person"}]}},
        {"label": "Tags", "type": "multi_choice", "options": {"choices": [
            {"value": "vip", "label": "VIP"}, {"value": "new", "label": "New"}, {"value": "old", "label": "Old"}]}},
        {"label": "Client", "type": "link", "options": {"target": clients}},
        {"label": "Manager", "type": "user"},
        {"label": "Lines", "type": "lines", "options": {"fields": [
            {"label": "Product", "type": "link", "options": {"target": products}},
            {"label": "Qty", "type": "decimal", "options": {"places": 3}},
            {"label": "Amount", "type": "money", "options": {"currency": "EUR"}},
            {"label": "Note", "type": "long_text"},
            {"label": "When", "type": "date"}]}},
    ]


def make_everything(rt, admin, api_name: str) -> str:
    rt.schema.create_table(admin, {"label": api_name.replace("_", " ").title(), "api_name": api_name,
                                   "fields": fields_spec("clients", "products")})
    rt.schema.add_field(admin, api_name, {"label": "Total", "type": "formula",
                                          "options": {"expression": "sum(lines.qty)"}})
    rt.schema.add_field(admin, api_name, {"label": "Twice", "type": "formula",
                                          "options": {"expression": "price * 2"}})
    return api_name


@pytest.fixture
def everything(runtime, admin, make_table):
    rt = runtime
    make_table("Clients", [("Name", "text")], api_name="clients")
    make_table("Products", [("Name", "text")], api_name="products")
    acme = [rt.records.create(admin, "clients", {"name": "Acme"})["id"] for _ in range(2)]  # the same name twice
    bolt = rt.records.create(admin, "clients", {"name": "Bolt; \"Ltd\", Inc"})["id"]
    desk = [rt.records.create(admin, "products", {"name": "Desk"})["id"] for _ in range(2)]
    mary = rt.users.create("mary", "mary-password", name="Mary Major", actor=admin)
    bob = rt.users.create("bob", "bob-password", name="Mary Major", actor=admin)  # the same name too
    make_everything(rt, admin, "everything")
    rows = [
        {"name": "Full", "notes": TEXTS[0], "email": "a@example.com", "phone": "+49 30 1234567",
         "site": "https://example.com/a?b=c;d", "count": -42, "exact": "12345678901234.5678", "rate": "12.50",
         "price": {"amount": "99.99", "currency": "USD"}, "day": "1800-01-01",
         "at": "1800-01-01T00:00:00Z", "done": True, "kind": "org", "tags": ["vip", "old"],
         "client": acme[1], "manager": bob.id,
         "lines": [{"product": desk[1], "qty": "1.5", "amount": {"amount": "10.00", "currency": "EUR"},
                    "note": TEXTS[0], "when": "1899-12-31"},
                   {"product": desk[0], "qty": "2", "amount": {"amount": "-0.01", "currency": "EUR"},
                    "note": None, "when": "9999-12-31"}]},
        {"name": TEXTS[1], "notes": TEXTS[2], "count": 0, "exact": "-0.0001", "rate": "0",
         "price": {"amount": "1234567890123.45", "currency": "RUB"}, "day": "1899-12-31",
         "at": "2025-03-30T01:30:15.123456Z", "done": False, "kind": "person", "tags": [],
         "client": acme[0], "manager": mary.id, "lines": []},
        {"name": TEXTS[3], "notes": TEXTS[4], "exact": "99999999999999.9999", "day": "1900-01-01",
         "at": "9999-12-31T23:59:59Z", "client": bolt,
         "price": {"amount": "0.00", "currency": "AMD"}, "lines": [{"qty": "0.001"}]},
        {"name": None, "day": "1900-02-28", "at": "1900-03-01T12:00:00Z"},
        {"name": "Last", "day": "9999-12-31", "exact": "1", "price": {"amount": "5", "currency": "EUR"}},
    ]
    for row in rows:
        rt.records.create(admin, "everything", row)
    return rt, admin


def records(rt, actor, table: str) -> list[dict]:
    return rt.records.list(actor, table, ListQuery(per_page=500, sort=["id"]))["records"]


def comparable(record: dict) -> dict:
    out = {}
    for key, value in record.items():
        if key in SYSTEM:
            continue
        if isinstance(value, dict) and set(value) == {"id", "display"}:
            value = value["id"]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = [comparable(v) for v in value]
        out[key] = value
    return out


def export(rt, actor, table: str, fmt: str, tmp_path) -> tuple:
    stream = rt.records.iter_rows(actor, table, ListQuery(sort=["id"]), batch=2, action="export")
    path = tmp_path / f"{table}.{fmt}"
    lines = {}
    if fmt == "xlsx":
        list_xlsx(rt.registry, stream, str(path), title=table)
    elif fmt == "json":
        path.write_bytes(b"".join(list_json(stream, with_lines=True)))
    else:
        path.write_bytes(b"".join(list_csv(rt.registry, stream)))
        for part in stream.lines:
            lines_path = tmp_path / f"{table}.{part.field.api_name}.csv"
            lines_path.write_bytes(b"".join(lines_csv(rt.registry, stream, part.field.api_name)))
            lines[part.field.api_name] = lines_path
    return path, lines


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_field_type_comes_back_as_it_was(everything, tmp_path, fmt):
    rt, admin = everything
    path, lines = export(rt, admin, "everything", fmt, tmp_path)
    copy = make_everything(rt, admin, f"copy_{fmt}")
    result = run_import(rt, admin, copy, path, path.name, ImportOptions(), lines_files=lines)
    assert result["errors"] == [], result["errors"]
    assert result["created"] == 5
    original = [comparable(r) for r in records(rt, admin, "everything")]
    copied = [comparable(r) for r in records(rt, admin, copy)]
    assert copied == original


def test_the_xlsx_keeps_digits_old_dates_and_typed_totals(everything, tmp_path):
    rt, admin = everything
    path, _ = export(rt, admin, "everything", "xlsx", tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows[0]["Exact"] == "12345678901234.5678"  # 18 digits: text, every digit kept
    assert rows[4]["Exact"] == 1 and isinstance(rows[4]["Exact"], (int, float))
    assert "15 significant digits" in sheet.cell(1, header.index("Exact") + 1).comment.text
    assert rows[0]["Day"] == "1800-01-01" and rows[1]["Day"] == "1899-12-31" and rows[2]["Day"] == "1900-01-01"
    assert rows[4]["Day"] == dt.datetime(9999, 12, 31)
    assert rows[0]["Price"] == pytest.approx(99.99) and rows[0]["Price (currency)"] == "USD"
    assert rows[0]["Twice"] == pytest.approx(199.98) and rows[0]["Twice (currency)"] == "USD"
    price = sheet.cell(2, header.index("Twice") + 1)
    assert '"USD"' in price.number_format  # a number a spreadsheet sums, shown with its currency
    assert rows[0]["Client (id)"] != rows[1]["Client (id)"] and rows[0]["Client"] == rows[1]["Client"] == "Acme"
    assert [s.title for s in book.worksheets] == ["everything", "Lines"]
    lines = list(book.worksheets[1].iter_rows(values_only=True))
    assert lines[0][:2] == ("Record ID", "Product") and len(lines) == 1 + 3


def test_a_multiline_text_does_not_fool_delimiter_detection(everything, tmp_path):
    rt, admin = everything
    path, _ = export(rt, admin, "everything", "csv", tmp_path)
    text = path.read_text(encoding="utf-8-sig")
    assert "\n; x" in text
    assert detect_delimiter(text) == ","


def test_an_id_from_another_database_is_caught_by_its_name(everything, tmp_path):
    rt, admin = everything
    path = tmp_path / "moved.csv"
    client = records(rt, admin, "clients")[2]
    path.write_text(f"Name,Client,Client (id)\nX,Acme,{client['id']}\n", encoding="utf-8")
    result = run_import(rt, admin, "everything", path, "moved.csv", ImportOptions(dry_run=True))
    (error,) = result["errors"]
    assert error["column"] == "Client (id)" and "another database" in error["reason"]
    path.write_text("Name,Client,Client (id)\nX,Acme,\n", encoding="utf-8")  # by name: two are called Acme
    result = run_import(rt, admin, "everything", path, "moved.csv", ImportOptions(dry_run=True))
    assert "2 Clients records are called 'Acme'" in result["errors"][0]["reason"]


def test_line_items_need_their_record(everything, tmp_path):
    rt, admin = everything
    main = tmp_path / "main.csv"
    main.write_text("ID,Name\n7,One\n", encoding="utf-8")
    lines = tmp_path / "lines.csv"
    lines.write_text("Record ID,Qty,Amount,Amount (currency)\n7,1,2.50,USD\n8,1,1,EUR\n7,x,1,EUR\n", encoding="utf-8")
    result = run_import(rt, admin, "everything", main, "main.csv", ImportOptions(dry_run=True),
                        lines_files={"lines": lines})
    got = {(e.get("sheet"), e["row"], e["column"]) for e in result["errors"]}
    assert got == {("lines.csv", 3, ""), ("lines.csv", 4, "Qty")}
    lines.write_text("Record ID,Product (id),Qty\n7,999999,1\n7,,2\n", encoding="utf-8")  # checked as saved
    for dry_run in (True, False):
        result = run_import(rt, admin, "everything", main, "main.csv", ImportOptions(dry_run=dry_run),
                            lines_files={"lines": lines})
        assert [(e["sheet"], e["row"], e["column"], e["reason"]) for e in result["errors"]] == [
            ("lines.csv", 2, "Product (id)", "Products #999999 does not exist")]
        assert not result["written"]
    lines.write_text("Record ID,Qty,Amount,Amount (currency)\n7,1,2.50,USD\n7,2,1,EUR\n", encoding="utf-8")
    result = run_import(rt, admin, "everything", main, "main.csv", ImportOptions(), lines_files={"lines": lines})
    assert result["errors"] == [] and result["lines"]["lines"]["rows"] == 2
    made = next(r for r in records(rt, admin, "everything") if r["name"] == "One")
    assert [(line["qty"], line["amount"]) for line in made["lines"]] == [
        ("1.000", {"amount": "2.50", "currency": "USD"}), ("2.000", {"amount": "1.00", "currency": "EUR"})]
    assert made["total"] == "3.00" or Decimal(str(made["total"])) == Decimal("3")
    rt.records.revert_import(admin, result["import_id"])  # its line items leave with it
    assert rt.records.list(admin, "everything_lines", ListQuery(filters=[("parent.name", "eq", "One")]))["total"] == 0


def test_json_export_holds_the_line_items(everything):
    rt, admin = everything
    stream = rt.records.iter_rows(admin, "everything", ListQuery(sort=["id"]))
    data = json.loads(b"".join(list_json(stream, with_lines=True)))
    assert [len(r["lines"]) for r in data] == [2, 0, 1, 0, 0]


def test_keep_ids_restores_ids_and_counter_numbers(runtime, admin, make_table, tmp_path):
    rt = runtime
    make_table("Orders", [("Number", "counter", {"pattern": "ORD-{YYYY}-{###}"}), ("Name", "text")],
               api_name="orders")
    for name in ("a", "b", "c"):
        rt.records.create(admin, "orders", {"name": name})
    gone = records(rt, admin, "orders")[1]
    rt.records.delete(admin, "orders", gone["id"])
    path, _ = export(rt, admin, "orders", "csv", tmp_path)
    before = records(rt, admin, "orders")
    make_table("Orders copy", [("Number", "counter", {"pattern": "ORD-{YYYY}-{###}"}), ("Name", "text")],
               api_name="orders_copy")
    result = run_import(rt, admin, "orders_copy", path, path.name, ImportOptions(keep_ids=True))
    assert result["errors"] == []
    after = records(rt, admin, "orders_copy")
    assert [(r["id"], r["number"], r["name"]) for r in after] == [(r["id"], r["number"], r["name"]) for r in before]
    year = dt.date.today().year
    assert rt.records.create(admin, "orders_copy", {"name": "d"})["number"] == f"ORD-{year}-004"
    again = run_import(rt, admin, "orders_copy", path, path.name, ImportOptions(keep_ids=True, dry_run=True))
    assert {e["reason"] for e in again["errors"]} == {f"record #{r['id']} already exists (the table must not have "
                                                      "this ID)" for r in before}
