"""The report designer: build a pivot by dragging and clicking, preview it, chart it, save
it, open it from the navigation, and drill down from a cell to the records behind it."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from cardfile.reports.service import ReportService


def make_sales(live, boss):
    live.rt.schema.create_table(boss, {"label": "Sales", "api_name": "sales", "fields": [
        {"label": "Day", "type": "date"}, {"label": "Amount", "type": "decimal", "options": {"places": 2}},
        {"label": "Kind", "type": "choice", "options": {"choices": [
            {"value": "retail", "label": "Retail"}, {"value": "online", "label": "Online"}]}},
        {"label": "Note", "type": "text"}]})
    rows = []
    for i in range(12):
        rows.append({"day": (dt.date(2026, 1, 5) + dt.timedelta(days=20 * i)).isoformat(),
                     "amount": f"{10 * (i + 1)}.50", "kind": "retail" if i % 3 else "online", "note": f"sale {i}"})
    live.rt.records.bulk_create(boss, "sales", rows)
    return rows


def test_build_preview_save_and_drill_down(live, boss, new_page, sign_in, shot):
    rows = make_sales(live, boss)
    page = new_page()
    sign_in(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_label("New report on").select_option("sales")
    with page.expect_navigation():
        page.get_by_role("button", name="Design a report").click()

    # drag Kind to the rows, add Amount to the values with its button, Day by month to the columns
    page.locator(".field-chip[data-path='kind']").drag_to(page.locator(".zone[data-zone='rows']"))
    page.get_by_role("button", name="Add to values: Amount").click()
    page.get_by_role("button", name="Add to columns: Day").click()
    table = page.locator("table.pivot")
    online = sum(float(r["amount"]) for r in rows if r["kind"] == "online")
    retail = sum(float(r["amount"]) for r in rows if r["kind"] == "retail")
    online_row = table.locator("tr", has=page.locator("th", has_text="Online"))
    expect(online_row.locator("td.total").last).to_have_text(f"{online:,.2f}")
    expect(table.locator("tr.kind-total td.total").last).to_have_text(f"{online + retail:,.2f}")
    expect(page.locator("svg.chart rect.series-bar")).to_have_count(2)

    page.get_by_label("Name", exact=True).fill("Sales by kind")
    page.get_by_label("Shared with everyone").check()
    page.get_by_role("button", name="Save report").click()
    expect(page.locator(".flash-success")).to_contain_text("The report was saved")
    saved = ReportService(live.rt).list(boss)
    assert [(r["name"], r["shared"], r["definition"]["rows"]) for r in saved] == [
        ("Sales by kind", True, [{"field": "kind"}])]
    expect(page.get_by_role("link", name="XLSX")).to_have_attribute(
        "href", f"/api/v1/reports/{saved[0]['id']}/export?format=xlsx")
    shot(page, "20-report-designer")

    # open it again from the reports page, then from the navigation's saved reports
    nav = page.get_by_role("navigation")
    with page.expect_navigation():
        nav.get_by_role("link", name="Reports", exact=True).click()
    with page.expect_navigation():
        page.locator("#main").get_by_role("link", name="Sales by kind").click()
    expect(online_row.locator("td.total").last).to_have_text(f"{online:,.2f}")
    with page.expect_navigation():
        nav.get_by_role("link", name="Home", exact=True).click()
    with page.expect_navigation():
        nav.get_by_role("link", name="Sales by kind").click()
    expect(nav.get_by_role("link", name="Sales by kind")).to_have_attribute("aria-current", "page")
    expect(online_row.locator("td.total").last).to_have_text(f"{online:,.2f}")

    # drill down: the Online total -> the list of the online sales
    with page.expect_navigation():
        online_row.locator("td.total button.drill").last.click()
    assert "/t/sales" in page.url and "filter=kind" in page.url
    for r in rows:
        if r["kind"] == "online":
            expect(page.get_by_text(r["note"], exact=True)).to_be_visible()
        else:
            expect(page.get_by_text(r["note"], exact=True)).to_have_count(0)
    shot(page, "21-report-drill-down")
