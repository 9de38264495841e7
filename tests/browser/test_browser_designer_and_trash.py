"""A retype that would lose values shows the records first; bulk delete and the trash; Russian."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def nav(page, action):
    """Do something that loads another page, and wait until that page and its scripts are ready."""
    with page.expect_navigation():
        action()


def test_retype_lists_the_losses_before_anything_changes(live, boss, new_page, sign_in, shot):
    live.rt.schema.create_table(boss, {"label": "Parts", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Code", "type": "text"}]})
    live.rt.records.create(boss, "parts", {"name": "Bolt", "code": "12"})
    odd = live.rt.records.create(boss, "parts", {"name": "Nut", "code": "N-7"})
    page = new_page()
    sign_in(page)
    page.goto("/design/t/parts")
    page.locator("#field-rows .row", has_text="Code").get_by_role("button", name="Edit").click()
    dialog = page.locator("#field-dialog")
    dialog.get_by_label("Type", exact=True).select_option(label="Integer")
    dialog.get_by_role("button", name="Save").click()
    report = page.locator("#retype-report")
    expect(report).to_contain_text("These records would lose their value")
    expect(report.get_by_role("link", name=f"#{odd['id']}")).to_be_visible()
    shot(page, "12-retype-losses")
    assert live.rt.schema.get_table(boss, "parts")["fields"][1]["type"] == "text"  # nothing changed yet
    nav(page, lambda: dialog.get_by_role("button", name="Convert anyway").click())
    expect(page.locator(".flash-success")).to_contain_text("Saved")
    assert live.rt.records.get(boss, "parts", odd["id"])["code"] is None


def test_bulk_delete_goes_to_the_trash_and_restores(live, boss, new_page, sign_in):
    live.rt.schema.create_table(boss, {"label": "Notes", "fields": [{"label": "Title", "type": "text"}]})
    for title in ("One", "Two", "Three"):
        live.rt.records.create(boss, "notes", {"title": title})
    page = new_page()
    sign_in(page)
    page.goto("/t/notes")
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Select record 1").check()
    page.get_by_label("Select record 3").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.once("dialog", lambda d: d.accept())
    nav(page, lambda: page.get_by_role("button", name="Delete selected").click())
    expect(page.locator("#record-count")).to_have_text("1 record")
    nav(page, lambda: page.get_by_role("link", name="Trash").click())
    row = page.locator("tr", has_text="Three")
    nav(page, lambda: row.get_by_role("button", name="Restore").click())
    expect(page.locator(".flash-success")).to_contain_text("Restored")
    page.goto("/t/notes")
    expect(page.locator("#record-count")).to_have_text("2 records")


def test_the_shell_in_russian(live, boss, new_page, sign_in, shot):
    live.rt.schema.create_table(boss, {"label": "Клиенты", "api_name": "clients", "section": "Продажи", "fields": [
        {"label": "Название", "api_name": "name", "type": "text"},
        {"label": "Баланс", "api_name": "balance", "type": "money", "options": {"currency": "RUB"}}]})
    live.rt.records.create(boss, "clients", {"name": "Ромашка", "balance": "125000.5"})
    page = new_page(locale="ru-RU")
    sign_in_ru(page)
    page.goto("/t/clients")
    expect(page.get_by_role("link", name="Новая запись").first).to_be_visible()
    expect(page.locator("#records tbody")).to_contain_text(re.compile(r"125\s000,50\s₽"))
    shot(page, "13-list-russian")
    page.get_by_role("button", name=re.compile("Olga Boss")).click()
    nav(page, lambda: page.get_by_role("button", name="English").click())
    expect(page.get_by_role("link", name="New record").first).to_be_visible()


def sign_in_ru(page):
    page.goto("/login")
    page.get_by_label("Имя пользователя").fill("boss")
    page.get_by_label("Пароль").fill("boss-password")
    nav(page, lambda: page.get_by_role("button", name="Войти").click())


def test_list_designer_and_menu_sections(live, boss, new_page, sign_in):
    live.rt.schema.create_table(boss, {"label": "Products", "section": "Stock", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Price", "type": "decimal"}, {"label": "Code", "type": "text"}]})
    live.rt.schema.create_table(boss, {"label": "Clients", "section": "Sales", "fields": [{"label": "Name", "type": "text"}]})
    for name, price in (("Apple", "3"), ("Pear", "5"), ("Fig", "4")):
        live.rt.records.create(boss, "products", {"name": name, "price": price, "code": name[:2]})
    page = new_page()
    sign_in(page)
    page.goto("/design/t/products/list")
    rows = page.locator("#column-rows .row")
    rows.filter(has_text="Code").get_by_role("checkbox").uncheck()
    rows.filter(has_text="Price").get_by_role("button", name="Move up: Price").click()
    page.get_by_label("Sort by").select_option(label="Price")
    page.get_by_label("Direction").select_option(label="Descending")
    nav(page, lambda: page.get_by_role("button", name="Save").click())
    page.goto("/t/products")
    header = page.locator("#records thead th[data-field]")
    expect(header).to_have_text([re_text("Price"), re_text("Name")])
    expect(page.locator("#records tbody tr").first).to_contain_text("Pear")

    page.goto("/design")
    sections = page.locator("#section-rows .row")
    expect(sections).to_have_count(2)
    sections.filter(has_text="Stock").get_by_role("button", name="Move Stock up").click()
    sections.filter(has_text="Sales").get_by_label("Hidden").check()
    nav(page, lambda: page.get_by_role("button", name="Save sections").click())
    menu = page.get_by_role("navigation", name="Tables")
    expect(menu.locator(".nav-title")).to_have_text([re_text("Stock"), re_text("Sales")])
    stored = page.request.get("/api/v1/sections").json()["sections"]
    assert [(s["name"], s["hidden"]) for s in stored] == [("Stock", False), ("Sales", True)]


def re_text(word):
    return re.compile(rf"^\s*{word}\b")
