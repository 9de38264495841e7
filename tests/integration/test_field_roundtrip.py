"""Every field type round-trips through the record service on both databases, edge values included."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from cardfile.metamodel.errors import ValidationFailed

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def roundtrip(runtime, admin, make_table):
    """``roundtrip(type, options, value)`` -> the value as ``get`` returns it after a create."""
    tables: dict = {}

    def run(type_key, options, value):
        key = (type_key, repr(sorted(options.items())))
        if key not in tables:
            tables[key] = make_table(f"Probe {len(tables) + 1}", [("Value", type_key, options)])
        name = tables[key]
        created = runtime.records.create(admin, name, {"value": value})
        got = runtime.records.get(admin, name, created["id"])
        assert got["value"] == created["value"]
        return got["value"]

    return run


def invalid(runtime, admin, make_table, type_key, options, value) -> str:
    name = make_table(f"Bad {type_key} {abs(hash(repr(value))) % 10**6}", [("Value", type_key, options)])
    with pytest.raises(ValidationFailed) as info:
        runtime.records.create(admin, name, {"value": value})
    assert runtime.records.list(admin, name)["total"] == 0
    return info.value.errors["value"][0]


def test_text_keeps_cyrillic_and_trims(roundtrip):
    assert roundtrip("text", {}, "  Клиент «Ромашка» — ООО  ") == "Клиент «Ромашка» — ООО"
    assert roundtrip("long_text", {}, "Строка 1\nСтрока 2\n") == "Строка 1\nСтрока 2\n"


def test_text_max_length_and_pattern(runtime, admin, make_table, roundtrip):
    assert roundtrip("text", {"max_length": 5}, "Пятьб") == "Пятьб"
    message = invalid(runtime, admin, make_table, "text", {"max_length": 5}, "Шесть!")
    assert "at most 5 characters" in message and "single-line text" in message
    assert roundtrip("text", {"pattern": r"[A-Z]{2}-\d+"}, "AB-12") == "AB-12"
    message = invalid(runtime, admin, make_table, "text",
                      {"pattern": r"[A-Z]{2}-\d+", "pattern_message": "use AB-123"}, "ab-12")
    assert message.startswith("use AB-123")
    assert "single line" in invalid(runtime, admin, make_table, "text", {}, "two\nlines")


def test_integer_including_big_values(roundtrip):
    for value in (0, -1, 2**53 + 1, 2**63 - 1, -(2**63 - 1)):
        assert roundtrip("integer", {}, value) == value
    assert roundtrip("integer", {}, "1 000 000") == 1000000


def test_integer_rejects_fractions_overflow_and_bounds(runtime, admin, make_table):
    assert "whole number" in invalid(runtime, admin, make_table, "integer", {}, "2.5")
    assert "too large" in invalid(runtime, admin, make_table, "integer", {}, 2**63)
    assert "at least 1" in invalid(runtime, admin, make_table, "integer", {"min": 1}, 0)
    message = invalid(runtime, admin, make_table, "integer", {}, "twelve")
    assert message == "expected a number, got 'twelve' (an integer field)"


def test_decimal_with_places(roundtrip):
    for value, expected in [
        ("1234.567", "1234.567"), ("-0.001", "-0.001"), ("1,5", "1.500"), (7, "7.000"),
        (0.1, "0.100"), ("999999999999999.999", "999999999999999.999"),
        ("-999999999999999.999", "-999999999999999.999"),
    ]:
        assert roundtrip("decimal", {"places": 3}, value) == expected


def test_decimal_rejects_extra_places_and_too_many_digits(runtime, admin, make_table):
    assert "at most 3 digits after" in invalid(runtime, admin, make_table, "decimal", {"places": 3}, "1.2345")
    message = invalid(runtime, admin, make_table, "decimal", {"places": 3}, "1000000000000000")
    assert "too large" in message


def test_decimal_limit_is_the_same_for_every_precision(roundtrip):
    assert roundtrip("decimal", {"places": 0}, "999999999999999999") == "999999999999999999"
    assert roundtrip("decimal", {"places": 8}, "9999999999.12345678") == "9999999999.12345678"


def test_money_negative_and_other_currency(roundtrip):
    assert roundtrip("money", {"currency": "USD"}, "-150.25") == {"amount": "-150.25", "currency": "USD"}
    assert roundtrip("money", {"currency": "USD"}, {"amount": 10, "currency": "gbp"}) == \
        {"amount": "10.00", "currency": "GBP"}
    assert roundtrip("money", {}, "12.5 RUB") == {"amount": "12.50", "currency": "RUB"}
    assert roundtrip("money", {"places": 0, "currency": "JPY"}, 1500) == {"amount": "1500", "currency": "JPY"}


def test_money_rejects_bad_currency(runtime, admin, make_table):
    message = invalid(runtime, admin, make_table, "money", {}, {"amount": "1", "currency": "EURO"})
    assert "three-letter ISO code" in message


def test_percent(roundtrip):
    assert roundtrip("percent", {}, "12.5") == "12.50"
    assert roundtrip("percent", {"places": 1}, -3) == "-3.0"


def test_boolean(roundtrip):
    for value in (True, False, "да", "no", 1):
        assert roundtrip("boolean", {}, value) is (value in (True, "да", 1))


def test_date(roundtrip):
    for value, expected in [
        ("2025-02-28", "2025-02-28"), ("31.12.2024", "2024-12-31"), ("0001-01-01", "0001-01-01"),
        ("9999-12-31", "9999-12-31"), (dt.date(2024, 2, 29), "2024-02-29"),
    ]:
        assert roundtrip("date", {}, value) == expected


def test_datetime_is_stored_as_utc(roundtrip):
    for value, expected in [
        ("2025-03-01T10:00:00+03:00", "2025-03-01T07:00:00Z"),
        ("2025-03-01T23:30:00-05:00", "2025-03-02T04:30:00Z"),
        ("2025-03-01T10:00:00.123456Z", "2025-03-01T10:00:00.123456Z"),
        ("2025-03-01 10:00", "2025-03-01T10:00:00Z"),
    ]:
        assert roundtrip("datetime", {}, value) == expected


CHOICES = [{"value": "new", "label": "Новый", "color": "#ff0000"}, {"value": "won", "label": "Won"},
           {"value": "lost", "label": "Lost"}]


def test_choice_by_value_or_label(roundtrip):
    assert roundtrip("choice", {"choices": CHOICES}, "новый") == "new"
    assert roundtrip("choice", {"choices": CHOICES}, "WON") == "won"


def test_choice_rejects_unknown(runtime, admin, make_table):
    message = invalid(runtime, admin, make_table, "choice", {"choices": CHOICES}, "maybe")
    assert "not one of the choices: new, won, lost" in message


def test_multi_choice_keeps_the_option_order(roundtrip):
    assert roundtrip("multi_choice", {"choices": CHOICES}, ["lost", "new", "lost"]) == ["new", "lost"]
    assert roundtrip("multi_choice", {"choices": CHOICES}, "won, Новый") == ["new", "won"]


def test_link_returns_the_display_value(runtime, admin, make_table):
    make_table("Clients", [("Code", "integer"), ("Name", "text")], api_name="clients", display_field="name")
    client = runtime.records.create(admin, "clients", {"code": 7, "name": "ООО Ромашка"})
    make_table("Orders", [("Client", "link", {"target": "clients"})], api_name="orders")
    order = runtime.records.create(admin, "orders", {"client": client["id"]})
    assert runtime.records.get(admin, "orders", order["id"])["client"] == \
        {"id": client["id"], "display": "ООО Ромашка"}
    again = runtime.records.create(admin, "orders", {"client": {"id": client["id"], "display": "ignored"}})
    assert again["client"]["id"] == client["id"]


def test_lines_keep_their_positions(runtime, admin, make_table):
    make_table("Invoices", [("Number", "text"), ("Lines", "lines", {"fields": [
        {"label": "Item", "type": "text"}, {"label": "Qty", "type": "integer"},
        {"label": "Price", "type": "money"}]})], api_name="invoices")
    inv = runtime.records.create(admin, "invoices", {"number": "1", "lines": [
        {"item": "Стол", "qty": 2, "price": "10.50"}, {"item": "Chair", "qty": 4, "price": "3"}]})
    got = runtime.records.get(admin, "invoices", inv["id"])
    assert [(line["position"], line["item"], line["qty"], line["price"]["amount"]) for line in got["lines"]] == \
        [(1, "Стол", 2, "10.50"), (2, "Chair", 4, "3.00")]


def test_email_is_normalised(roundtrip):
    assert roundtrip("email", {}, "John.Doe@EXAMPLE.COM") == "John.Doe@example.com"
    assert roundtrip("email", {}, "  ivan@пример.рф ") == "ivan@пример.рф"


def test_email_rejects_invalid(runtime, admin, make_table):
    assert "not a valid email address" in invalid(runtime, admin, make_table, "email", {}, "a@b@c")


def test_phone(roundtrip):
    assert roundtrip("phone", {}, "+44 20 7946 0958") == "+44 20 7946 0958"
    assert roundtrip("phone", {}, "+442079460958") == "+44 20 7946 0958"
    assert roundtrip("phone", {"region": "GB"}, "020 7946 0958") == "+44 20 7946 0958"
    assert roundtrip("phone", {}, "(495) 123-45-67") == "(495) 123-45-67"


def test_url(roundtrip):
    assert roundtrip("url", {}, "example.com/path?q=1") == "https://example.com/path?q=1"
    assert roundtrip("url", {}, "http://пример.рф") == "http://пример.рф"


def test_counter_follows_its_pattern(runtime, admin, make_table):
    name = make_table("Invoices", [("Number", "counter", {"pattern": "INV-{YYYY}-{####}"}), ("Note", "text")])
    year = dt.datetime.now(dt.timezone.utc).year
    first = runtime.records.create(admin, name, {"note": "a"})
    second = runtime.records.create(admin, name, {"note": "b"})
    assert (first["number"], second["number"]) == (f"INV-{year}-0001", f"INV-{year}-0002")
    with pytest.raises(ValidationFailed) as info:
        runtime.records.create(admin, name, {"number": "INV-1999-0001"})
    assert info.value.errors == {"number": ["is read-only"]}
    updated = runtime.records.update(admin, name, first["id"], {"number": first["number"], "note": "c"},
                                     version=first["version"])
    assert updated["number"] == first["number"]


def test_user_field_shows_the_users_name(runtime, admin, staff, roundtrip):
    assert roundtrip("user", {}, staff.id) == {"id": staff.id, "display": "Staff Member"}


def test_user_field_refuses_unknown_user(runtime, admin, make_table):
    message = invalid(runtime, admin, make_table, "user", {}, 999)
    assert "999" in message


def test_file_and_image_from_the_file_store(runtime, admin, roundtrip):
    doc = runtime.files.put(admin, io.BytesIO("Счёт №1".encode()), "счёт.txt", "text/plain")
    assert roundtrip("file", {}, doc) == doc
    assert runtime.files.open(admin, doc["sha256"])[0].read_bytes() == "Счёт №1".encode()
    image = runtime.files.put(admin, io.BytesIO(PNG), "dot.png", "application/octet-stream")
    assert image["content_type"] == "image/png"
    assert roundtrip("image", {}, image) == image
    same = runtime.files.put(admin, io.BytesIO(PNG), "copy.png", "image/png")
    assert same["sha256"] == image["sha256"]


def test_image_refuses_other_content(runtime, admin, make_table):
    doc = runtime.files.put(admin, io.BytesIO(b"plain"), "a.txt", "text/plain")
    assert "expected an image" in invalid(runtime, admin, make_table, "image", {}, doc)


def test_file_must_be_uploaded_first(runtime, admin, make_table):
    fake = {"sha256": "0" * 64, "name": "ghost.pdf"}
    assert "upload it first" in invalid(runtime, admin, make_table, "file", {}, fake)
