"""The customer-accounting sample walked in Russian: the menu, lists and cards in Russian,
a line filled from the product picked with net, VAT and gross, a payment above the balance
refused with a Russian message, the payment status, a new report's first hint (B18) and a
history that names the client (B9). Screenshots: sample-ru-*.png."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.service import ReportService


def nav(page, action):
    with page.expect_navigation():
        action()


def sign_in_ru(page):
    page.goto("/login")
    page.get_by_label("Имя пользователя").fill("boss")
    page.get_by_label("Пароль").fill("boss-password")
    nav(page, lambda: page.get_by_role("button", name="Войти").click())


def install(rt, boss):
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(rt, boss, pkg)
    ReportService(rt).apply_package(boss, pkg.name, pkg.reports)
    load_demo(rt, boss, pkg)


def test_the_sample_in_russian(live, boss, new_page, shot):
    rt = live.rt
    install(rt, boss)
    invoices = rt.records.list(boss, "invoices", ListQuery(per_page=200))["records"]
    overdue = next(i for i in invoices if i["payment"] == "overdue")
    page = new_page(locale="ru-RU")
    sign_in_ru(page)

    expect(page.locator("body")).to_contain_text("Продажи")
    expect(page.locator("body")).to_contain_text("Товары и услуги")
    expect(page.locator("body")).to_contain_text("Каталог")  # the menu's sections
    expect(page.locator("body")).not_to_contain_text("Catalogue")
    expect(page.locator("body")).to_contain_text("Должники")
    shot(page, "sample-ru-01-home")

    page.goto("/t/invoices")
    expect(page.locator("h1")).to_contain_text("Счета")
    expect(page.locator("#records thead")).to_contain_text("Оплатить до")
    shot(page, "sample-ru-02-invoices")

    page.goto(f"/t/invoices/{overdue['id']}")
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("body")).to_contain_text("Просрочен")
    expect(page.locator("body")).to_contain_text("Сумма с НДС")
    shot(page, "sample-ru-03-overdue-invoice")

    # --- a new invoice: the line takes the product's price and description ---------------
    page.goto("/t/invoices/new")
    page.wait_for_selector("body[data-ready]")
    client = page.get_by_role("combobox", name="Клиент")
    client.fill(invoices[0]["client"]["display"][:6])
    page.get_by_role("option", name=invoices[0]["client"]["display"]).first.click()
    grid = page.locator(".lines")
    grid.get_by_role("button", name="Добавить строку").click()
    row = grid.locator("tbody tr").last
    product = row.get_by_role("combobox", name="Товар или услуга")
    product.fill("Toner")
    page.get_by_role("option", name="Toner cartridge").click()
    row.get_by_label("Количество").fill("2")
    expect(row.get_by_label("Цена")).to_have_value(re.compile(r"79,00"))  # filled while typing
    shot(page, "sample-ru-04-new-invoice-line-filled")
    nav(page, lambda: page.get_by_role("button", name="Создать").click())
    created = rt.records.list(boss, "invoices", ListQuery(sort=["-id"], per_page=1))["records"][0]
    line = created["lines"][0]
    assert line["price"]["amount"] == "79.00" and line["description"] == "Black, about 3,000 pages."
    assert (line["amount"]["amount"], line["vat_amount"]["amount"], line["gross"]["amount"]) == \
        ("158.00", "31.60", "189.60")
    assert created["total"]["amount"] == "189.60" and created["payment"] in (None, "")  # a draft

    # --- a payment above the balance is refused, in Russian -----------------------------
    rt.records.update(boss, "invoices", created["id"], {"status": "sent"}, version=created["version"])
    page.goto(f"/t/payments/new?invoice={created['id']}")
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Сумма").fill("500,00")
    page.get_by_role("button", name="Создать").click()
    expect(page.locator("#form-error")).to_have_text("Платёж больше остатка по счёту; введите сумму не больше долга.")
    shot(page, "sample-ru-05-payment-refused")
    page.get_by_label("Сумма").fill("100,00")
    nav(page, lambda: page.get_by_role("button", name="Создать").click())
    paid = rt.records.get(boss, "invoices", created["id"])
    assert paid["payment"] == "partly_paid" and paid["balance"]["amount"] == "89.60"
    payment = rt.records.list(boss, "payments", ListQuery(sort=["-id"], per_page=1))["records"][0]
    assert payment["date"] == created["date"]  # today, by default
    page.goto(f"/t/invoices/{created['id']}")
    expect(page.locator("body")).to_contain_text("Частично оплачен")
    shot(page, "sample-ru-06-partly-paid")

    # --- history names the client; a new report starts with a hint -----------------------
    other = next(i for i in invoices if i["client"]["id"] != created["client"]["id"])
    fresh = rt.records.get(boss, "invoices", created["id"])
    rt.records.update(boss, "invoices", created["id"], {"client": other["client"]["id"]}, version=fresh["version"])
    page.goto(f"/t/invoices/{created['id']}")
    page.get_by_role("tab", name="История").click()
    history = page.locator("#tab-history")
    expect(history).to_contain_text(f"{invoices[0]['client']['display']} → {other['client']['display']}")
    shot(page, "sample-ru-07-history")

    page.goto("/reports/new?table=invoices")
    expect(page.locator("#report-hint")).to_contain_text("Выберите, по чему группировать")
    expect(page.locator("#report-preview")).not_to_contain_text("Нет записей")
    shot(page, "sample-ru-08-new-report")
