"""Live forms, the editable list and the field dialog, walked as a user in Chromium.

* a card computes its line amounts, its total and its defaults while the user types
  (the server's preview; nothing is saved until Create);
* the list is edited like a spreadsheet: two cells saved, a third refused with the
  conflict shown in that cell when someone else changed the record meanwhile, a block
  pasted, Ctrl+Z;
* the field dialog offers min/max for an integer, and a formula typed with [Label]s is
  saved, shown with labels again, and computes.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect


def nav(page, action):
    with page.expect_navigation():
        action()


def make_orders(rt, boss):
    rt.schema.create_table(boss, {"label": "Orders", "api_name": "orders", "fields": [
        {"label": "Customer", "api_name": "customer", "type": "text", "options": {"required": True}},
        {"label": "Ordered", "api_name": "ordered", "type": "date"},
        {"label": "Deliver by", "api_name": "deliver_by", "type": "date",
         "options": {"default_formula": "add_days(ordered, 10)"}},
        {"label": "Lines", "api_name": "lines", "type": "lines", "options": {"fields": [
            {"label": "Item", "api_name": "item", "type": "text"},
            {"label": "Qty", "api_name": "qty", "type": "decimal", "options": {"places": 2, "default": 1}},
            {"label": "Price", "api_name": "price", "type": "money", "options": {"currency": "EUR"}},
            {"label": "VAT", "api_name": "vat", "type": "percent", "options": {"default": 20}},
            {"label": "Amount", "api_name": "amount", "type": "formula",
             "options": {"expression": "qty * price", "places": 2}}]}},
        {"label": "Total", "api_name": "total", "type": "formula", "options": {"expression": "sum(lines.amount)"}},
        {"label": "Rush fee", "api_name": "rush_fee", "type": "money",
         "options": {"currency": "EUR", "visible_if": "total > 100"}},
    ]})


def test_a_card_computes_while_the_user_types(live, boss, new_page, sign_in, shot):
    make_orders(live.rt, boss)
    page = new_page()
    sign_in(page)
    page.goto("/t/orders/new")
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Customer").fill("Fjord AS")
    page.get_by_label("Ordered").fill("3/2/2026")
    page.get_by_label("Ordered").blur()
    expect(page.get_by_label("Deliver by")).to_have_value("3/12/2026")  # the default follows the date
    grid = page.locator(".lines")
    fee = page.locator('.field[data-field="rush_fee"]')
    expect(fee).to_be_hidden()
    for item, qty, price in (("Bolts", "12", "2.5"), ("Nuts", "", "0.625")):
        grid.get_by_role("button", name="Add line").click()
        row = grid.locator("tbody tr").last
        row.get_by_label("Item").fill(item)
        if qty:
            row.get_by_label("Qty").fill(qty)
        row.get_by_label("Price").fill(price)
    first, second = grid.locator("tbody tr").nth(0), grid.locator("tbody tr").nth(1)
    expect(first.locator('td[data-cell="amount"] output')).to_have_text("€30.00")
    expect(second.get_by_label("Qty")).to_have_value("1.00")       # the line's default
    expect(second.get_by_label("VAT")).to_have_value("20.00")
    expect(second.locator('td[data-cell="price"] .live-problem')).to_be_visible()  # 0.625: too many digits for money…
    second.get_by_label("Price").fill("75")                       # …so the user types another price
    expect(second.locator('td[data-cell="amount"] output')).to_have_text("€75.00")
    expect(page.locator('.field[data-field="total"] output')).to_have_text("€105.00")
    totals = grid.locator("tfoot td[data-total]")
    expect(totals).to_have_count(1)                                 # the amounts; not qty, price or VAT
    expect(grid.locator('tfoot td[data-total="amount"]')).to_have_text("€105.00")
    expect(fee).to_be_visible()                                     # "show only when" total > 100
    shot(page, "live-01-card-computes-while-typing")
    assert live.rt.records.list(boss, "orders")["total"] == 0       # nothing saved yet
    nav(page, lambda: page.get_by_role("button", name="Create").click())
    saved = live.rt.records.list(boss, "orders")["records"][0]
    assert saved["total"] == {"amount": "105.00", "currency": "EUR"} or saved["total"] == "105.00"
    assert saved["deliver_by"] == "2026-03-12" and [line["qty"] for line in saved["lines"]] == ["12.00", "1.00"]


def test_the_list_is_edited_in_place_and_a_conflict_stays_in_its_cell(live, boss, new_page, sign_in, shot):
    make_orders(live.rt, boss)
    rt = live.rt
    ids = [rt.records.create(boss, "orders", {"customer": name, "ordered": "2026-03-02"})["id"]
           for name in ("Acme", "Birch", "Cedar")]
    page = new_page()
    sign_in(page)
    page.goto("/t/orders?cols=customer,ordered,deliver_by,total&sort=customer")
    page.wait_for_selector("body[data-ready]")
    nav(page, lambda: page.locator("#records tbody tr").first.locator('td[data-field="customer"]').click())
    page.go_back()                                                 # a click opens the card until…
    page.wait_for_selector("body[data-ready]")
    page.get_by_role("button", name="Edit in the list").click()   # …the list is switched to editing
    expect(page.get_by_role("button", name="Edit in the list")).to_have_attribute("aria-pressed", "true")
    rows = page.locator("#records tbody tr")
    cell = lambda r, name: rows.nth(r).locator(f'td[data-field="{name}"]')  # noqa: E731
    # two cells: typed over, Tab to the next, Enter to save and go down
    cell(0, "customer").click()
    page.keyboard.type("Acme Ltd")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+a")
    page.keyboard.type("4/1/2026")
    page.keyboard.press("Enter")
    expect(cell(0, "customer")).to_have_text("Acme Ltd")
    expect(cell(0, "ordered")).to_have_text(re.compile("Apr 1, 2026|1 Apr 2026"))
    expect(rows.nth(0)).to_have_attribute("data-version", "3")      # two saves, one after the other
    record = rt.records.get(boss, "orders", ids[0])
    assert record["customer"] == "Acme Ltd" and record["ordered"] == "2026-04-01" and record["version"] == 3
    # someone else changes Birch; our edit of Birch is refused in its cell, the typed text kept
    birch = rt.records.get(boss, "orders", ids[1])
    rt.records.update(boss, "orders", ids[1], {"customer": "Birch & Co"}, version=birch["version"])
    cell(1, "customer").dblclick()
    page.keyboard.press("Control+a")
    page.keyboard.type("Birch Trading")
    page.keyboard.press("Enter")
    expect(cell(1, "customer")).to_have_class(re.compile("cell-conflict"))
    expect(cell(1, "customer").locator(".cell-problem")).to_contain_text("changed by")
    expect(cell(1, "customer")).to_contain_text("Birch Trading")
    expect(cell(0, "customer")).to_have_text("Acme Ltd")          # nothing else is lost
    assert rt.records.get(boss, "orders", ids[1])["customer"] == "Birch & Co"
    expect(cell(1, "customer").locator(".cell-problem")).to_contain_text("Now: Birch & Co")
    shot(page, "live-02-grid-conflict-in-its-cell")
    cell(1, "customer").click()                                    # Enter: mine, over theirs, knowingly
    page.keyboard.press("Enter")
    expect(cell(1, "customer").locator(".cell-editor")).to_have_value("Birch Trading")
    page.keyboard.press("Enter")
    expect(rows.nth(1)).to_have_attribute("data-version", "3")      # saved over version 2
    expect(cell(1, "customer")).to_have_text("Birch Trading")
    expect(cell(1, "customer")).not_to_have_class(re.compile("cell-conflict"))
    assert rt.records.get(boss, "orders", ids[1])["customer"] == "Birch Trading"
    # an invalid value is shown in its cell
    cell(2, "ordered").click()
    page.keyboard.press("Enter")
    page.keyboard.press("Control+a")
    page.keyboard.type("2/31/2026")
    page.keyboard.press("Enter")
    expect(cell(2, "ordered")).to_have_class(re.compile("cell-invalid"))
    expect(cell(2, "ordered").locator(".cell-problem")).to_contain_text("no such date")
    shot(page, "live-03-grid-invalid-value-in-its-cell")
    # a block pasted from a spreadsheet, then undone
    cell(2, "customer").click()
    page.evaluate("""() => {
        const data = new DataTransfer();
        data.setData("text/plain", "Cedar Oy\\t5/6/2026\\n");
        document.querySelector("#records td.selected-cell").dispatchEvent(
            new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
    }""")
    expect(cell(2, "customer")).to_have_text("Cedar Oy")
    assert rt.records.get(boss, "orders", ids[2])["ordered"] == "2026-05-06"
    cell(2, "customer").click()
    page.keyboard.press("Control+z")
    expect(cell(2, "customer")).to_have_text("Cedar")
    expect(page.locator(".flash-success")).to_contain_text("undone")
    cedar = rt.records.get(boss, "orders", ids[2])
    assert cedar["customer"] == "Cedar" and cedar["ordered"] == "2026-03-02"
    history = rt.records.history(boss, "orders", ids[2])
    assert len(history) == 3  # created, pasted, undone: every change is in the history
    shot(page, "live-04-grid-after-paste-and-undo")


def test_the_field_dialog_offers_min_max_and_formulas_by_label(live, boss, new_page, sign_in, shot):
    make_orders(live.rt, boss)
    page = new_page()
    sign_in(page)
    page.goto("/design/t/orders")
    page.wait_for_selector("body[data-ready]")
    page.get_by_role("button", name="Add field").click()
    dialog = page.locator("#field-dialog")
    dialog.get_by_label("Field label").fill("Boxes")
    dialog.get_by_label("Type", exact=True).select_option(label="Integer")
    expect(dialog.get_by_label("Smallest value allowed")).to_be_visible()
    expect(dialog.get_by_label("Largest value allowed")).to_be_visible()
    dialog.get_by_label("Smallest value allowed").fill("1")
    dialog.get_by_label("Largest value allowed").fill("50")
    dialog.get_by_label("Default value").fill("1")
    shot(page, "live-05-field-dialog-integer")
    nav(page, lambda: dialog.get_by_role("button", name="Save").click())
    boxes = live.rt.schema.snapshot().table("orders").field("boxes")
    assert boxes.options["min"] == 1 and boxes.options["max"] == 50 and boxes.options["default"] in (1, "1")
    # a text field's pattern says what a pattern of text is
    page.get_by_role("button", name="Add field").click()
    dialog.get_by_label("Type", exact=True).select_option(label="Single-line text")
    expect(dialog.locator("#opt-pattern-help")).to_contain_text("regular expression")
    dialog.get_by_label("Type", exact=True).select_option(label="Counter")
    expect(dialog.locator("#opt-pattern-help")).to_contain_text("{YYYY}")
    # a formula typed with labels, a field inserted by a click
    dialog.get_by_label("Field label").fill("Lead time")
    dialog.get_by_label("Type", exact=True).select_option(label="Formula")
    formula = dialog.get_by_label("Formula", exact=True)
    formula.fill("[Deliver by] - ")
    dialog.locator(".insert-name", has=page.locator("code", has_text=re.compile("^ordered$"))).click()
    expect(formula).to_have_value("[Deliver by] - [Ordered]")
    expect(page.locator("#formula-status")).to_contain_text("deliver_by - ordered")
    formula.fill("[Deliver by] - [Ordred]")
    expect(page.locator("#formula-status")).to_contain_text("did you mean [Ordered]")
    expect(page.locator("mark.formula-error")).to_have_text("[Ordred]")
    formula.fill("[Deliver by] - [Ordered] +")
    expect(page.locator("#formula-status")).to_contain_text("ends too early")
    expect(page.locator("mark.formula-error")).to_have_text("+")
    formula.fill("[Deliver by] - [Ordered]")
    expect(page.locator("#formula-status")).to_contain_text("The formula is correct")
    shot(page, "live-06-field-dialog-formula-by-label")
    nav(page, lambda: dialog.get_by_role("button", name="Save").click())
    lead = live.rt.schema.snapshot().table("orders").field("lead_time")
    assert lead.options["expression"] == "deliver_by - ordered"
    page.locator("#field-rows .row", has_text="Lead time").get_by_role("button", name="Edit").click()
    expect(formula).to_have_value("[Deliver by] - [Ordered]")
    page.keyboard.press("Escape")
    # renaming a field used by the formula breaks nothing
    live.rt.schema.update_field(boss, "orders", "ordered", {"label": "Order date", "api_name": "order_date"})
    saved = live.rt.records.create(boss, "orders", {"customer": "Fjord", "order_date": "2026-03-02"})
    assert saved["lead_time"] in (10, "10", "10.00")
    page.goto(f"/t/orders/{saved['id']}")
    page.wait_for_selector("body[data-ready]")
    expect(page.locator('.field[data-field="lead_time"] output')).to_have_text("10")
    page.goto("/design/t/orders")
    page.locator("#field-rows .row", has_text="Lead time").get_by_role("button", name="Edit").click()
    expect(formula).to_have_value("[Deliver by] - [Order date]")
