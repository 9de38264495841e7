"""A business owner builds a Suppliers table and uses it, only by clicking and typing."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def nav(page, action):
    """Do something that loads another page, and wait until that page and its scripts are ready."""
    with page.expect_navigation():
        action()


def add_field(page, label, type_label, fill=None):
    page.get_by_role("button", name="Add field").click()
    dialog = page.locator("#field-dialog")
    dialog.get_by_label("Field label").fill(label)
    dialog.get_by_label("Type", exact=True).select_option(label=type_label)
    if fill:
        fill(dialog)
    nav(page, lambda: dialog.get_by_role("button", name="Save").click())
    expect(page.locator("#field-rows .row-title", has_text=label)).to_be_visible()


def open_row(page, text):
    """Click a list row like a person; wait until the card's script is ready."""
    nav(page, lambda: page.locator("#records tbody tr", has_text=text).click())
    page.wait_for_selector("body[data-ready]")


def test_owner_designs_suppliers_enters_filters_and_edits(live, boss, new_page, sign_in, shot):
    live.rt.schema.create_table(boss, {"label": "Countries", "section": "Reference",
                                       "fields": [{"label": "Name", "type": "text"}]})
    for name in ("Germany", "Norway", "Netherlands"):
        live.rt.records.create(boss, "countries", {"name": name})
    page = new_page()
    sign_in(page)
    shot(page, "01-home")

    # --- design the table -------------------------------------------------------------
    nav(page, lambda: page.get_by_role("link", name="Design", exact=True).first.click())
    page.get_by_role("button", name="New table").click()
    page.get_by_label("Table name", exact=True).fill("Suppliers")
    page.get_by_label("Menu section", exact=True).fill("Purchasing")
    nav(page, lambda: page.locator("#table-dialog").get_by_role("button", name="Save").click())
    assert page.url.endswith("/design/t/suppliers")

    add_field(page, "Name", "Single-line text", lambda d: d.get_by_label("Required").check())

    def choices(d):
        d.get_by_role("button", name="Add choice").click()
        d.locator(".choice-label").nth(0).fill("Preferred")
        d.get_by_role("button", name="Add choice").click()
        d.locator(".choice-label").nth(1).fill("Occasional")
    add_field(page, "Rating", "Choice", choices)
    add_field(page, "Since", "Date")
    add_field(page, "Credit limit", "Money", lambda d: d.get_by_label("Currency (ISO code)").fill("EUR"))
    add_field(page, "Country", "Link to a record", lambda d: d.get_by_label("Links to table").select_option(label="Countries"))

    def lines(d):
        for i, (label, kind) in enumerate((("Item", "text"), ("Qty", "integer"), ("Price", "decimal"))):
            d.get_by_role("button", name="Add column").click()
            d.locator(".line-label").nth(i).fill(label)
            d.locator(".line-type").nth(i).select_option(kind)
    add_field(page, "Price list", "Line items", lines)

    # a computed column on the lines, written in the formula editor that checks as you type
    nav(page, lambda: page.get_by_role("link", name="edit line fields").click())
    page.get_by_role("button", name="Add field").click()
    dialog = page.locator("#field-dialog")
    dialog.get_by_label("Field label").fill("Amount")
    dialog.get_by_label("Type", exact=True).select_option(label="Formula")
    dialog.get_by_label("Formula").fill("qty * prise")
    expect(page.locator("#formula-status")).to_contain_text("prise")
    expect(page.locator("mark.formula-error")).to_have_text("prise")
    shot(page, "02-field-dialog-formula")
    dialog.get_by_label("Formula").fill("qty * price")
    expect(page.locator("#formula-status")).to_contain_text("The formula is correct")
    nav(page, lambda: dialog.get_by_role("button", name="Save").click())
    expect(page.locator("#field-rows .row-title", has_text="Amount")).to_be_visible()

    page.goto("/design/t/suppliers")
    shot(page, "03-table-designer")

    # --- arrange the card into two tabs ---------------------------------------------------
    nav(page, lambda: page.get_by_role("link", name="Card layout").click())
    page.get_by_role("button", name="Add tab").click()
    page.locator(".tab-title").nth(1).fill("Terms")
    terms = page.locator(".designer-tab").nth(1)
    terms.get_by_label("Columns").select_option("1")
    zone = terms.locator(".drop-zone")
    page.locator('.chip-field[data-name="credit_limit"]').drag_to(zone)
    page.locator('.chip-field[data-name="price_list"]').drag_to(zone)
    expect(zone.locator(".chip-field")).to_have_text(["⠿Credit limit", "⠿Price list"])
    nav(page, lambda: page.get_by_role("button", name="Save layout").click())
    expect(page.locator(".flash-success")).to_contain_text("card layout was saved")
    shot(page, "04-layout-designer")
    tabs = page.request.get("/api/v1/tables/suppliers/layout").json()["layout"]["tabs"]
    assert [t["title"] for t in tabs] == ["General", "Terms"]
    assert tabs[1]["sections"][0]["fields"] == [["credit_limit", "price_list"]]

    # --- three records ---------------------------------------------------------------------
    nav(page, lambda: page.get_by_role("link", name="Suppliers").first.click())
    expect(page.get_by_text("No records yet")).to_be_visible()
    nav(page, lambda: page.get_by_role("link", name="New record").first.click())
    page.get_by_label("Name").fill("Acme Tools")
    page.get_by_label("Rating").select_option(label="Preferred")
    page.get_by_label("Since").fill("2024-03-15")
    page.get_by_role("tab", name="Terms").click()
    page.get_by_label("Credit limit").fill("5000")
    nav(page, lambda: page.get_by_role("button", name="Create").click())
    expect(page.locator(".flash-success")).to_contain_text("Created")
    expect(page.locator("h1")).to_have_text("Acme Tools")

    page.goto("/t/suppliers/new")
    page.get_by_role("button", name="Create").click()  # the required name is missing
    expect(page.locator("#err-name")).to_be_visible()
    page.get_by_label("Name").fill("Nordic Parts")
    page.get_by_label("Rating").select_option(label="Occasional")
    picker = page.get_by_role("combobox", name="Country")
    picker.fill("Nor")
    page.get_by_role("option", name=re.compile("Norway")).click()
    expect(page.locator(".open-link")).to_be_visible()
    nav(page, lambda: page.get_by_role("button", name="Create").click())
    expect(page.locator("h1")).to_have_text("Nordic Parts")
    expect(page.get_by_role("combobox", name="Country")).to_have_value("Norway")

    page.goto("/t/suppliers/new")
    page.get_by_label("Name").fill("Berlin Supply")
    page.get_by_role("tab", name="Terms").click()
    grid = page.locator(".lines")
    for item, qty, price in (("Bolts", "10", "2.5"), ("Nuts", "4", "1.25")):
        grid.get_by_role("button", name="Add line").click()
        row = grid.locator("tbody tr").last
        row.get_by_label("Item").fill(item)
        row.get_by_label("Qty").fill(qty)
        row.get_by_label("Price").fill(price)
    expect(grid.locator("tbody tr").nth(0).locator("output")).to_have_text("25")
    expect(grid.locator('tfoot td[data-total="amount"]')).to_have_text("30")
    grid.locator("tbody tr").nth(1).get_by_role("button", name="Move up").click()
    expect(grid.locator("tbody tr").nth(0).get_by_label("Item")).to_have_value("Nuts")
    shot(page, "05-card-line-items")
    nav(page, lambda: page.get_by_role("button", name="Create").click())
    expect(page.locator("h1")).to_have_text("Berlin Supply")
    record = live.rt.records.list(boss, "suppliers", None)["records"][-1]
    assert [line["item"] for line in record["price_list"]] == ["Nuts", "Bolts"]
    assert [line["amount"] for line in record["price_list"]] in (["5", "25"], ["5.00", "25.00"], [5, 25])

    # --- filter, sort, save a view ---------------------------------------------------------
    nav(page, lambda: page.get_by_role("navigation", name="Tables").get_by_role("link", name="Suppliers").click())
    expect(page.locator("#record-count")).to_have_text("3 records")
    page.get_by_label("Field").select_option(label="Rating")
    page.get_by_label("Condition").select_option(label="is")
    page.locator("#filter-value").select_option(label="Preferred")
    nav(page, lambda: page.get_by_role("button", name="Add filter").click())
    expect(page.locator("#record-count")).to_have_text("1 record")
    expect(page.locator("#records tbody")).to_contain_text("Acme Tools")
    nav(page, lambda: page.get_by_role("link", name="Remove filter").click())
    expect(page.locator("#record-count")).to_have_text("3 records")
    nav(page, lambda: page.locator("#records thead").get_by_role("link", name="Name").click())
    nav(page, lambda: page.locator("#records thead").get_by_role("link", name="Name").click())  # descending
    names = page.locator("#records tbody tr td:nth-child(3)").all_text_contents()
    assert names == ["Nordic Parts", "Berlin Supply", "Acme Tools"]
    page.once("dialog", lambda d: d.accept("Newest names first"))
    nav(page, lambda: page.get_by_role("button", name="Save view").click())
    expect(page.locator(".flash-success")).to_contain_text("view was saved")
    expect(page.locator("#view-select option:checked")).to_have_text("Newest names first")
    shot(page, "06-list-view")
    page.goto("/t/suppliers?view=")
    nav(page, lambda: page.locator("#view-select").select_option(label="Newest names first"))
    expect(page.locator("#records tbody tr").first).to_contain_text("Nordic Parts")

    # --- edit a record and read its history ----------------------------------------------
    open_row(page, "Acme Tools")
    page.get_by_role("tab", name="Terms").click()
    page.get_by_label("Credit limit").fill("7500")
    nav(page, lambda: page.get_by_role("button", name="Save").click())
    expect(page.locator(".flash-success")).to_contain_text("Saved")
    page.get_by_role("tab", name="History").click()
    history = page.locator("#tab-history")
    expect(history).to_contain_text("Olga Boss")
    expect(history.locator("li", has_text="Credit limit").first).to_contain_text("€5,000.00")
    expect(history.locator("li", has_text="Credit limit").first).to_contain_text("€7,500.00")
    shot(page, "07-card-history")

    # the related list on a country shows its suppliers, with "add new" prefilled
    page.goto("/t/countries")
    open_row(page, "Norway")
    related = page.locator(".related")
    expect(related).to_contain_text("Nordic Parts")
    nav(page, lambda: related.get_by_role("link", name="Add new").click())
    expect(page.get_by_role("combobox", name="Country")).to_have_value("Norway")

    # tablet width
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto("/t/suppliers")
    shot(page, "08-list-tablet")
    open_row(page, "Berlin Supply")
    shot(page, "09-card-tablet")
