"""Bounded queries over the API: a text that can grow too large is refused before any SQL
runs, and a read that runs past CARDFILE_QUERY_TIMEOUT is stopped with a clear error.

The refusal's speed is measured by ``tests/benchmarks/formulas.py`` (the nested-replace
filter), not timed here.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event

from cardfile.platform.app import create_app

from .conftest import Api

# eight nested replace() calls, each making every "a" ten: 229 characters that built a
# hundred-million-character text per row inside the database
NESTED = "replace(" * 8 + "name" + ', "a", "aaaaaaaaaa")' * 7 + ',"a","aaaaaaaaaa")' + '>""'


def test_the_nested_replace_filter_is_229_characters():
    assert len(NESTED) == 229


@pytest.fixture
def named(api, rt, boss):
    response = api.post("/tables", json={"label": "People", "api_name": "people", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Rank", "type": "integer"}]})
    assert response.status_code == 201, response.get_json()
    rt.records.bulk_create(boss, "people", [{"name": "a" * 200, "rank": i} for i in range(20)])
    return "people"


@pytest.fixture
def no_sql(rt):
    """Fails the test if a statement touches the user table (t_…) while it is on."""
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        if '"t_' in statement or " t_" in statement:
            seen.append(statement)

    event.listen(rt.engine, "before_cursor_execute", record)
    yield seen
    event.remove(rt.engine, "before_cursor_execute", record)


def test_list_where_with_nested_replace_is_refused_before_any_sql(api, named, no_sql, expect_error):
    response = api.get(f"/tables/{named}/records", query_string={"where": NESTED})
    error = expect_error(response, 422, "FORMULA_TOO_LARGE")
    assert "characters" in error["message"]
    position = error["details"]["position"]
    assert 0 <= position["start"] < position["end"] <= len(NESTED)
    assert no_sql == []


def test_report_preview_with_nested_replace_is_refused_before_any_sql(api, named, no_sql,
                                                                      expect_error):
    definition = {"rows": [{"field": "rank"}], "values": [{"agg": "count"}], "where": NESTED}
    response = api.post("/reports/preview", json={"table": named, "definition": definition})
    error = expect_error(response, 422, "FORMULA_TOO_LARGE")
    assert error["message"]
    assert no_sql == []


def test_a_field_formula_that_grows_too_large_is_refused(api, named, expect_error):
    response = api.post(f"/tables/{named}/fields", json={
        "label": "Echo", "type": "formula",
        "options": {"expression": NESTED[:-3], "result": {"kind": "TEXT"}}})
    assert response.status_code == 422, response.get_json()
    assert "FORMULA_TOO_LARGE" in response.get_data(as_text=True)


def test_formula_check_names_the_size_error(api, named):
    response = api.post(f"/tables/{named}/formula/check", json={"expression": NESTED})
    body = response.get_json()
    assert response.status_code == 200 and body["ok"] is False
    assert body["errors"][0]["code"] == "FORMULA_TOO_LARGE"


# --- the time limit --------------------------------------------------------------------
SLOW = " and ".join(['len(replace(replace(name, "a", "aaaaaaaaaa"), "a", "aaaaaaaaaa")) > 0'] * 8)


@pytest.fixture
def slow_app(settings):
    """An app whose read statements may run a quarter of a second, over 10 000 long names."""
    config = {**{f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)},
              "query_timeout": 0.25, "TESTING": True}
    app = create_app(config)
    rt = app.extensions["cardfile"]
    boss = rt.users.create("boss", "boss-password", name="Boss", is_admin=True, bootstrap=True)
    rt.schema.create_table(boss, {"label": "People", "api_name": "people", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Rank", "type": "integer"}]})
    rt.records.bulk_create(boss, "people", [{"name": "a" * 200, "rank": i} for i in range(10_000)])
    yield Api(app.test_client(), rt.users.create_token(boss, "tests")[1])
    rt.dispose()


def test_a_slow_list_is_stopped_with_query_too_expensive(slow_app, expect_error):
    response = slow_app.get("/tables/people/records", query_string={"where": SLOW})
    error = expect_error(response, 422, "QUERY_TOO_EXPENSIVE")
    assert error["details"] == {"limit_seconds": 0.25}
    # the same list without the slow condition still answers
    assert slow_app.get("/tables/people/records?per_page=1").get_json()["total"] == 10_000


def test_a_slow_report_preview_is_stopped_with_query_too_expensive(slow_app, expect_error):
    definition = {"rows": [{"field": "rank"}], "values": [{"agg": "count"}], "where": SLOW}
    response = slow_app.post("/reports/preview", json={"table": "people", "definition": definition})
    expect_error(response, 422, "QUERY_TOO_EXPENSIVE")
