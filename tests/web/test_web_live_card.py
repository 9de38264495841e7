"""The live card and the editable list: the server answers from what the user typed."""

from __future__ import annotations

import re


def token_of(client, url: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def post(client, url, body, token, lang="en"):
    return client.post(url, json=body, headers={"X-CSRF-Token": token, "Accept-Language": lang})


def make_invoices(rt, boss):
    rt.schema.create_table(boss, {"label": "Invoices", "api_name": "invoices", "fields": [
        {"label": "Number", "api_name": "number", "type": "text"},
        {"label": "Issued", "api_name": "issued", "type": "date"},
        {"label": "Due", "api_name": "due", "type": "date", "options": {"default_formula": "add_days(issued, 14)"}},
        {"label": "Lines", "api_name": "lines", "type": "lines", "options": {"fields": [
            {"label": "Item", "api_name": "item", "type": "text"},
            {"label": "Qty", "api_name": "qty", "type": "decimal", "options": {"places": 3, "default": 1}},
            {"label": "Price", "api_name": "price", "type": "money", "options": {"currency": "EUR"}},
            {"label": "VAT", "api_name": "vat", "type": "percent", "options": {"default": 20}},
            {"label": "Amount", "api_name": "amount", "type": "formula",
             "options": {"expression": "qty * price", "places": 2}}]}},
        {"label": "Total", "api_name": "total", "type": "formula", "options": {"expression": "sum(lines.amount)"}},
        {"label": "Note", "api_name": "note", "type": "text", "options": {"visible_if": "total > 100"}},
    ]})


def test_the_preview_reads_typed_text_and_answers_formatted_values(browser, rt, boss):
    make_invoices(rt, boss)
    token = token_of(browser, "/t/invoices/new")
    answer = post(browser, "/t/invoices/preview", {"values": {
        "issued": "31.01.2026", "lines": [{"qty": "2,5", "price": {"amount": "12,25", "currency": "EUR"}},
                                          {"item": "b", "price": {"amount": "0,625", "currency": "EUR"}}]}},
        token, lang="ru")
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    lines = data["values"]["lines"]
    assert lines[0]["amount"] == {"amount": "30.63", "currency": "EUR"}
    assert lines[1]["qty"] == "1.000" and lines[1]["_edit"]["qty"] == "1,000" and lines[1]["_edit"]["vat"] == "20,00"
    assert data["errors"]["lines[1].price"]  # a money field keeps 2 places: 0,625 is not rounded away
    assert data["values"]["due"] == "2026-02-14" and data["values"]["_edit"]["due"] == "14.02.2026"
    assert "due" in data["defaults"]
    assert data["values"]["_display"]["total"].replace("\u00a0", " ").startswith("30,63")
    assert data["visible"] == {"note": False}
    # the Total row: the amounts, not the prices or the rates
    assert set(data["values"]["_totals"]["lines"]) == {"amount"}
    assert "30,63" in data["values"]["_totals"]["lines"]["amount"] and "€" in data["values"]["_totals"]["lines"]["amount"]


def test_text_that_cannot_be_read_is_named_and_the_rest_still_computes(browser, rt, boss):
    make_invoices(rt, boss)
    token = token_of(browser, "/t/invoices/new")
    data = post(browser, "/t/invoices/preview", {"values": {
        "issued": "02/31/2026", "lines": [{"qty": "two", "price": {"amount": "3", "currency": "EUR"}},
                                          {"qty": "2", "price": {"amount": "4", "currency": "EUR"}}]}}, token).get_json()
    assert "no such date" in data["errors"]["issued"][0]
    assert "lines[0].qty" in data["errors"]
    assert data["values"]["lines"][1]["amount"] == {"amount": "8.00", "currency": "EUR"}


def test_changes_to_a_stored_record_and_nothing_is_written(browser, rt, boss):
    make_invoices(rt, boss)
    saved = rt.records.create(boss, "invoices", {"number": "1", "lines": [{"qty": 1, "price": {"amount": "10", "currency": "EUR"}}]})
    token = token_of(browser, f"/t/invoices/{saved['id']}")
    line = saved["lines"][0]["id"]
    data = post(browser, f"/t/invoices/{saved['id']}/preview", {"values": {
        "lines": [{"id": line, "qty": "3", "price": {"amount": "10", "currency": "EUR"}}]}}, token).get_json()
    assert data["values"]["total"] == {"amount": "30.00", "currency": "EUR"} or data["values"]["total"] == "30.00"
    assert data["visible"] == {"note": False}
    assert rt.records.get(boss, "invoices", saved["id"])["version"] == saved["version"]


def test_a_new_card_opens_with_its_defaults_and_hides_what_it_should(browser, rt, boss):
    make_invoices(rt, boss)
    page = browser.get("/t/invoices/new").get_data(as_text=True)
    assert 'data-field="note" data-type="text" hidden' in page
    assert "data-expression" not in page and "expr.js" not in page
    saved = rt.records.create(boss, "invoices", {"number": "1", "lines": [
        {"qty": 2, "price": {"amount": "10", "currency": "EUR"}, "vat": 20}]})
    card = browser.get(f"/t/invoices/{saved['id']}").get_data(as_text=True)
    totals = re.search(r'<tr class="totals">(.*?)</tr>', card, re.S).group(1)
    assert totals.count("data-total=") == 1 and 'data-total="amount">€20.00<' in totals


def test_cells_of_the_list_are_saved_with_their_version(browser, rt, boss):
    make_invoices(rt, boss)
    saved = rt.records.create(boss, "invoices", {"number": "1", "issued": "2026-01-05"})
    token = token_of(browser, "/t/invoices")
    url = f"/t/invoices/{saved['id']}/cell"
    answer = post(browser, url, {"values": {"issued": "05.02.2026"}, "version": saved["version"],
                                 "columns": ["issued", "number", "due"]}, token, lang="ru")
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert data["version"] == saved["version"] + 1 and data["values"]["issued"] == "2026-02-05"
    assert data["cells"]["number"] == "1" and "2026" in data["cells"]["issued"] and data["edit"]["issued"] == "05.02.2026"
    stale = post(browser, url, {"values": {"number": "2"}, "version": saved["version"]}, token)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "STALE_VERSION"
    bad = post(browser, url, {"values": {"issued": "31.02.2026"}, "version": data["version"]}, token, lang="ru")
    assert bad.status_code == 422 and "issued" in bad.get_json()["error"]["details"]["fields"]
    computed = post(browser, url, {"values": {"total": "5"}, "version": data["version"]}, token)
    assert computed.status_code == 422 and "total" in computed.get_json()["error"]["details"]["fields"]
    block = post(browser, url, {"values": {"number": "A-1", "issued": "3/4/2026"}, "version": data["version"],
                                "columns": ["number"]}, token)
    assert block.status_code == 200 and block.get_json()["cells"] == {"number": "A-1"}
    # an undo sends the previous value back as the API's JSON, with the version it saw
    undo = post(browser, url, {"values": {"issued": "2026-02-05"}, "exact": True,
                               "version": block.get_json()["version"], "columns": ["issued"]}, token, lang="ro")
    assert undo.status_code == 200 and undo.get_json()["values"]["issued"] == "2026-02-05"
    history = rt.records.history(boss, "invoices", saved["id"])
    assert [e["version"] for e in history] == [1, 2, 3, 4]


def test_the_api_answers_the_same_preview_in_canonical_values(browser, rt, boss):
    make_invoices(rt, boss)
    token = token_of(browser, "/t/invoices/new")
    new = post(browser, "/api/v1/tables/invoices/records/preview", {
        "issued": "2026-01-31", "lines": [{"qty": "2.5", "price": {"amount": "12.25", "currency": "EUR"}}]}, token)
    assert new.status_code == 200, new.get_json()
    data = new.get_json()
    assert data["values"]["lines"][0]["amount"] == {"amount": "30.63", "currency": "EUR"}
    assert data["values"]["due"] == "2026-02-14" and "_display" not in data["values"]
    saved = rt.records.create(boss, "invoices", {"number": "1"})
    changed = post(browser, f"/api/v1/tables/invoices/records/{saved['id']}/preview", {"number": "2"}, token)
    assert changed.status_code == 200 and changed.get_json()["values"]["number"] == "2"
    assert post(browser, "/api/v1/tables/invoices/records/999/preview", {}, token).status_code == 404
    assert post(browser, "/api/v1/tables/nope/records/preview", {}, token).status_code == 404


def test_the_list_page_carries_what_the_editable_grid_needs(browser, rt, boss):
    make_invoices(rt, boss)
    saved = rt.records.create(boss, "invoices", {"number": "N-1", "issued": "2026-03-04"})
    page = browser.get("/t/invoices?cols=number,issued,total", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert f'data-id="{saved["id"]}" data-version="{saved["version"]}"' in page
    assert 'data-field="issued" data-edit="04.03.2026" data-value=\'"2026-03-04"\'' in page
    assert "js/grid.js" in page
    config = re.search(r'<script type="application/json" id="list-config">(.*?)</script>', page, re.S).group(1)
    import json
    grid = {c["name"]: c for c in json.loads(config)["grid"]}
    assert grid["number"]["editable"] and grid["issued"]["editable"] and not grid["total"]["editable"]


def test_a_row_is_read_again_after_a_conflict(browser, rt, boss):
    make_invoices(rt, boss)
    saved = rt.records.create(boss, "invoices", {"number": "1"})
    rt.records.update(boss, "invoices", saved["id"], {"number": "2"}, version=saved["version"])
    row = browser.get(f"/t/invoices/{saved['id']}/row?cols=number,total,nope").get_json()
    assert row["version"] == saved["version"] + 1 and row["cells"] == {"number": "2", "total": "€0.00"}
    assert browser.get("/t/invoices/999/row?cols=number").status_code == 404
