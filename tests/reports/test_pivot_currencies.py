"""Pivots never add currencies together: a money value is summed (averaged, …) per currency,
on SQLite and PostgreSQL; with one currency the value carries it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cardfile.metamodel.records.aggregate import AggregateSpec, Group, Measure
from cardfile.reports.pivot import run_pivot


def money(amount, currency):
    return {"amount": amount, "currency": currency}


@pytest.fixture
def ledger(runtime, admin, make_table):
    make_table("Entries", [("Kind", "text", {}), ("Amount", "money", {"currency": "EUR"}),
                           ("Qty", "integer", {})], api_name="entries")
    for kind, amount, qty in [("a", money("10", "EUR"), 1), ("a", money("20", "USD"), 2),
                              ("b", money("30", "EUR"), 3), ("b", "5 РУБ", 4),
                              ("b", money("1.00", "EUR"), 1), ("b", money("1.01", "EUR"), 1),
                              ("a", None, 1)]:
        runtime.records.create(admin, "entries", {"kind": kind, "amount": amount, "qty": qty})
    return runtime, admin


def table(pivot):
    heads = [(pivot.values[c["value"]]["label"], tuple(c["keys"])) for c in pivot.columns]
    return {tuple(r["keys"]): dict(zip(heads, r["cells"])) for r in pivot.rows}


def test_the_issue_sum_is_one_total_per_currency(ledger):
    rt, admin = ledger
    pivot = run_pivot(rt.records, admin, "entries", {
        "rows": [{"field": "kind"}], "values": [{"field": "amount", "agg": "sum"}, {"agg": "count"}]})
    labels = [v["label"] for v in pivot.values]
    assert labels == ["Sum of Amount (EUR)", "Sum of Amount (RUB)", "Sum of Amount (USD)", "Records"]
    assert [v["currency"] for v in pivot.values[:3]] == ["EUR", "RUB", "USD"]
    assert [v["source"] for v in pivot.values] == [0, 0, 0, 1]
    got = table(pivot)
    assert got[("a",)] == {("Sum of Amount (EUR)", ()): Decimal("10.00"), ("Sum of Amount (RUB)", ()): None,
                           ("Sum of Amount (USD)", ()): Decimal("20.00"), ("Records", ()): 3}
    assert got[()][("Sum of Amount (EUR)", ())] == Decimal("42.01")      # the grand total, euros only
    assert got[()][("Sum of Amount (RUB)", ())] == Decimal("5.00")
    assert got[()][("Sum of Amount (USD)", ())] == Decimal("20.00")
    assert got[()][("Records", ())] == 7


@pytest.mark.parametrize("agg, eur, usd", [("avg", "10.50", "20.00"), ("min", "1.00", "20.00"),
                                           ("max", "30.00", "20.00")])
def test_average_min_and_max_per_currency(ledger, agg, eur, usd):
    rt, admin = ledger
    pivot = run_pivot(rt.records, admin, "entries", {
        "columns": [{"field": "kind"}], "values": [{"field": "amount", "agg": agg}]})
    totals = {(pivot.values[c["value"]]["currency"], tuple(c["keys"])): v
              for c, v in zip(pivot.columns, pivot.rows[-1]["cells"])}
    assert totals[("EUR", ())] == Decimal(eur) and totals[("USD", ())] == Decimal(usd)
    assert totals[("USD", ("b",))] is None


def test_an_average_of_1_00_and_1_01_is_1_01(runtime, admin, make_table):
    make_table("Cents", [("Amount", "money", {"currency": "EUR"})], api_name="cents")
    for amount in ("1.00", "1.01"):
        runtime.records.create(admin, "cents", {"amount": amount})
    pivot = run_pivot(runtime.records, admin, "cents", {"values": [{"field": "amount", "agg": "avg"}]})
    assert pivot.rows[-1]["cells"] == [Decimal("1.01")]
    assert pivot.values[0]["label"] == "Average of Amount" and pivot.values[0]["currency"] == "EUR"


def test_one_currency_keeps_the_label_and_carries_the_currency(runtime, admin, make_table):
    make_table("Bills", [("Amount", "money", {"currency": "EUR"})], api_name="bills")
    for amount in ("10", "20"):
        runtime.records.create(admin, "bills", {"amount": money(amount, "USD")})
    pivot = run_pivot(runtime.records, admin, "bills", {"values": [{"field": "amount", "agg": "sum"}]})
    assert pivot.values[0]["label"] == "Sum of Amount" and pivot.values[0]["currency"] == "USD"
    assert pivot.rows[-1]["cells"][0] == Decimal("30.00")


def test_weighted_sums_and_sorting_by_a_split_value(ledger):
    rt, admin = ledger
    pivot = run_pivot(rt.records, admin, "entries", {
        "rows": [{"field": "kind"}], "values": [{"agg": "count"}, {"field": "amount", "agg": "sum", "weight": "qty"}],
        "sort": {"by": "value", "value": 1, "desc": True}})
    got = table(pivot)
    eur = [h for h in got[()] if "(EUR)" in h[0]][0]
    assert got[("b",)][eur] == Decimal("92.01")     # 30×3 + 1.00 + 1.01
    assert [r["keys"] for r in pivot.rows if r["kind"] == "row"] == [["b"], ["a"]]


def test_the_aggregate_itself_never_adds_two_currencies(ledger):
    rt, admin = ledger
    result = rt.records.aggregate(admin, "entries", AggregateSpec(
        groups=[Group("kind")], measures=[Measure("amount", "sum"), Measure("amount", "sum", currency="EUR")]))
    got = {row[0]: row[1:] for row in result.rows}
    assert got["a"] == [None, Decimal("10.00")]       # EUR and USD: no total
    currencies = rt.records.aggregate(admin, "entries", AggregateSpec(
        groups=[Group("amount", currency=True)], measures=[Measure()]))
    assert sorted((row[0], row[1]) for row in currencies.rows if row[0]) == [("EUR", 4), ("RUB", 1), ("USD", 1)]
