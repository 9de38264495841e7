"""The retail-shop sample: applied to an empty database with its demo data, every report has
rows, and the loyalty discounts, receipt totals and change for cash come out to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.packages import apply_package, load_package, validate_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_names, sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.cli import cli
from cardfile.reports.service import ReportService

REPORTS = {"Sales by product group by month", "Best-selling products", "Discounts by loyalty tier",
           "Payments by method by month", "Open preorders"}


def _d(value) -> Decimal:
    return Decimal(str(value["amount"] if isinstance(value, dict) else value))


@pytest.fixture
def shop(runtime, admin):
    pkg = validate_package(load_package(sample_path("retail-shop")), default_registry())
    apply_package(runtime, admin, pkg)
    return runtime, admin, pkg


def _tier(runtime, admin, **values):
    return runtime.records.create(admin, "loyalty_tiers", values)["id"]


def _goods(runtime, admin):
    bread = runtime.records.create(admin, "goods", {"name": "Rye bread", "barcode": "4601234000017",
                                                    "unit": "pcs", "weight": "0.7", "price": "2.40"})
    cheese = runtime.records.create(admin, "goods", {"name": "Cheddar", "barcode": "2000000000107",
                                                     "unit": "kg", "by_weight": True, "price": "14.50"})
    return bread["id"], cheese["id"]


def test_retail_shop_is_a_listed_valid_sample():
    assert "retail-shop" in sample_names()
    pkg = validate_package(load_package(sample_path("retail-shop")), default_registry())
    assert [t.api_name for t in pkg.tables] == ["receipts", "receipt_payments", "preorders", "customers",
                                                "loyalty_tiers", "goods", "goods_groups"]
    assert {r["name"] for r in pkg.reports} == REPORTS


def test_receipt_discounts_by_fixed_amount_and_period(shop):
    runtime, admin, _pkg = shop
    records = runtime.records
    gold = _tier(runtime, admin, name="Gold", fixed_discount="5", amount_threshold="40", amount_discount="8",
                 period_days=30, period_threshold="100", period_discount="10")
    bread, cheese = _goods(runtime, admin)
    ann = records.create(admin, "customers", {"name": "Ann Lee", "card_number": "7700000001", "tier": gold})["id"]

    # 2 loaves and 1.235 kg of cheddar: 4.80 + 17.91 = 22.71, under 40: the fixed 5 %
    first = records.create(admin, "receipts", {"customer": ann, "lines": [
        {"product": bread, "quantity": "2"}, {"product": cheese, "quantity": "1.235"}]})
    assert [_d(line["price"]) for line in first["lines"]] == [Decimal("2.40"), Decimal("14.50")]
    assert [_d(line["amount"]) for line in first["lines"]] == [Decimal("4.80"), Decimal("17.91")]
    assert [_d(line["discount_amount"]) for line in first["lines"]] == [Decimal("0.24"), Decimal("0.90")]
    assert [_d(line["line_total"]) for line in first["lines"]] == [Decimal("4.56"), Decimal("17.01")]
    assert (_d(first["subtotal"]), _d(first["discount_rate"]), _d(first["discount_total"]), _d(first["total"])) == (
        Decimal("22.71"), Decimal("5.00"), Decimal("1.14"), Decimal("21.57"))
    assert first["payment"] == "unpaid"

    # 3.5 kg of cheddar: 50.75, over 40: 8 % by amount (4.06), total 46.69
    second = records.create(admin, "receipts", {"customer": ann, "lines": [{"product": cheese, "quantity": "3.5"}]})
    assert (_d(second["discount_rate"]), _d(second["discount_total"]), _d(second["total"])) == (
        Decimal("8.00"), Decimal("4.06"), Decimal("46.69"))
    customer = records.get(admin, "customers", ann)
    assert _d(customer["period_purchases"]) == Decimal("73.46")
    assert _d(customer["purchases"]) == Decimal("68.26")

    # 30 loaves (72.00) bring the period to 145.46: the next receipt gets 10 %
    records.create(admin, "receipts", {"customer": ann, "lines": [{"product": bread, "quantity": "30"}]})
    fourth = records.create(admin, "receipts", {"customer": ann, "lines": [{"product": bread, "quantity": "1"}]})
    assert _d(fourth["earlier_purchases"]) == Decimal("145.46")
    assert (_d(fourth["discount_rate"]), _d(fourth["total"])) == (Decimal("10.00"), Decimal("2.16"))
    # an earlier receipt keeps its discount: the purchases it counted were kept with it
    assert _d(records.get(admin, "receipts", first["id"])["total"]) == Decimal("21.57")

    # purchases older than the tier's period do not count
    old = records.create(admin, "receipts", {"date": (dt.date.today() - dt.timedelta(days=45)).isoformat(),
                                             "customer": ann, "lines": [{"product": bread, "quantity": "10"}]})
    assert _d(records.get(admin, "customers", ann)["period_purchases"]) == Decimal("147.86")
    assert _d(old["total"]) < Decimal("24.00")


def test_personal_discount_and_a_receipt_without_a_card(shop):
    runtime, admin, _pkg = shop
    records = runtime.records
    retail = _tier(runtime, admin, name="Retail")
    bread, _cheese = _goods(runtime, admin)
    bob = records.create(admin, "customers", {"name": "Bob", "tier": retail, "personal_discount": "12"})["id"]
    mine = records.create(admin, "receipts", {"customer": bob, "lines": [{"product": bread, "quantity": "5"}]})
    assert (_d(mine["discount_rate"]), _d(mine["discount_total"]), _d(mine["total"])) == (
        Decimal("12.00"), Decimal("1.44"), Decimal("10.56"))
    anonymous = records.create(admin, "receipts", {"lines": [{"product": bread, "quantity": "5"}]})
    assert (_d(anonymous["discount_rate"]), _d(anonymous["total"])) == (Decimal("0"), Decimal("12.00"))


def test_cash_and_card_payments_change_and_the_overpayment_rule(shop):
    runtime, admin, _pkg = shop
    records = runtime.records
    bread, _cheese = _goods(runtime, admin)
    receipt = records.create(admin, "receipts", {"lines": [{"product": bread, "quantity": "5"}]})  # 12.00
    card = records.create(admin, "receipt_payments", {"receipt": receipt["id"], "method": "card", "amount": "5.00"})
    assert _d(card["change"]) == Decimal("0")
    assert records.get(admin, "receipts", receipt["id"])["payment"] == "partly_paid"
    cash = records.create(admin, "receipt_payments", {"receipt": receipt["id"], "method": "cash",
                                                      "amount": "7.00", "tendered": "10.00"})
    assert _d(cash["change"]) == Decimal("3.00")
    after = records.get(admin, "receipts", receipt["id"])
    assert (_d(after["paid"]), _d(after["due"]), after["payment"]) == (Decimal("12.00"), Decimal("0.00"), "paid")
    with pytest.raises(ValidationFailed):
        records.create(admin, "receipt_payments", {"receipt": receipt["id"], "method": "card", "amount": "0.01"})
    other = records.create(admin, "receipts", {"lines": [{"product": bread, "quantity": "1"}]})
    with pytest.raises(ValidationFailed):  # less cash handed over than paid
        records.create(admin, "receipt_payments", {"receipt": other["id"], "method": "cash",
                                                   "amount": "2.40", "tendered": "2.00"})


def test_preorder_amount_and_what_is_left_to_pay(shop):
    runtime, admin, _pkg = shop
    records = runtime.records
    _bread, cheese = _goods(runtime, admin)
    ann = records.create(admin, "customers", {"name": "Ann"})["id"]
    pre = records.create(admin, "preorders", {"customer": ann, "product": cheese, "quantity": "2.5",
                                              "deposit": "10.00"})
    assert (_d(pre["price"]), _d(pre["amount"]), _d(pre["to_pay"]), pre["status"]) == (
        Decimal("14.50"), Decimal("36.25"), Decimal("26.25"), "new")
    assert pre["ready_by"] == (dt.date.fromisoformat(pre["date"]) + dt.timedelta(days=7)).isoformat()


def test_demo_data_fills_every_report(shop):
    runtime, admin, pkg = shop
    result = load_demo(runtime, admin, pkg)
    assert result["tables"]["receipts"] == 120 and result["tables"]["goods"] == 16
    service = ReportService(runtime)
    assert service.apply_package(admin, pkg.name, pkg.reports)["created"] == len(REPORTS)
    for report in service.list(admin):
        pivot = service.run(admin, report["id"]).to_json()
        data = [r for r in pivot["rows"] if r["kind"] != "total"]
        assert data, report["name"]
        assert any(c is not None for r in data for c in r["cells"]), report["name"]
    receipts = runtime.records.list(admin, "receipts", ListQuery(per_page=500))["records"]
    assert {r["payment"] for r in receipts} == {"paid"}  # every demo receipt is paid
    assert len({_d(r["discount_rate"]) for r in receipts}) >= 3  # several discount rules at work
    assert all(_d(r["total"]) == _d(r["subtotal"]) - _d(r["discount_total"]) for r in receipts)


def test_init_with_the_retail_shop_sample(settings):
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    result = CliRunner().invoke(cli, ["init", "--sample", "retail-shop", "--demo"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Retail shop 1.0.0 (7 tables)" in result.output
    assert "reports:        5" in result.output
    assert "demo data:      313 records" in result.output
