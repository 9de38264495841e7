"""Card widgets in a real browser: conditional visibility, image upload with preview,
multi-choice, yes/no, date-time and percent round-trip through the API."""

from __future__ import annotations

import base64

from playwright.sync_api import expect


def nav(page, action):
    """Do something that loads another page, and wait until that page and its scripts are ready."""
    with page.expect_navigation():
        action()

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def test_widgets_round_trip_and_visibility_follows_the_expression(live, boss, new_page, sign_in, shot, tmp_path):
    live.rt.schema.create_table(boss, {"label": "Companies", "fields": [
        {"label": "Name", "type": "text"},
        {"label": "Kind", "type": "choice", "options": {"choices": [
            {"value": "company", "label": "Company", "color": "#2563eb"}, {"value": "person", "label": "Person"}]}},
        {"label": "VAT number", "type": "text", "options": {"visible_if": 'kind == "company"'}},
        {"label": "Tags", "type": "multi_choice", "options": {"choices": [{"value": "vip"}, {"value": "export"}]}},
        {"label": "Active", "type": "boolean"}, {"label": "Discount", "type": "percent"},
        {"label": "Next call", "type": "datetime"}, {"label": "Logo", "type": "image"}]})
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    page = new_page()
    sign_in(page)
    page.goto("/t/companies/new")
    page.wait_for_selector("body[data-ready]")
    vat = page.locator('.field[data-field="vat_number"]')
    expect(vat).to_be_hidden()
    page.get_by_label("Kind").select_option(label="Company")
    expect(vat).to_be_visible()
    page.get_by_label("Name").fill("Fjord AS")
    page.get_by_label("VAT number").fill("NO 123 456 789")
    page.get_by_label("vip").check()
    page.get_by_label("Active").check()
    page.get_by_label("Discount").fill("12.5")
    page.get_by_label("Next call").fill("2026-05-04T09:30")
    page.get_by_label("Logo").set_input_files(str(logo))
    expect(page.locator(".file-preview img")).to_be_visible()
    shot(page, "14-card-widgets")
    nav(page, lambda: page.get_by_role("button", name="Create").click())
    expect(page.locator("h1")).to_have_text("Fjord AS")
    saved = live.rt.records.list(boss, "companies", None)["records"][0]
    assert saved["kind"] == "company" and saved["vat_number"] == "NO 123 456 789"
    assert saved["tags"] == ["vip"] and saved["active"] is True and saved["discount"] in ("12.5", "12.50")
    assert saved["next_call"].startswith("2026-05-04T") and saved["logo"]["name"] == "logo.png"
    expect(page.get_by_label("Next call")).to_have_value("2026-05-04T09:30")
    expect(page.locator(".file-preview img")).to_be_visible()
    page.get_by_label("Kind").select_option(label="Person")
    expect(vat).to_be_hidden()
