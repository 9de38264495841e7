"""The configuration's own words in the user's language (B27): the sample's tables, fields,
choices, sections and reports in Russian, server messages on pages in Russian, English
for English users; a label changed by hand shows in every language."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cardfile.metamodel.errors import PackageInvalid
from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.samples import sample_path
from cardfile.reports.service import ReportService


@pytest.fixture(params=["sqlite"])
def db(request, tmp_path):  # the sample is applied once per test: SQLite is enough here
    yield f"sqlite:///{tmp_path / 'test.db'}", None


@pytest.fixture
def sample(rt, boss):
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(rt, boss, pkg)
    ReportService(rt).apply_package(boss, pkg.name, pkg.reports)
    client = rt.records.create(boss, "clients", {"name": "Acme Ltd"})
    invoice = rt.records.create(boss, "invoices", {
        "client": client["id"], "status": "sent", "due_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
        "date": (dt.date.today() - dt.timedelta(days=20)).isoformat(),
        "lines": [{"description": "Chairs", "quantity": "2", "price": "10.00", "vat": "0"}]})
    return invoice


def _russian(browser):
    home = browser.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home).group(1)
    assert browser.post("/language", data={"lang": "ru", "next": "/", "csrf_token": token}).status_code == 302


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_sample_speaks_the_users_language(browser, sample):
    english = _text(browser.get("/t/invoices").get_data(as_text=True))
    assert "Invoices" in english and "Sent" in english and "Счета" not in english
    _russian(browser)
    home = _text(browser.get("/").get_data(as_text=True))
    assert "Продажи" in home and "Клиенты" in home and "Товары и услуги" in home
    assert "Каталог" in home and "Персонал" in home and "Catalogue" not in home  # menu sections
    assert "Продажи по клиентам и месяцам" in home  # a saved report in the navigation
    listing = _text(browser.get("/t/invoices").get_data(as_text=True))
    assert "Счета" in listing and "Клиент" in listing and "Отправлен" in listing and "Оплатить до" in listing
    assert "Invoices" not in listing and "Sent" not in listing
    card = _text(browser.get(f"/t/invoices/{sample['id']}").get_data(as_text=True))
    assert "Оплатить до" in card and "Строки счёта" in card and "Сумма с НДС" in card and "Оплата" in card
    assert "Просрочен" in card and "Overdue" not in card
    assert "Сумма без НДС плюс НДС" in card  # help text
    reports = _text(browser.get("/reports/").get_data(as_text=True))
    assert "Должники" in reports and "Debtors" not in reports


def test_server_messages_on_pages_are_in_russian(browser, sample):
    _russian(browser)
    response = browser.post("/t/payments/new", json={"invoice": sample["id"], "amount": "500,00"},
                            headers={"X-CSRF-Token": _token(browser)})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == "Платёж больше остатка по счёту; введите сумму не больше долга."
    response = browser.post("/t/payments/new", json={"amount": "5"}, headers={"X-CSRF-Token": _token(browser)})
    assert response.get_json()["error"]["details"]["fields"]["invoice"] == ["обязательно для заполнения"]
    page = _text(browser.get("/t/invoices/999").get_data(as_text=True))
    assert "В таблице «Счета» нет записи 999." in page


def test_english_users_keep_the_defined_words(browser, sample):
    response = browser.post("/t/payments/new", json={"invoice": sample["id"], "amount": "500.00"},
                            headers={"X-CSRF-Token": _token(browser)})
    assert response.get_json()["error"]["message"].startswith("The payment is more than the invoice's open balance")


def test_a_label_changed_by_hand_shows_in_every_language(rt, boss, browser, sample):
    rt.schema.update_field(boss, "invoices", "due_date", {"label": "Pay by"})
    options = rt.schema.snapshot().table("invoices").field("due_date").options
    assert "translations" not in options  # its only translation was the label
    status = rt.schema.snapshot().table("invoices").field("status")
    rt.schema.update_field(boss, "invoices", "status", {"options": {"choices": [
        {"value": "draft", "label": "Draft"}, {"value": "sent", "label": "Issued"},
        {"value": "cancelled", "label": "Cancelled"}]}})
    words = rt.schema.snapshot().table("invoices").field("status").options["translations"]["ru"]
    assert words["label"] == status.options["translations"]["ru"]["label"]
    assert words["choices"] == {"draft": "Черновик", "cancelled": "Отменён"}  # "sent" was renamed by hand
    rt.schema.update_table(boss, "invoices", {"label": "Bills"})
    assert "label" not in rt.schema.snapshot().table("invoices").options["translations"]["ru"]
    _russian(browser)
    listing = _text(browser.get("/t/invoices").get_data(as_text=True))
    assert "Bills" in listing and "Pay by" in listing and "Issued" in listing and "Черновик" not in listing


def test_a_translation_naming_what_the_package_lacks_is_reported(tmp_path, write_pkg_ru):
    with pytest.raises(PackageInvalid) as caught:
        load_package(write_pkg_ru)
    assert [(p["file"], p["path"]) for p in caught.value.details["problems"]] == [
        ("translations/ru.yaml", "$.tables.orders.fields.colour"),
        ("translations/ru.yaml", "$.tables.orders.fields.status.choices.lost"),
        ("translations/ru.yaml", "$.tables.stock")]


@pytest.fixture
def write_pkg_ru(tmp_path):
    import yaml
    root = tmp_path / "shop"
    (root / "tables").mkdir(parents=True)
    (root / "translations").mkdir()
    (root / "package.yaml").write_text(yaml.safe_dump({"format": 1, "name": "shop", "title": "Shop", "version": "1.0.0", "tables": ["orders"]}))
    (root / "tables" / "orders.yaml").write_text(yaml.safe_dump({"api_name": "orders", "label": "Orders", "fields": [
        {"api_name": "status", "label": "Status", "type": "choice", "options": {"choices": [{"value": "new"}]}}]}))
    (root / "translations" / "ru.yaml").write_text(yaml.safe_dump({"tables": {
        "orders": {"label": "Заказы", "fields": {"colour": "Цвет", "status": {"choices": {"new": "Новый", "lost": "Потерян"}}}},
        "stock": {"label": "Склад"}}}, allow_unicode=True))
    return root


def _token(browser) -> str:
    page = browser.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
