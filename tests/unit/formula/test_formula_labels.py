"""Labels in square brackets: resolved to API names before parsing, rendered back for display."""

from __future__ import annotations

import pytest

from cardfile.formula import FormulaError, parse
from cardfile.formula.labels import render_labels, rename_names, resolve_labels

TABLES = {  # table -> name -> (label, the table a path continues in)
    "projects": {"start_date": ("Start date", None), "end_date": ("End date", None),
                 "client": ("Client", "clients"), "lines": ("Line items", "lines"), "status": ("Status", None)},
    "clients": {"name": ("Name", None), "category": ("Category", "categories")},
    "categories": {"discount": ("Discount %", None)},
    "lines": {"amount": ("Amount", None), "qty": ("Qty", None)},
}


class Scope:
    def by_label(self, table, label):
        for name, (lab, nxt) in TABLES.get(table, {}).items():
            if lab.casefold() == label.strip().casefold():
                return name, nxt
        return None

    def by_name(self, table, name):
        return TABLES.get(table, {}).get(name)

    def labels(self, table):
        return [lab for lab, _ in TABLES.get(table, {}).values()]


def resolve(source):
    return resolve_labels(source, Scope(), "projects")


@pytest.mark.parametrize("source, text", [
    ("[End date] - [Start date]", "end_date - start_date"),
    ("[end DATE]-[Start date ]", "end_date-start_date"),
    ("[Client].[Category].[Discount %] * 2", "client.category.discount * 2"),
    ("client.[Name]", "client.name"),
    ("[Client].name", "client.name"),
    ("sum([Line items].[Amount])", "sum(lines.amount)"),
    ('[Status] in ["new", "done"]', 'status in ["new", "done"]'),
    ('"[End date]" + [Status]', '"[End date]" + status'),
    ("end_date - start_date", "end_date - start_date"),
    ("1.5 * [Line items].[Qty]", "1.5 * lines.qty"),
    ("x in [1, 2]", "x in [1, 2]"),
])
def test_labels_become_api_names(source, text):
    assert resolve(source).text == text
    parse(resolve(source).text)


def test_an_unknown_label_is_an_error_at_the_bracket_with_suggestions():
    with pytest.raises(FormulaError) as info:
        resolve("[End date] - [Strat date]")
    error = info.value
    assert error.code == "FORMULA_UNKNOWN_NAME"
    assert error.position["start"] == 13 and error.position["end"] == 25 and error.position["column"] == 14
    assert "[Start date]" in error.message


def test_errors_in_the_resolved_text_point_into_the_text_as_typed():
    resolved = resolve("[End date] - [Start date] +")
    with pytest.raises(FormulaError) as info:
        parse(resolved.text)
    error = resolved.error(info.value.errors[0])
    assert error.position["column"] == 27 and error.position["start"] == 26
    unknown = resolve("[End date] - nope")
    assert unknown.text == "end_date - nope"
    assert unknown.position({"start": 11, "end": 15, "line": 1, "column": 12}) == {"start": 13, "end": 17, "line": 1, "column": 14}


def test_stored_names_are_shown_with_labels_and_renamed_along_paths():
    source = "client.category.discount * (end_date - start_date) + sum(lines.amount)"
    tree = parse(source).tree
    assert render_labels(tree, source, Scope(), "projects") == \
        "[Client].[Category].[Discount %] * ([End date] - [Start date]) + sum([Line items].[Amount])"
    renamed = rename_names(parse("client.name + name").tree, "client.name + name", Scope(), "projects",
                           ("clients", "name"), "title")
    assert renamed == "client.title + name"
