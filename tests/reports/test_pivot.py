"""Pivot results checked against an independent computation over the same rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from cardfile.formula.rounding import quantize
from cardfile.metamodel.errors import BadQuery, FieldNotFound, InvalidDefinition
from cardfile.metamodel.records.query import ListQuery, parse_filter
from cardfile.reports.pivot import period_bounds, run_pivot


def month(d):
    return d.strftime("%Y-%m")


def quarter(d):
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def week(d):
    return (d - dt.timedelta(days=d.weekday())).isoformat()


def cells(pivot):
    return {(tuple(r["keys"]), tuple(c["keys"]), c["value"]): v
            for r in pivot.rows for c, v in zip(pivot.columns, r["cells"])}


def test_month_by_kind_sums_counts_and_totals(sales_db):
    rt, admin, rows, _ = sales_db
    pivot = run_pivot(rt.records, admin, "sales", {
        "rows": [{"field": "day", "date": "month"}], "columns": [{"field": "kind"}],
        "values": [{"field": "amount", "agg": "sum"}, {"agg": "count"}, {"field": "amount", "agg": "avg"}]})
    got = cells(pivot)
    sums, counts, present = defaultdict(Decimal), defaultdict(int), defaultdict(int)
    for r in rows:
        for key in [(month(r["day"]), r["kind"]), (month(r["day"]), None), (None, r["kind"]), (None, None)]:
            counts[key] += 1
            if r["amount"] is not None:
                sums[key] += r["amount"]
                present[key] += 1
    for (m, kind), total in counts.items():
        rk = (m,) if m else ()
        ck = (kind,) if kind else ()
        assert got[(rk, ck, 1)] == total
        assert got[(rk, ck, 0)] == sums[(m, kind)]
        assert got[(rk, ck, 2)] == quantize(sums[(m, kind)] / present[(m, kind)], 2)
    assert [r["keys"] for r in pivot.rows if r["kind"] == "row"] == [[m] for m in sorted({month(r["day"]) for r in rows})]
    assert pivot.rows[-1]["kind"] == "total"
    assert [c["labels"] for c in pivot.columns[:3]] == [["Online"]] * 3


@pytest.mark.parametrize("part,fn", [("day", lambda d: d.isoformat()), ("week", week), ("month", month),
                                     ("quarter", quarter), ("year", lambda d: str(d.year))])
def test_date_parts_on_dates_and_datetimes(sales_db, part, fn):
    rt, admin, rows, _ = sales_db
    for field, get in (("day", lambda r: r["day"]), ("at", lambda r: r["at"].date())):
        pivot = run_pivot(rt.records, admin, "sales", {"rows": [{"field": field, "date": part}],
                                                       "values": [{"agg": "count"}], "totals": False})
        expected = defaultdict(int)
        for r in rows:
            expected[fn(get(r))] += 1
        assert {r["keys"][0]: r["cells"][0] for r in pivot.rows} == dict(expected)
        start, end = period_bounds(part, pivot.rows[0]["keys"][0])
        assert start <= dt.date.fromisoformat(str(start)) < end


def test_link_hop_subtotals_and_labels(sales_db):
    rt, admin, rows, ids = sales_db
    pivot = run_pivot(rt.records, admin, "sales", {
        "rows": [{"field": "client.category"}, {"field": "client"}],
        "values": [{"field": "units", "agg": "sum"}, {"field": "client", "agg": "count_distinct"},
                   {"field": "amount", "agg": "max"}],
        "subtotals": True})
    by_cat, clients_of = defaultdict(int), defaultdict(set)
    top = defaultdict(lambda: None)
    category = {c: ids["cats"][i % 2] for i, c in enumerate(ids["clients"])}
    for r in rows:
        cat = category.get(r["client"])
        by_cat[cat] += r["units"]
        if r["client"]:
            clients_of[cat].add(r["client"])
        if r["amount"] is not None and (top[cat] is None or r["amount"] > top[cat]):
            top[cat] = r["amount"]
    subtotals = {r["keys"][0]: r["cells"] for r in pivot.rows if r["kind"] == "subtotal"}
    assert subtotals[ids["cats"][0]][0] == by_cat[ids["cats"][0]]
    assert subtotals[ids["cats"][0]][1] == len(clients_of[ids["cats"][0]])
    assert subtotals[ids["cats"][1]][2] == top[ids["cats"][1]]
    assert pivot.rows[-1]["cells"][0] == sum(r["units"] for r in rows)
    assert pivot.rows[-1]["cells"][1] == len({r["client"] for r in rows if r["client"]})
    labels = {tuple(r["labels"]) for r in pivot.rows}
    assert ("Gold", "Client 0") in labels and ("(empty)", "(empty)") in labels
    assert ("Gold total",) in labels


def test_weighted_sum_top_n_and_filters(sales_db):
    rt, admin, rows, ids = sales_db
    pivot = run_pivot(rt.records, admin, "sales", {
        "rows": [{"field": "client"}], "values": [{"field": "amount", "agg": "sum", "weight": "qty"}],
        "filter": [{"field": "paid", "op": "eq", "value": True}],
        "sort": {"by": "value", "value": 0, "desc": True}, "limit": 2})
    totals = defaultdict(Decimal)
    for r in rows:
        if r["paid"] and r["amount"] is not None:
            totals[r["client"]] += r["amount"] * r["qty"]
    best = sorted(totals.items(), key=lambda kv: -kv[1])[:2]
    data = [r for r in pivot.rows if r["kind"] == "row"]
    assert [(r["keys"][0], r["cells"][0]) for r in data] == best
    assert pivot.rows[-1]["cells"][0] == sum(totals.values())


def test_drill_filters_select_the_cell_records(sales_db):
    from cardfile.reports.service import ReportService

    rt, admin, rows, _ = sales_db
    definition = {"rows": [{"field": "client.category"}], "columns": [{"field": "at", "date": "month"}],
                  "values": [{"agg": "count"}]}
    pivot = run_pivot(rt.records, admin, "sales", definition)
    row = pivot.rows[0]
    column = pivot.columns[1]
    drill = ReportService(rt).drill(admin, "sales", definition, row["keys"], column["keys"])
    q = ListQuery(filters=[parse_filter(f) for f in drill["filter"]], per_page=1)
    assert rt.records.list(admin, "sales", q)["total"] == row["cells"][1]


def test_bad_definitions_are_refused(sales_db):
    rt, admin, _, _ = sales_db
    with pytest.raises(InvalidDefinition):
        run_pivot(rt.records, admin, "sales", {"values": [{"agg": "median"}]})
    with pytest.raises(BadQuery):
        run_pivot(rt.records, admin, "sales", {"rows": [{"field": "kind", "date": "month"}],
                                               "values": [{"agg": "count"}]})
    with pytest.raises(BadQuery):
        run_pivot(rt.records, admin, "sales", {"values": [{"field": "kind", "agg": "sum"}]})
    with pytest.raises(FieldNotFound):
        run_pivot(rt.records, admin, "sales", {"rows": [{"field": "client.nope"}], "values": [{"agg": "count"}]})


def test_hidden_fields_cannot_be_grouped_or_measured(runtime, admin):
    from .conftest import clerk_without_secret

    rt = runtime
    rt.schema.create_table(admin, {"label": "T", "api_name": "t", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Secret", "type": "text"}]})
    rt.records.create(admin, "t", {"name": "a", "secret": "x"})
    clerk = clerk_without_secret(rt, admin, "t")
    for definition in ({"rows": [{"field": "secret"}], "values": [{"agg": "count"}]},
                       {"values": [{"field": "secret", "agg": "count_distinct"}]},
                       {"values": [{"agg": "count"}], "filter": [{"field": "secret", "op": "eq", "value": "x"}]}):
        with pytest.raises(FieldNotFound):
            run_pivot(rt.records, clerk, "t", definition)
        run_pivot(rt.records, admin, "t", definition)  # the administrator may
