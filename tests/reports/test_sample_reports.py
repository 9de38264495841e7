"""The customer-accounting reports: installed once by the package, run on the demo data, and
checked against totals computed here from the records themselves."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.packages import apply_package, load_package, validate_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.platform.cli import cli
from cardfile.reports.service import ReportService

REPORTS = {"Sales by client by month", "Top clients by margin", "Debtors", "Manager activity",
           "Best-selling products", "Payments by method by month", "Deal pipeline", "Salary accruals by month"}


def _all(runtime, actor, table: str) -> list[dict]:
    records, page = [], 1
    while True:
        got = runtime.records.list(actor, table, ListQuery(per_page=500, page=page, sort=["id"]))
        records += got["records"]
        if len(records) >= got["total"]:
            return records
        page += 1


def _money(value) -> Decimal:
    return Decimal(value["amount"]) if value else Decimal(0)


def _total(result: dict, value: int = 0) -> Decimal:
    """The grand total of one value: the total row's total column."""
    total_row = next(r for r in result["rows"] if r["kind"] == "total")
    column = max(i for i, c in enumerate(result["columns"]) if c["value"] == value)  # total columns come last
    return Decimal(str(total_row["cells"][column]))


@pytest.fixture
def demo(runtime, admin):
    pkg = validate_package(load_package(sample_path("customer-accounting")), default_registry())
    apply_package(runtime, admin, pkg)
    load_demo(runtime, admin, pkg)
    service = ReportService(runtime)
    assert service.apply_package(admin, pkg.name, pkg.reports) == {"created": 8, "updated": 0, "unchanged": 0}
    results = {r["name"]: service.run(admin, r["id"]).to_json() for r in service.list(admin)}
    return runtime, admin, results


def test_every_sample_report_runs_on_the_demo_data(demo):
    runtime, admin, results = demo
    assert set(results) == REPORTS
    for name, result in results.items():
        body = [r for r in result["rows"] if r["kind"] == "row"]
        assert body, name
        assert any(c is not None and c != "0" and c != 0 for r in body for c in r["cells"]), name
        assert result["rows"][-1]["kind"] == "total", name


def test_sales_and_margins_match_the_invoice_lines(demo):
    runtime, admin, results = demo
    products = {p["id"]: p for p in _all(runtime, admin, "products")}
    sales, margin, quantity, lines = Decimal(0), Decimal(0), Decimal(0), 0
    for invoice in _all(runtime, admin, "invoices"):
        if invoice["status"] != "sent":
            continue
        for line in invoice["lines"]:
            amount = Decimal(line["quantity"]) * _money(line["price"])
            sales += amount
            margin += amount - Decimal(line["quantity"]) * _money(products[line["product"]["id"]]["cost"])
            quantity += Decimal(line["quantity"])
            lines += 1
    assert sales > 0 and 0 < margin < sales
    assert _total(results["Sales by client by month"]) == sales
    top = results["Top clients by margin"]
    assert _total(top, 0) == margin and _total(top, 1) == sales
    body = [r for r in top["rows"] if r["kind"] == "row"]
    assert len(body) == 10
    margins = [Decimal(r["cells"][0]) for r in body]
    assert margins == sorted(margins, reverse=True)
    assert all(Decimal(r["cells"][0]) < Decimal(r["cells"][1]) for r in body)
    best = results["Best-selling products"]
    assert _total(best, 0) == sales and _total(best, 1) == quantity and _total(best, 2) == lines
    assert len([r for r in best["rows"] if r["kind"] == "row"]) == 15


def test_debtors_payments_and_activity_match_the_records(demo):
    runtime, admin, results = demo
    payments = _all(runtime, admin, "payments")
    paid = Counter()
    for p in payments:
        paid[p["invoice"]["id"]] += _money(p["amount"])
    open_balance = Decimal(0)
    for invoice in _all(runtime, admin, "invoices"):
        total = sum((Decimal(line["quantity"]) * _money(line["price"]) * (1 + Decimal(line["vat"]) / 100)
                     for line in invoice["lines"]), Decimal(0))  # VAT is rounded per line: compare near
        balance = _money(invoice["balance"])
        assert abs(balance - (total - paid[invoice["id"]])) < Decimal("0.01") * len(invoice["lines"])
        if invoice["status"] == "sent" and balance > 0:
            open_balance += balance
    assert open_balance > 0
    assert _total(results["Debtors"]) == open_balance
    debtor_cells = [Decimal(c) for r in results["Debtors"]["rows"] for c in r["cells"] if c is not None]
    assert min(debtor_cells) > 0

    by_method = results["Payments by method by month"]
    assert _total(by_method) == sum(_money(p["amount"]) for p in payments)
    months = [r["keys"][0] for r in by_method["rows"] if r["kind"] == "row"]
    assert months == sorted(months) and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)

    activity = results["Manager activity"]
    assert _total(activity) == len(_all(runtime, admin, "events"))
    assert {r["kind"] for r in activity["rows"]} == {"row", "subtotal", "total"}
    assert {c["labels"][0] for c in activity["columns"] if c["keys"]} == {"Call", "Meeting", "Letter", "Agreement"}


def test_init_and_config_apply_install_the_reports_once(settings):
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    runner = CliRunner()
    first = runner.invoke(cli, ["init", "--sample", "customer-accounting"], env=env, catch_exceptions=False)
    assert first.exit_code == 0 and re.search(r"reports:\s+8", first.output)
    again = runner.invoke(cli, ["config", "apply", "customer-accounting"], env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "reports: 0 created, 0 updated, 8 unchanged" in again.output
