"""Import and export through the browser, as an owner moving their Excel lists in: a Russian
CSV (Windows-1251, ``;``, decimal commas, dd.mm.yyyy) with three bad rows is checked first and
nothing is written; the corrected file is imported, the records are there, the import is
reverted from the history; the list is exported to XLSX and read back; and a list is filtered
on a link field by picking the record by its name."""

from __future__ import annotations

import openpyxl
from playwright.sync_api import expect

HEADER = "Клиент;Сумма;Дата оплаты;Комментарий\r\n"
BAD = HEADER + ("ACME Ltd;1 234,50;15.01.2026;первый платёж\r\n"
                "Ромашка;99,9;31.02.2026;нет такой даты\r\n"
                "Неизвестный;10;01.02.2026;нет такого клиента\r\n"
                "ACME Ltd;двадцать;01.03.2026;сумма словами\r\n"
                "Ромашка;5,25;02.03.2026;хорошая строка\r\n")
GOOD = HEADER + ("ACME Ltd;1 234,50;15.01.2026;первый платёж\r\n"
                 "Ромашка;99,9;28.02.2026;исправленная дата\r\n"
                 "ACME Ltd;20;01.03.2026;сумма цифрами\r\n")


def nav(page, action):
    with page.expect_navigation():
        action()


def make_tables(rt, boss):
    rt.schema.create_table(boss, {"label": "Clients", "fields": [
        {"label": "Name", "type": "text"},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "org", "label": "Organization"},
                                                                     {"value": "person", "label": "Person"}]}}]})
    rt.schema.create_table(boss, {"label": "Payments", "fields": [
        {"label": "Client", "type": "link", "options": {"target": "clients"}},
        {"label": "Amount", "type": "money", "options": {"currency": "RUB"}},
        {"label": "Paid on", "type": "date"}, {"label": "Note", "type": "text"}]})
    for name, kind in (("ACME Ltd", "org"), ("Ромашка", "org"), ("Ivan Petrov", "person")):
        rt.records.create(boss, "clients", {"name": name, "kind": kind})


def upload_and_map(page, path):
    page.get_by_label("CSV or Excel (XLSX) file").set_input_files(str(path))
    nav(page, lambda: page.get_by_role("button", name="Upload and continue").click())
    expect(page.locator(".detected")).to_be_visible()
    expect(page.get_by_label("Encoding")).to_have_value("cp1251")
    expect(page.get_by_label("Separator")).to_have_value(";")
    for column, field in (("Клиент", "Client"), ("Сумма", "Amount"), ("Дата оплаты", "Paid on"),
                          ("Комментарий", "Note")):
        page.get_by_label(column, exact=True).select_option(label=field)


def test_a_russian_csv_is_checked_imported_reverted_and_the_list_exported(live, boss, new_page, sign_in, shot, tmp_path):
    rt = live.rt
    make_tables(rt, boss)
    bad, good = tmp_path / "платежи.csv", tmp_path / "платежи-исправлено.csv"
    bad.write_bytes(BAD.encode("cp1251"))
    good.write_bytes(GOOD.encode("cp1251"))
    page = new_page()
    sign_in(page)
    page.goto("/t/payments")
    nav(page, lambda: page.get_by_role("link", name="Import", exact=True).click())
    shot(page, "import-01-upload")

    # the file with three bad rows: a dry run lists each by row and column, nothing is written
    upload_and_map(page, bad)
    expect(page.locator(".sample")).to_contain_text("1 234,50")
    shot(page, "import-02-detected-and-mapping")
    nav(page, lambda: page.get_by_role("button", name="Check the file").click())
    result = page.locator(".import-result")
    expect(result).to_contain_text("3 problems: nothing was written")
    rows = page.locator(".problems tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("31.02.2026")
    expect(rows.nth(1)).to_contain_text("Неизвестный")
    expect(rows.nth(2)).to_contain_text("двадцать")
    expect(page.get_by_role("button", name="Import 5 rows")).to_have_count(0)
    shot(page, "import-03-problems")
    assert rt.records.list(boss, "payments")["total"] == 0

    # the corrected file: checked clean, then imported
    page.goto("/t/payments/import")
    upload_and_map(page, good)
    nav(page, lambda: page.get_by_role("button", name="Check the file").click())
    expect(result).to_contain_text("The file is ready to import")
    expect(page.locator(".preview")).to_contain_text("ACME Ltd")
    shot(page, "import-04-ready")
    assert rt.records.list(boss, "payments")["total"] == 0
    nav(page, lambda: page.get_by_role("button", name="Import 3 rows").click())
    expect(page.locator(".flash-success")).to_contain_text("Imported 3 rows: 3 records created")
    shot(page, "import-05-history")
    saved = sorted(rt.records.list(boss, "payments")["records"], key=lambda r: r["id"])
    assert [(r["client"]["display"], r["amount"]["amount"], r["paid_on"], r["note"]) for r in saved] == [
        ("ACME Ltd", "1234.50", "2026-01-15", "первый платёж"), ("Ромашка", "99.90", "2026-02-28", "исправленная дата"),
        ("ACME Ltd", "20.00", "2026-03-01", "сумма цифрами")]

    # the list: filter on the link by picking the client's name; export what is shown to XLSX
    nav(page, lambda: page.get_by_role("link", name="Open records").click())
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Field").select_option(label="Client")
    picker = page.locator("#filter-value input")
    picker.fill("ACM")
    page.get_by_role("option", name="ACME Ltd").click()
    nav(page, lambda: page.get_by_role("button", name="Add filter").click())
    expect(page.locator(".chips .chip").first).to_contain_text("Client is ACME Ltd")
    expect(page.locator("#record-count")).to_have_text("2 records")
    shot(page, "import-06-filter-by-name")
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel workbook (XLSX)").click()
    target = tmp_path / "export.xlsx"
    download.value.save_as(str(target))
    assert download.value.suggested_filename == "Payments.xlsx"
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("ID", "Client", "Client (id)", "Amount", "Amount (currency)")
    acme = next(r["id"] for r in rt.records.list(boss, "clients")["records"] if r["name"] == "ACME Ltd")
    assert sorted(float(r[3]) for r in rows[1:]) == [20.0, 1234.5]
    assert {(r[1], r[2], r[4]) for r in rows[1:]} == {("ACME Ltd", acme, "RUB")}

    # revert the import from the history
    page.goto("/t/payments/imports")
    page.once("dialog", lambda d: d.accept())
    nav(page, lambda: page.get_by_role("button", name="Revert this import").click())
    expect(page.locator(".flash-success")).to_contain_text("3 records moved to the trash")
    expect(page.get_by_role("button", name="Revert this import")).to_have_count(0)
    shot(page, "import-07-reverted")
    assert rt.records.list(boss, "payments")["total"] == 0
