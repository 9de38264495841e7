"""The customer-accounting sample's invoicing: VAT, lines filled from the product, payment
defaults, the overpayment rule, the payment status, and demo data that keeps to them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery

OVERPAID = "The payment is more than the invoice's open balance; enter at most what is still owed."


def _amount(value) -> Decimal:
    return Decimal(value["amount"] if isinstance(value, dict) else value)


@pytest.fixture
def books(runtime, admin):
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(runtime, admin, pkg)
    records = runtime.records
    client = records.create(admin, "clients", {"name": "Acme Ltd"})
    chair = records.create(admin, "products", {"name": "Chair", "price": "249.00", "description": "Oak, with arms"})
    service = records.create(admin, "products", {"name": "Delivery", "kind": "service", "price": "25.00"})
    return runtime, admin, pkg, client["id"], chair["id"], service["id"]


def _invoice(books, **values):
    runtime, admin, _pkg, client, chair, service = books
    data = {"client": client, "status": "sent", "lines": [
        {"product": chair, "quantity": "2"}, {"product": service, "vat": "0"}], **values}
    return runtime.records.create(admin, "invoices", data)


def test_a_line_takes_price_and_description_from_the_product_and_computes_vat(books):
    invoice = _invoice(books)
    chair_line, delivery = invoice["lines"]
    assert chair_line["price"]["amount"] == "249.00" and chair_line["description"] == "Oak, with arms"
    assert delivery["description"] is None  # the product has none
    assert (_amount(chair_line["amount"]), _amount(chair_line["vat_amount"]), _amount(chair_line["gross"])) == \
        (Decimal("498.00"), Decimal("99.60"), Decimal("597.60"))
    assert _amount(delivery["gross"]) == Decimal("25.00")
    assert (_amount(invoice["net"]), _amount(invoice["vat_total"]), _amount(invoice["total"])) == \
        (Decimal("523.00"), Decimal("99.60"), Decimal("622.60"))
    assert invoice["date"] == dt.date.today().isoformat()  # defaults: today, due in 14 days
    assert invoice["due_date"] == (dt.date.today() + dt.timedelta(days=14)).isoformat()
    assert invoice["payment"] == "unpaid"


def test_payments_default_to_today_follow_the_invoice_and_never_exceed_it(books):
    runtime, admin = books[0], books[1]
    invoice = _invoice(books)
    payment = runtime.records.create(admin, "payments", {"invoice": invoice["id"], "amount": "100.00"})
    assert payment["date"] == dt.date.today().isoformat()
    got = runtime.records.get(admin, "invoices", invoice["id"])
    assert got["payment"] == "partly_paid" and _amount(got["balance"]) == Decimal("522.60")

    with pytest.raises(ValidationFailed) as caught:
        runtime.records.create(admin, "payments", {"invoice": invoice["id"], "amount": "522.61"})
    assert caught.value.message == OVERPAID and caught.value.errors == {"_record": [OVERPAID]}
    assert _amount(runtime.records.get(admin, "invoices", invoice["id"])["paid"]) == Decimal("100.00")
    with pytest.raises(ValidationFailed, match="more than the invoice's open balance"):  # a change too
        runtime.records.update(admin, "payments", payment["id"], {"amount": "700.00"}, version=payment["version"])
    with pytest.raises(ValidationFailed, match="more than the invoice's open balance"):  # and in bulk
        today = dt.date.today().isoformat()
        runtime.records.bulk_create(admin, "payments", [
            {"invoice": invoice["id"], "amount": "300.00", "date": today},
            {"invoice": invoice["id"], "amount": "300.00", "date": today}])

    runtime.records.create(admin, "payments", {"invoice": invoice["id"], "amount": "522.60"})
    got = runtime.records.get(admin, "invoices", invoice["id"])
    assert got["payment"] == "paid" and _amount(got["balance"]) == 0


def test_the_payment_status_shows_overdue_and_only_for_sent_invoices(books):
    runtime, admin = books[0], books[1]
    past = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    overdue = _invoice(books, date=past, due_date=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert overdue["payment"] == "overdue"
    runtime.records.create(admin, "payments", {"invoice": overdue["id"], "amount": "22.60"})
    assert runtime.records.get(admin, "invoices", overdue["id"])["payment"] == "overdue"  # still owed
    draft = _invoice(books, status="draft")
    assert draft["payment"] is None or draft["payment"] == ""
    cancelled = runtime.records.update(admin, "invoices", overdue["id"], {"status": "cancelled"},
                                       version=runtime.records.get(admin, "invoices", overdue["id"])["version"])
    assert cancelled["payment"] in (None, "")


def test_the_demo_data_keeps_to_the_rules(runtime, admin):
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(runtime, admin, pkg)
    load_demo(runtime, admin, pkg)
    invoices = runtime.records.list(admin, "invoices", ListQuery(per_page=500))["records"]
    payments = runtime.records.list(admin, "payments", ListQuery(per_page=500))["records"]
    products = {p["id"]: p for p in runtime.records.list(admin, "products", ListQuery(per_page=500))["records"]}
    by_invoice: dict[int, Decimal] = {}
    for p in payments:
        by_invoice[p["invoice"]["id"]] = by_invoice.get(p["invoice"]["id"], Decimal(0)) + _amount(p["amount"])
    states = set()
    for invoice in invoices:
        paid = by_invoice.get(invoice["id"], Decimal(0))
        assert paid <= _amount(invoice["total"]), invoice["number"]
        assert paid == 0 or invoice["status"] == "sent", invoice["number"]
        assert _amount(invoice["total"]) == _amount(invoice["net"]) + _amount(invoice["vat_total"])
        for line in invoice["lines"]:
            product = products[line["product"]["id"]]
            assert line["price"] == product["price"] and line["description"] == product["description"]
        states.add(invoice["payment"])
        if invoice["payment"] == "overdue":
            assert dt.date.fromisoformat(invoice["due_date"]) < dt.date.today()
    assert {"paid", "overdue", "unpaid"} <= states
    for p in payments:
        invoice = next(i for i in invoices if i["id"] == p["invoice"]["id"])
        assert invoice["date"] <= p["date"] <= dt.date.today().isoformat()


def test_a_package_carries_record_rules_and_upgrades_them(runtime, admin, tmp_path, write_pkg, shop_spec):
    from cardfile.metamodel.packages import plan_apply
    orders = shop_spec[0]
    orders["options"] = {"rules": [{"expression": "is_empty(customer) or customer.name != 'Blocked'",
                                    "message": "This customer is blocked."}]}
    root = write_pkg(tmp_path / "shop", shop_spec)
    apply_package(runtime, admin, load_package(root))
    blocked = runtime.records.create(admin, "customers", {"name": "Blocked"})
    with pytest.raises(ValidationFailed, match="This customer is blocked."):
        runtime.records.create(admin, "orders", {"customer": blocked["id"]})
    assert apply_package(runtime, admin, load_package(root))["applied"] == 0

    orders["options"]["rules"][0]["message"] = "Blocked customers cannot order."
    pkg = load_package(write_pkg(root, shop_spec, version="1.1.0"))
    (change,) = plan_apply(runtime, pkg, admin).changes
    assert change.describe().startswith("change table orders: options (rules: ")
    apply_package(runtime, admin, pkg)
    with pytest.raises(ValidationFailed, match="Blocked customers cannot order."):
        runtime.records.create(admin, "orders", {"customer": blocked["id"]})


def test_a_fill_option_naming_missing_fields_is_reported(tmp_path, write_pkg, shop_spec):
    from cardfile.metamodel.errors import PackageInvalid
    from cardfile.metamodel.fieldtypes.registry import default_registry
    from cardfile.metamodel.packages import validate_package
    shop_spec[0]["fields"][1]["options"]["fill"] = {"status": "name", "colour": "code", "number": "nothing"}
    with pytest.raises(PackageInvalid) as caught:
        validate_package(load_package(write_pkg(tmp_path / "shop", shop_spec)), default_registry())
    assert [p["path"] + ": " + p["message"] for p in caught.value.details["problems"]] == [
        "$.fields[1].options.fill.colour: no other field 'colour' in this table to fill",
        "$.fields[1].options.fill.number: 'customers' has no field 'nothing' to fill from"]
