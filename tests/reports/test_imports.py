"""Imports: detection, conversion, all-or-nothing with every row error, modes and revert."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import xlsxwriter

from cardfile.metamodel.errors import BadQuery
from cardfile.metamodel.records.batch import ImportNotRevertible
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.imports import (
    ImportMappingInvalid, ImportOptions, detect_delimiter, detect_encoding, detect_header, run_import,
)


@pytest.fixture
def items(runtime, admin, make_table):
    make_table("Groups", [("Name", "text", {"required": True}), ("Code", "text", {})], api_name="groups")
    make_table("Items", [
        ("Code", "text", {"unique": True, "required": True}), ("Day", "date", {}),
        ("Price", "money", {"currency": "EUR"}), ("Qty", "decimal", {"places": 3}),
        ("Active", "boolean", {}), ("Group", "link", {"target": "groups"}),
        ("Color", "choice", {"choices": [{"value": "red", "label": "Красный"}, {"value": "blue", "label": "Blue"}]}),
    ], api_name="items")
    for name, code in (("Кошки", "G1"), ("Dogs", "G2")):
        runtime.records.create(admin, "groups", {"name": name, "code": code})
    return runtime, admin


def count(rt, actor, table="items") -> int:
    return rt.records.list(actor, table, ListQuery(per_page=1))["total"]


def write(tmp_path, text: str, encoding: str, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_detects_encoding_delimiter_and_header(items, tmp_path, encoding, delimiter):
    rt, admin = items
    q = '"' if delimiter == "," else ""
    lines = ["Выгрузка товаров", "",
             delimiter.join(["Code", "День", "Цена", "Qty", "Active", "Group", "Color"]),
             delimiter.join(["A1", "31.01.2025", f"{q}1 234,56{q}", f"{q}1,5{q}", "да", "кошки", "красный"]),
             delimiter.join(["A2", "2025-02-01", "7.00", "2", "нет", "Dogs", "Blue"])]
    path = write(tmp_path, "\r\n".join(lines) + "\r\n", encoding)
    mapping = {"Code": "code", "День": "day", "Цена": "price", "Qty": "qty", "Active": "active",
               "Group": "group", "Color": "color"}
    result = run_import(rt, admin, "items", path, "in.csv", ImportOptions(mapping=mapping))
    assert result["source"]["encoding"] == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1251": "cp1251"}[encoding]
    assert result["source"]["delimiter"] == delimiter
    assert result["source"]["header_row"] == 3
    assert result["errors"] == [] and result["created"] == 2 and result["written"]
    first = rt.records.list(admin, "items", ListQuery(sort=["code"]))["records"][0]
    assert first["day"] == "2025-01-31" and first["price"] == {"amount": "1234.56", "currency": "EUR"}
    assert first["qty"] == "1.500" and first["active"] is True and first["color"] == "red"
    assert first["group"]["display"] == "Кошки"


def test_detection_helpers():
    assert detect_encoding("Привет, мир; ещё строка".encode("cp1251")) == "cp1251"
    assert detect_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"
    assert detect_delimiter("a;b;c\n1;2,5;3\n") == ";"
    assert detect_delimiter("a\tb\n1\t2\n") == "\t"
    assert detect_header([["Report"], [], ["Name", "Sum"], ["x", "12"]]) == 3


def test_one_bad_row_in_ten_thousand_writes_nothing(items, tmp_path):
    rt, admin = items
    lines = ["Code,Day,Price,Qty,Active,Group"]
    for i in range(10_000):
        day = "2025-13-45" if i == 6_789 else f"2025-0{1 + i % 9}-1{i % 9}"
        lines.append(f"C{i},{day},{i % 100}.50,1,yes,Dogs")
    path = write(tmp_path, "\n".join(lines) + "\n", "utf-8")
    result = run_import(rt, admin, "items", path, "big.csv", ImportOptions())
    assert not result["written"] and result["import_id"] is None
    assert result["error_count"] == 1
    error = result["errors"][0]
    assert error["row"] == 6_789 + 2 and error["column"] == "Day" and error["value"] == "2025-13-45"
    assert "date" in error["reason"]
    assert count(rt, admin) == 0
    dry = run_import(rt, admin, "items", path, "big.csv", ImportOptions(dry_run=True))
    assert dry["error_count"] == 1 and len(dry["preview"]) == 20 and dry["rows"] == 10_000
    assert dry["preview"][0]["values"]["price"] == {"amount": "0.50", "currency": "EUR"}
    assert count(rt, admin) == 0


def test_every_row_error_is_reported(items, tmp_path):
    rt, admin = items
    text = ("Code,Price,Group,Color,Extra\n"
            "A1,abc,Dogs,Blue,\n"          # bad number
            "A2,1,Nobody,Blue,\n"          # unknown link
            ",1,Dogs,Blue,\n"              # required code
            "A4,1,Dogs,Green,\n"           # not a choice
            "A5,2,Dogs,Blue,\n"            # valid
            "A5,3,Dogs,Blue,\n"            # duplicate of row 6 (unique)
            "A7,3,Dogs,Blue,x,y\n")        # too many cells
    result = run_import(rt, admin, "items", write(tmp_path, text, "utf-8"), "x.csv", ImportOptions())
    got = {(e["row"], e["column"]) for e in result["errors"]}
    assert got == {(2, "Price"), (3, "Group"), (4, "Code"), (5, "Color"), (7, "Code"), (8, "")}
    assert next(e for e in result["errors"] if e["row"] == 2)["value"] == "abc"
    assert count(rt, admin) == 0


def test_upsert_update_only_and_revert(items, tmp_path):
    rt, admin = items
    first = run_import(rt, admin, "items", write(tmp_path, "code,price,group\nA1,10,G1\nA2,20,G2\n", "utf-8"),
                       "a.csv", ImportOptions(links={"group": "code"}))
    assert first["created"] == 2
    second = run_import(rt, admin, "items", write(tmp_path, "code,price\nA1,11\nA3,30\n", "utf-8"), "b.csv",
                        ImportOptions(mode="upsert", key="code"))
    assert (second["created"], second["updated"]) == (1, 1)
    prices = {r["code"]: r["price"]["amount"] for r in rt.records.list(admin, "items")["records"]}
    assert prices == {"A1": "11.00", "A2": "20.00", "A3": "30.00"}
    missing = run_import(rt, admin, "items", write(tmp_path, "code,price\nA9,1\n", "utf-8"), "c.csv",
                         ImportOptions(mode="update", key="code"))
    assert missing["errors"][0]["reason"] == "no record has this key"
    result = rt.records.revert_import(admin, second["import_id"])
    assert (result["trashed"], result["restored"]) == (1, 1)
    prices = {r["code"]: r["price"]["amount"] for r in rt.records.list(admin, "items")["records"]}
    assert prices == {"A1": "10.00", "A2": "20.00"}
    with pytest.raises(ImportNotRevertible):
        rt.records.revert_import(admin, second["import_id"])
    record = rt.records.list(admin, "items", ListQuery(filters=[("code", "eq", "A2")]))["records"][0]
    rt.records.update(admin, "items", record["id"], {"price": 25, "version": record["version"]})
    with pytest.raises(ImportNotRevertible) as refused:
        rt.records.revert_import(admin, first["import_id"])
    a1 = rt.records.list(admin, "items", ListQuery(filters=[("code", "eq", "A1")]))["records"][0]
    assert refused.value.details["records"] == sorted([a1["id"], record["id"]])  # A1 went through import 2
    rt.records.revert_import(admin, first["import_id"], force=True)
    assert count(rt, admin) == 0


def test_xlsx_import_with_typed_cells(items, tmp_path):
    rt, admin = items
    path = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, ["code", "Day", "PRICE", "qty", "active", "group"])
    sheet.write_row(1, 0, ["X1", None, 12.5, 3, True, "Dogs"])
    sheet.write_datetime(1, 1, dt.datetime(2025, 3, 4), book.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_row(2, 0, [1001, "05.03.2025", "1.234,50", "0,25", "нет", "кошки"])
    book.close()
    result = run_import(rt, admin, "items", path, "in.xlsx", ImportOptions())
    assert result["source"]["format"] == "xlsx" and result["errors"] == [], result["errors"]
    records = {r["code"]: r for r in rt.records.list(admin, "items")["records"]}
    assert records["X1"]["day"] == "2025-03-04" and records["X1"]["price"]["amount"] == "12.50"
    assert records["1001"]["price"]["amount"] == "1234.50" and Decimal(records["1001"]["qty"]) == Decimal("0.25")
    assert records["1001"]["active"] is False


def test_mapping_problems_are_listed(items, tmp_path):
    rt, admin = items
    path = write(tmp_path, "a,b\n1,2\n", "utf-8")
    with pytest.raises(ImportMappingInvalid):
        run_import(rt, admin, "items", path, "a.csv", ImportOptions())
    with pytest.raises(ImportMappingInvalid) as exc:
        run_import(rt, admin, "items", path, "a.csv", ImportOptions(mapping={"a": "nope", "zz": "code"}))
    assert len(exc.value.details["problems"]) == 2
    with pytest.raises(BadQuery):
        run_import(rt, admin, "items", path, "a.csv", ImportOptions(mapping={"a": "code"}, mode="update"))


def test_cells_that_only_look_like_numbers_or_dates_are_explained():
    from cardfile.reports.imports.convert import CellError, date_value, number_text

    assert number_text("12,50 EUR", money=True) == "12.50EUR"
    assert number_text("двадцать", money=True) == "двадцать"  # a word, not an amount with a currency code
    from cardfile.metamodel.fieldtypes.base import FieldValueError
    from cardfile.metamodel.fieldtypes.builtin.money import MoneyType
    from cardfile.metamodel.model import FieldDef

    money = FieldDef(id=1, table_id=1, api_name="amount", label="Amount", type="money", options={"currency": "RUB"})
    with pytest.raises(FieldValueError, match="'двадцать'"):
        MoneyType().parse_value("двадцать", money)
    assert MoneyType().parse_value("12.50 eur", money)["currency"] == "EUR"
    with pytest.raises(CellError, match="there is no such date: 31.02.2026"):
        date_value("31.02.2026")
    with pytest.raises(CellError, match="there is no such date: 2026-02-30"):
        date_value("2026-02-30")
