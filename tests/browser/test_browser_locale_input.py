"""Typing numbers and dates the way people write them: a Russian user's "12,50" in a money
field saves 12.50, "abc" in an integer field is an error that keeps "abc", an impossible date
is an error (never an empty date), and a line item's cell is read the same way."""

from __future__ import annotations

from playwright.sync_api import expect


def nav(page, action):
    with page.expect_navigation():
        action()


def make_orders(rt, boss):
    rt.schema.create_table(boss, {"label": "Orders", "fields": [
        {"label": "Name", "type": "text", "options": {"required": True}},
        {"label": "Total", "type": "money", "options": {"currency": "RUB"}},
        {"label": "Count", "type": "integer"},
        {"label": "Due", "type": "date"},
        {"label": "Items", "type": "lines", "options": {"fields": [
            {"label": "Item", "type": "text"}, {"label": "Qty", "type": "decimal"},
            {"label": "Price", "type": "money", "options": {"currency": "RUB"}},
            {"label": "Amount", "type": "formula", "options": {"expression": "qty * price"}}]}}]})


def sign_in_ru(page):
    page.goto("/login")
    page.get_by_label("Имя пользователя").fill("boss")
    page.get_by_label("Пароль").fill("boss-password")
    nav(page, lambda: page.get_by_role("button", name="Войти").click())


def test_russian_decimal_commas_and_errors_that_keep_the_text(live, boss, new_page, shot):
    make_orders(live.rt, boss)
    page = new_page(locale="ru-RU")
    sign_in_ru(page)
    page.goto("/t/orders/new")
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Name").fill("Заказ 1")
    page.get_by_label("Total").fill("12,50")
    page.get_by_label("Count").fill("abc")
    page.get_by_label("Due").fill("31.02.2027")
    page.get_by_label("Name").click()  # leave the inputs: each is read by the server
    count_error = page.locator("#err-count")
    expect(count_error).to_contain_text("abc")
    expect(page.locator("#err-due")).to_contain_text("31.02.2027")
    expect(page.get_by_label("Total")).to_have_value("12,50")
    page.get_by_role("button", name="Создать").click()
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.get_by_label("Count")).to_have_value("abc")  # what was typed stays
    expect(page.get_by_label("Count")).to_have_attribute("aria-invalid", "true")
    shot(page, "locale-01-errors-keep-the-text")
    assert live.rt.records.list(boss, "orders")["total"] == 0

    page.get_by_label("Count").fill("1 200")
    page.get_by_label("Due").fill("1.2.27")
    page.get_by_label("Name").click()
    expect(page.get_by_label("Due")).to_have_value("01.02.2027")  # shows what it understood
    expect(count_error).to_be_hidden()
    grid = page.locator(".lines")
    grid.get_by_role("button", name="Добавить строку").click()
    row = grid.locator("tbody tr").last
    row.get_by_label("Item").fill("Гвозди")
    row.get_by_label("Qty").fill("2,5")
    row.get_by_label("Price").fill("10,1")
    row.get_by_label("Item").click()
    expect(row.get_by_label("Price")).to_have_value("10,10")
    expect(row.locator("output")).not_to_have_text("")
    shot(page, "locale-02-read-in-russian")
    nav(page, lambda: page.get_by_role("button", name="Создать").click())
    saved = live.rt.records.list(boss, "orders")["records"][0]
    assert saved["total"] == {"amount": "12.50", "currency": "RUB"}
    assert saved["count"] == 1200 and saved["due"] == "2027-02-01"
    assert saved["items"][0]["price"]["amount"] == "10.10" and saved["items"][0]["qty"].startswith("2.5")
    expect(page.get_by_label("Total")).to_have_value("12,50")
    expect(page.get_by_label("Due")).to_have_value("01.02.2027")


def test_english_dates_and_an_impossible_one(live, boss, new_page, sign_in, shot):
    make_orders(live.rt, boss)
    page = new_page(locale="en-US")
    sign_in(page)
    page.goto("/t/orders/new")
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Name").fill("Order 1")
    page.get_by_label("Due").fill("02/31/2027")
    page.get_by_label("Total").fill("1,234.5")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#err-due")).to_contain_text("There is no such date")
    expect(page.get_by_label("Due")).to_have_value("02/31/2027")
    shot(page, "locale-03-impossible-date")
    assert live.rt.records.list(boss, "orders")["total"] == 0
    page.get_by_label("Due").fill("12/31/2026")
    nav(page, lambda: page.get_by_role("button", name="Create").click())
    saved = live.rt.records.list(boss, "orders")["records"][0]
    assert saved["due"] == "2026-12-31" and saved["total"]["amount"] == "1234.50"
    expect(page.get_by_label("Due")).to_have_value("12/31/2026")
    expect(page.get_by_label("Total")).to_have_value("1,234.50")
