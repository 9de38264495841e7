"""The dependency graph: cycles named in full, recomputation in dependency order."""

from __future__ import annotations

import pytest

from cardfile.formula import Dependency, DependencyGraph, FormulaErrors, check
from cardfile.formula.types import NUMBER

from cardfile.formula.examples import MemoryField


def graph_of(schema, formulas: dict[tuple[str, str], str]) -> DependencyGraph:
    """Add each formula as a field first (so formulas may read each other), then check."""
    for (table, field) in formulas:
        schema.table(table).fields.setdefault(field, MemoryField(field, NUMBER, places=2))
    graph = DependencyGraph()
    for (table, field), source in formulas.items():
        compiled = check(source, schema.table(table), schema, field=field)
        graph.add_compiled(compiled)
    return graph


def test_cycle_is_named_in_full(memory_schema):
    graph = graph_of(memory_schema, {("invoices", "net"): "total - tax",
                                     ("invoices", "tax"): "round(gross * 0.2, 2)",
                                     ("invoices", "gross"): "net + 1"})
    [error] = graph.cycles()
    assert error.code == "FORMULA_CYCLE"
    assert error.message == "circular reference: gross → net → tax → gross"
    assert error.field == "gross"
    with pytest.raises(FormulaErrors):
        graph.check()


def test_self_reference_is_a_cycle(memory_schema):
    graph = graph_of(memory_schema, {("invoices", "total"): "total + 1"})
    assert graph.cycles()[0].message == "circular reference: total → total"


def test_cross_table_cycle_names_tables(memory_schema):
    graph = graph_of(memory_schema, {("invoices", "lines_total"): "sum(lines.share)",
                                     ("lines", "share"): "amount / invoice.lines_total"})
    [error] = graph.cycles()
    assert error.message == ("circular reference: invoices.lines_total → lines.share → "
                             "invoices.lines_total")


def test_no_cycle_and_would_cycle(memory_schema):
    graph = graph_of(memory_schema, {("invoices", "net"): "total - 1",
                                     ("invoices", "tax"): "net * 0.2"})
    assert graph.cycles() == []
    graph.check()
    problems = graph.would_cycle(("invoices", "total"), [Dependency("invoices", "tax")])
    assert [p.message for p in problems] == ["circular reference: net → total → tax → net"]
    assert ("invoices", "total") not in graph.formulas


def test_affected_in_dependency_order_across_tables(memory_schema):
    graph = graph_of(memory_schema, {
        ("lines", "gross"): "amount * (1 + vat / 100)",
        ("invoices", "lines_total"): "sum(lines.gross)",
        ("invoices", "due"): "lines_total - discount",
        ("clients", "balance"): "sum(invoices.due)",
        ("invoices", "label"): "upper(number)",
    })
    order = graph.affected({("lines", "amount")})
    assert order == [("lines", "gross"), ("invoices", "lines_total"), ("invoices", "due"),
                     ("clients", "balance")]
    assert graph.affected({("invoices", "number")}) == [("invoices", "label")]
    assert graph.affected({("categories", "discount")}) == []
    # a client's link to a category changes nothing here; an invoice moving client does
    assert graph.affected({("invoices", "client")}) == []
    assert ("clients", "invoices") in {(d.table, d.field)
                                       for d in graph.formulas[("clients", "balance")]}


def test_affected_raises_on_a_cycle(memory_schema):
    graph = graph_of(memory_schema, {("invoices", "a"): "b + total", ("invoices", "b"): "a"})
    with pytest.raises(FormulaErrors) as info:
        graph.affected({("invoices", "total")})
    assert info.value.code == "FORMULA_CYCLE"


def test_long_chains_need_no_recursion():
    graph = DependencyGraph()
    for index in range(1, 5000):
        graph.set_formula(("t", f"f{index}"), [Dependency("t", f"f{index - 1}")])
    order = graph.affected({("t", "f0")})
    assert order[0] == ("t", "f1") and order[-1] == ("t", "f4999") and len(order) == 4999
    graph.set_formula(("t", "f0"), [Dependency("t", "f4999")])
    assert len(graph.cycles()) == 1


def test_edges_and_remove(memory_schema):
    graph = graph_of(memory_schema, {("invoices", "net"): "total - 1"})
    [edge] = graph.edges()
    assert (edge.source, edge.target) == (("invoices", "total"), ("invoices", "net"))
    graph.remove(("invoices", "net"))
    assert graph.edges() == []
