"""Numbers, money, percents and dates typed into a card are read in the user's locale on the
server; what cannot be read is an error on that field (never a blank or a different number)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from babel import Locale
from flask import Flask
from flask_babel import Babel

from cardfile.platform.web import inputs

RU, EN = Locale.parse("ru"), Locale.parse("en")


@pytest.fixture
def ctx():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


@pytest.mark.parametrize("loc, text, expected", [
    (RU, "1 234,56", "1234.56"), (RU, "1\u00a0234,56", "1234.56"), (RU, "12,50", "12.50"), (RU, "12.5", "12.5"),
    (RU, "−5", "-5"), (EN, "1,234.56", "1234.56"), (EN, "12.5", "12.5"), (EN, "1234", "1234"),
])
def test_numbers_in_each_locale(ctx, loc, text, expected):
    assert inputs.parse_number(text, loc) == Decimal(expected)


@pytest.mark.parametrize("loc, text, words", [
    (EN, "12,50", "did you mean 1,250 or 12.5"), (EN, "abc", "is not a number"), (RU, "abc", "is not a number"),
    (RU, "1,2,3", "is not a number; type it like 1\u00a0234,56"),
])
def test_numbers_that_cannot_be_read_say_so(ctx, loc, text, words):
    with pytest.raises(inputs.InputError, match=words):
        inputs.parse_number(text, loc)


def test_whole_numbers_currency_and_percent_signs(ctx):
    with pytest.raises(inputs.InputError, match="not a whole number"):
        inputs.parse_number("12,5", RU, whole=True)
    assert inputs.parse_number("1 234,5 ₽", RU, currency="RUB") == Decimal("1234.5")
    assert inputs.parse_number("€12.50", EN, currency="EUR") == Decimal("12.50")
    assert inputs.parse_number("12.50 EUR", EN, currency="EUR") == Decimal("12.50")
    assert inputs.parse_number("12,5 %", RU, percent=True) == Decimal("12.5")


@pytest.mark.parametrize("loc, text, expected", [
    (RU, "31.12.2026", "2026-12-31"), (RU, "1.2.27", "2027-02-01"), (EN, "12/31/2026", "2026-12-31"),
    (EN, "2026-12-31", "2026-12-31"), (RU, "2026-12-31", "2026-12-31"), (RU, "5.3", "2026-03-05"),
    (EN, "3/5", "2026-03-05"),
])
def test_dates_in_each_locale(ctx, loc, text, expected):
    assert inputs.parse_date(text, loc, today=dt.date(2026, 6, 1)).isoformat() == expected


@pytest.mark.parametrize("loc, text, words", [
    (EN, "02/31/2027", "There is no such date"), (RU, "31.02.2027", "There is no such date"),
    (RU, "2027-02-31", "There is no such date"), (RU, "13.13.2026", "There is no month 13"),
    (EN, "tomorrow", "type it like 12/31/2026"), (RU, "31 12 2026 x", "type it like 31.12.2026"),
])
def test_impossible_or_unreadable_dates_are_errors(ctx, loc, text, words):
    with pytest.raises(inputs.InputError, match=words):
        inputs.parse_date(text, loc)


def test_inputs_start_with_the_value_in_the_locale(ctx):
    class F:
        def __init__(self, type_):
            self.type, self.options = type_, {}

        def opt(self, key, default=None):
            return default

    assert inputs.edit_text(F("money"), {"amount": "1234.50", "currency": "EUR"}, RU) == "1\u00a0234,50"
    assert inputs.edit_text(F("money"), {"amount": "1234.50", "currency": "EUR"}, EN) == "1,234.50"
    assert inputs.edit_text(F("integer"), 2026, RU) == "2026"
    assert inputs.edit_text(F("date"), "2026-12-31", RU) == "31.12.2026"
    assert inputs.edit_text(F("date"), "2026-12-31", EN) == "12/31/2026"
    assert inputs.date_placeholder(EN) == "mm/dd/yyyy"


# --- the card's save and the one-input check ---------------------------------------------------
def make_orders(rt, boss):
    rt.schema.create_table(boss, {"label": "Orders", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Total", "type": "money", "options": {"currency": "RUB"}},
        {"label": "Count", "type": "integer"}, {"label": "Discount", "type": "percent"},
        {"label": "Due", "type": "date"}, {"label": "Signed", "type": "date", "options": {"required": True}},
        {"label": "Items", "type": "lines", "options": {"fields": [
            {"label": "Item", "type": "text"}, {"label": "Qty", "type": "decimal", "options": {"places": 3}},
            {"label": "Price", "type": "money", "options": {"currency": "RUB"}}]}}]})


def token_of(client, url: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def post(client, url, body, token, lang="ru"):
    return client.post(url, json=body, headers={"X-CSRF-Token": token, "Accept-Language": lang})


def test_a_russian_card_saves_decimal_commas_and_dotted_dates(browser, rt, boss):
    make_orders(rt, boss)
    token = token_of(browser, "/t/orders/new")
    answer = post(browser, "/t/orders/new", {
        "name": "Первый", "total": {"amount": "1 234,5", "currency": "RUB"}, "count": "1 200",
        "discount": "12,5", "due": "31.12.2026", "signed": "01.02.2026",
        "items": [{"item": "Гвозди", "qty": "2,5", "price": {"amount": "12,50", "currency": "RUB"}}]}, token)
    assert answer.status_code == 201, answer.get_json()
    saved = rt.records.get(boss, "orders", answer.get_json()["id"])
    assert saved["total"] == {"amount": "1234.50", "currency": "RUB"} and saved["count"] == 1200
    assert saved["discount"] in ("12.5", "12.50") and saved["due"] == "2026-12-31" and saved["signed"] == "2026-02-01"
    assert saved["items"][0]["qty"] == "2.500" and saved["items"][0]["price"]["amount"] == "12.50"
    card = browser.get(f"/t/orders/{saved['id']}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'value="1\u00a0234,50"' in card and 'value="31.12.2026"' in card and 'value="1200"' in card
    assert 'type="number"' not in card and 'placeholder="дд.мм.гггг"' in card
    changed = post(browser, f"/t/orders/{saved['id']}", {"total": {"amount": "99,9", "currency": "RUB"},
                                                         "version": saved["version"]}, token)
    assert changed.status_code == 200 and changed.get_json()["total"]["amount"] == "99.90"


def test_unreadable_input_is_refused_by_field_and_nothing_is_saved(browser, rt, boss):
    make_orders(rt, boss)
    token = token_of(browser, "/t/orders/new")
    answer = post(browser, "/t/orders/new", {"name": "x", "count": "abc", "due": "02/31/2027",
                                              "signed": "2/30/2027", "items": [{"qty": "два"}]}, token, lang="en")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    fields = error["details"]["fields"]
    assert "is not a number" in fields["count"][0] and "no such date" in fields["due"][0]
    assert "no such date" in fields["signed"][0]  # not "is required": it was typed, it just does not exist
    assert "items[0].qty" in fields
    assert rt.records.list(boss, "orders")["total"] == 0
    # the English decimal point: "12,50" is not silently 1250
    refused = post(browser, "/t/orders/new", {"signed": "1/2/2026", "total": {"amount": "12,50", "currency": "RUB"}},
                   token, lang="en")
    assert refused.status_code == 422 and "did you mean" in refused.get_json()["error"]["details"]["fields"]["total"][0]


def test_a_stale_save_answers_with_the_conflict_for_the_dialog(browser, rt, boss):
    make_orders(rt, boss)
    record = rt.records.create(boss, "orders", {"name": "a", "signed": "2026-01-01"})
    rt.records.update(boss, "orders", record["id"], {"name": "b"}, version=record["version"])
    token = token_of(browser, "/t/orders/new")
    answer = post(browser, f"/t/orders/{record['id']}", {"name": "c", "version": record["version"]}, token)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "STALE_VERSION"


def test_one_input_is_read_when_the_user_leaves_it(browser, rt, boss):
    make_orders(rt, boss)
    token = token_of(browser, "/t/orders/new")
    money = post(browser, "/t/orders/read-input", {"field": "total", "text": "12,5", "currency": "RUB"}, token)
    assert money.get_json()["value"] == {"amount": "12.50", "currency": "RUB"}
    assert money.get_json()["text"] == "12,50"
    day = post(browser, "/t/orders/read-input", {"field": "due", "text": "1.2.27"}, token)
    assert day.get_json()["value"] == "2027-02-01" and day.get_json()["text"] == "01.02.2027"
    cell = post(browser, "/t/orders/read-input", {"field": "items.qty", "text": "1,2345"}, token)
    assert cell.status_code == 422  # three places at most
    bad = post(browser, "/t/orders/read-input", {"field": "count", "text": "abc"}, token)
    assert bad.status_code == 422 and "не число" in bad.get_json()["error"]["message"]
    missing = post(browser, "/t/orders/read-input", {"field": "nothing", "text": "1"}, token)
    assert missing.status_code == 422
