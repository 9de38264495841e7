"""Customer accounting 1.2: client discount rules, orders and preorders, deals by stage,
price lists, barcodes, tasks and salary accruals (a base plus a commission on paid
invoices), to the cent; and an upgrade from 1.1.0 with demo data that keeps every record."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.packages import apply_package, load_package, validate_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.service import ReportService

PREVIOUS = Path(__file__).parent / "data" / "customer-accounting-1.1.0"


def _d(value) -> Decimal:
    return Decimal(str(value["amount"] if isinstance(value, dict) else value))


@pytest.fixture
def books(runtime, admin):
    pkg = validate_package(load_package(sample_path("customer-accounting")), default_registry())
    apply_package(runtime, admin, pkg)
    return runtime, admin, pkg


def test_client_discount_rules_reach_new_order_lines(books):
    runtime, admin, _pkg = books
    records = runtime.records
    wholesale = records.create(admin, "client_categories", {"name": "Wholesale", "discount": "7",
                                                            "volume_threshold": "1000", "volume_discount": "9"})
    client = records.create(admin, "clients", {"name": "Acme Ltd", "category": wholesale["id"]})
    assert _d(client["discount"]) == Decimal("7.00") and _d(client["turnover"]) == Decimal("0")
    desk = records.create(admin, "products", {"name": "Desk", "price": "489.00", "barcode": "4607000000017"})
    with pytest.raises(ValidationFailed):
        records.create(admin, "products", {"name": "Copy", "price": "1", "barcode": "4607000000017"})
    with pytest.raises(ValidationFailed):
        records.create(admin, "products", {"name": "Bad", "price": "1", "barcode": "12AB"})

    order = records.create(admin, "orders", {"client": client["id"], "date": "2026-03-01",
                                             "lines": [{"product": desk["id"], "quantity": "2"}]})
    line = order["lines"][0]
    assert (_d(line["price"]), _d(line["discount"]), _d(line["amount"])) == (
        Decimal("489.00"), Decimal("7.00"), Decimal("909.54"))  # 978.00 less 7 %
    assert _d(order["total"]) == Decimal("909.54") and order["status"] == "new" and order["kind"] == "order"

    # a sent invoice of 1,200.00 (1,000.00 + 20 % VAT) reaches the volume threshold: 9 %
    records.create(admin, "invoices", {"client": client["id"], "status": "sent",
                                       "lines": [{"description": "Fit-out", "price": "1000.00"}]})
    client = records.get(admin, "clients", client["id"])
    assert (_d(client["turnover"]), _d(client["discount"])) == (Decimal("1200.00"), Decimal("9.00"))
    # a personal discount wins when larger; the earlier order keeps the discount it was given
    records.update(admin, "clients", client["id"], {"personal_discount": "15", "version": client["version"]})
    preorder = records.create(admin, "orders", {"client": client["id"], "date": "2026-03-02", "kind": "preorder",
                                                "status": "in_progress",
                                                "lines": [{"product": desk["id"], "quantity": "1"}]})
    assert _d(preorder["lines"][0]["amount"]) == Decimal("415.65")  # 489.00 less 15 %
    assert _d(records.get(admin, "orders", order["id"])["total"]) == Decimal("909.54")


def test_salary_accrual_is_base_plus_commission_on_paid_invoices(books):
    runtime, admin, _pkg = books
    records = runtime.records
    anna = records.create(admin, "employees", {"name": "Anna Adler", "base_salary": "2500.00",
                                               "commission_rate": "3"})
    client = records.create(admin, "clients", {"name": "Acme Ltd"})
    paid = records.create(admin, "invoices", {"client": client["id"], "status": "sent",
                                              "lines": [{"description": "Desks", "quantity": "3", "price": "489.00"}]})
    records.create(admin, "payments", {"invoice": paid["id"], "amount": "1760.40"})  # 1,467.00 + VAT
    open_invoice = records.create(admin, "invoices", {"client": client["id"], "status": "sent",
                                                      "lines": [{"description": "Chairs", "price": "249.00"}]})
    accrual = records.create(admin, "salary_accruals", {"employee": anna["id"], "month": "2026-03-31",
                                                        "invoices": [{"invoice": paid["id"]},
                                                                     {"invoice": open_invoice["id"]}]})
    assert (_d(accrual["base"]), _d(accrual["commission_rate"])) == (Decimal("2500.00"), Decimal("3.00"))
    assert [_d(x["commission"]) for x in accrual["invoices"]] == [Decimal("52.81"), Decimal("0")]
    assert (_d(accrual["commission"]), _d(accrual["total"])) == (Decimal("52.81"), Decimal("2552.81"))
    assert accrual["title"] == "Anna Adler 2026-03"
    # once the second invoice is paid (298.80), its commission joins: 8.96
    records.create(admin, "payments", {"invoice": open_invoice["id"], "amount": "298.80"})
    accrual = records.get(admin, "salary_accruals", accrual["id"])
    assert (_d(accrual["commission"]), _d(accrual["total"])) == (Decimal("61.77"), Decimal("2561.77"))


def test_deals_tasks_and_price_lists(books):
    runtime, admin, _pkg = books
    records = runtime.records
    client = records.create(admin, "clients", {"name": "Acme Ltd"})
    deal = records.create(admin, "deals", {"title": "Office refit", "client": client["id"], "stage": "proposal",
                                           "source": "referral", "amount": "12000.00"})
    assert (_d(deal["probability"]), _d(deal["weighted"])) == (Decimal("50"), Decimal("6000.00"))
    task = records.create(admin, "tasks", {"title": "Call back", "client": client["id"], "due": "2020-01-01"})
    assert task["overdue"] is True and task["assignee"]["id"] == admin.id and task["status"] == "open"
    chair = records.create(admin, "products", {"name": "Chair", "price": "250.00"})
    prices = records.create(admin, "price_lists", {"name": "Wholesale prices",
                                                   "lines": [{"product": chair["id"], "price": "225.00"}]})
    assert (_d(prices["lines"][0]["list_price"]), _d(prices["lines"][0]["markdown"])) == (
        Decimal("250.00"), Decimal("10.00"))
    assert prices["items"] == 1 and prices["valid_from"]


def test_every_report_has_rows_on_the_demo_data(books):
    runtime, admin, pkg = books
    load_demo(runtime, admin, pkg)
    service = ReportService(runtime)
    service.apply_package(admin, pkg.name, pkg.reports)
    names = set()
    for report in service.list(admin):
        names.add(report["name"])
        rows = [r for r in service.run(admin, report["id"]).to_json()["rows"] if r["kind"] != "total"]
        assert rows, report["name"]
    assert names == {r["name"] for r in pkg.reports} and len(names) == 8
    accruals = runtime.records.list(admin, "salary_accruals", ListQuery(per_page=100))["records"]
    assert any(_d(a["commission"]) > 0 for a in accruals)
    assert all(_d(a["total"]) == _d(a["base"]) + _d(a["commission"]) for a in accruals)


def test_upgrade_from_1_1_keeps_every_record(runtime, admin):
    old = load_package(PREVIOUS)
    assert old.version == "1.1.0"
    apply_package(runtime, admin, old)
    load_demo(runtime, admin, old)
    before = {t.api_name: runtime.records.list(admin, t.api_name, ListQuery(per_page=500, sort=["id"]))["records"]
              for t in old.tables}
    new = load_package(sample_path("customer-accounting"))
    report = apply_package(runtime, admin, new)
    assert not any(c.get("destructive") for c in report["changes"])
    for table, records in before.items():
        after = runtime.records.list(admin, table, ListQuery(per_page=500, sort=["id"]))["records"]
        assert [r["id"] for r in after] == [r["id"] for r in records], table
        for was, now in zip(records, after):
            kept = {k: v for k, v in was.items() if k not in ("updated_at", "version", "lines")}
            assert {k: now[k] for k in kept} == kept, (table, was["id"])
    orders = runtime.records.list(admin, "orders", ListQuery(per_page=500))["records"]
    assert all(o["kind"] is None for o in orders)  # added without a value: neither order nor preorder yet
    assert all(_d(o["total"]) == sum(_d(x["quantity"]) * _d(x["price"]) for x in o["lines"]) for o in orders)
    assert apply_package(runtime, admin, new)["changes"] == []
