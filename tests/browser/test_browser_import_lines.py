"""A CSV export of a table with line items and links to clients with the same name, taken
back through the browser: the list's Export menu gives the records and the line items as two
CSV files; the import page takes the second file beside the first, maps the ``(id)`` and
``(currency)`` columns by itself, and the copy holds the same records, links and lines."""

from __future__ import annotations

from playwright.sync_api import expect

FIELDS = [
    {"label": "Client", "type": "link", "options": {"target": "clients"}},
    {"label": "Total", "type": "money", "options": {"currency": "EUR"}},
    {"label": "Note", "type": "long_text"},
    {"label": "Lines", "type": "lines", "options": {"fields": [
        {"label": "Item", "type": "text"}, {"label": "Qty", "type": "integer"}]}},
]


def nav(page, action):
    with page.expect_navigation():
        action()


def download(page, link_name, tmp_path, name):
    if page.locator("#export-menu").is_hidden():
        page.get_by_role("button", name="Export").click()
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    target = tmp_path / name
    info.value.save_as(str(target))
    return target, info.value.suggested_filename


def comparable(rt, boss, table):
    out = []
    for r in sorted(rt.records.list(boss, table)["records"], key=lambda r: r["note"]):
        out.append((r["client"]["id"], r["total"], r["note"],
                    [(line["item"], line["qty"]) for line in r["lines"]]))
    return out


def test_csv_export_with_line_items_imports_back_through_the_browser(live, boss, new_page, sign_in, shot, tmp_path):
    rt = live.rt
    rt.schema.create_table(boss, {"label": "Clients", "fields": [{"label": "Name", "type": "text"}]})
    first = rt.records.create(boss, "clients", {"name": "ACME Ltd"})["id"]
    second = rt.records.create(boss, "clients", {"name": "ACME Ltd"})["id"]
    for label in ("Orders", "Orders copy"):
        rt.schema.create_table(boss, {"label": label, "fields": FIELDS})
    rt.records.create(boss, "orders", {"client": first, "total": {"amount": "10.50", "currency": "EUR"},
                                       "note": "a; first\nsecond line",
                                       "lines": [{"item": "Pen", "qty": 2}, {"item": "Ink; blue", "qty": 1}]})
    rt.records.create(boss, "orders", {"client": second, "total": {"amount": "99.99", "currency": "USD"},
                                       "note": "b, other", "lines": [{"item": "Paper", "qty": 5}]})

    page = new_page()
    sign_in(page)
    page.goto("/t/orders")
    page.wait_for_selector("body[data-ready]")
    records, name = download(page, "CSV (for Excel)", tmp_path, "orders.csv")
    assert name == "Orders.csv"
    lines, lines_name = download(page, "Line items “Lines” (CSV, keyed by Record ID)", tmp_path, "lines.csv")
    assert lines_name == "Orders - Lines.csv"
    assert "Record ID" in lines.read_text("utf-8-sig").splitlines()[0]

    page.goto("/t/orders_copy/import")
    page.get_by_label("CSV or Excel (XLSX) file").set_input_files(str(records))
    page.get_by_label("Lines: file of line items").set_input_files(str(lines))
    shot(page, "import-lines-01-upload")
    nav(page, lambda: page.get_by_role("button", name="Upload and continue").click())
    expect(page.locator(".lines-sources")).to_contain_text("Line items “Lines” from lines.csv")
    # the export's own columns are matched by themselves, the id and currency columns too
    expect(page.get_by_label("Client (id)", exact=True)).to_have_value("client.id")
    expect(page.get_by_label("Total (currency)", exact=True)).to_have_value("total.currency")
    shot(page, "import-lines-02-mapping")
    nav(page, lambda: page.get_by_role("button", name="Check the file").click())
    expect(page.locator(".import-result")).to_contain_text("The file is ready to import")
    assert rt.records.list(boss, "orders_copy")["total"] == 0
    nav(page, lambda: page.get_by_role("button", name="Import 2 rows").click())
    expect(page.locator(".flash-success")).to_contain_text("Imported 2 rows: 2 records created")
    shot(page, "import-lines-03-done")

    assert comparable(rt, boss, "orders_copy") == comparable(rt, boss, "orders")
    assert {r["client"]["id"] for r in rt.records.list(boss, "orders_copy")["records"]} == {first, second}
