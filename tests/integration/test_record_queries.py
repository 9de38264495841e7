"""Listing records on both databases: quick search, filters, sort, pages, the trash."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import BadQuery, FieldNotFound
from cardfile.metamodel.records.query import ListQuery, parse_filter


@pytest.fixture
def shop(runtime, admin, make_table):
    make_table("Cities", [("Name", "text")], api_name="cities")
    cities = {n: runtime.records.create(admin, "cities", {"name": n})["id"] for n in ("Berlin", "Амстердам", "Zürich")}
    make_table("Clients", [
        ("Name", "text"), ("Notes", "long_text"), ("Score", "integer"), ("Balance", "money"),
        ("Since", "date"), ("Seen", "datetime"), ("VIP", "boolean"),
        ("Stage", "choice", {"choices": [{"value": "lead"}, {"value": "won"}, {"value": "lost"}]}),
        ("Tags", "multi_choice", {"choices": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}),
        ("City", "link", {"target": "cities"}), ("Email", "email"),
    ], api_name="clients")
    rows = [
        {"name": "Клиент Первый", "notes": "Звонить утром", "score": 10, "balance": "100.50",
         "since": "2024-01-15", "seen": "2025-01-01T09:00:00Z", "vip": True, "stage": "lead",
         "tags": ["a", "b"], "city": cities["Zürich"], "email": "first@example.com"},
        {"name": "клиент второй", "notes": None, "score": -5, "balance": "-20",
         "since": "2023-06-01", "seen": None, "vip": False, "stage": "won",
         "tags": ["c"], "city": cities["Berlin"], "email": None},
        {"name": "ACME 100% Ltd_", "notes": "big", "score": None, "balance": None,
         "since": None, "seen": "2025-02-01T12:00:00+02:00", "vip": None, "stage": None,
         "tags": None, "city": None, "email": "acme@example.org"},
        {"name": "Ωmega", "notes": "ΣΊΣΥΦΟΣ", "score": 10, "balance": "3000", "since": "2025-12-31",
         "seen": "2024-12-31T23:59:59Z", "vip": True, "stage": "lost", "tags": ["a"],
         "city": cities["Амстердам"], "email": "omega@example.com"},
    ]
    ids = [runtime.records.create(admin, "clients", r)["id"] for r in rows]
    return ids, cities


def names(page):
    return [r["name"] for r in page["records"]]


def ids_for(runtime, admin, *filters, **kw):
    page = runtime.records.list(admin, "clients", ListQuery(filters=list(filters), per_page=100, **kw))
    return sorted(r["id"] for r in page["records"])


def test_quick_search_is_case_insensitive_in_any_script(runtime, admin, shop):
    ids, _ = shop
    assert ids_for(runtime, admin, search="Клиент") == ids[:2]
    assert ids_for(runtime, admin, search="КЛИЕНТ ВТОРОЙ") == [ids[1]]
    assert ids_for(runtime, admin, search="ωMEGA") == [ids[3]]
    assert ids_for(runtime, admin, search="σίσυφος") == [ids[3]]
    assert ids_for(runtime, admin, search="утром") == [ids[0]]
    assert ids_for(runtime, admin, search="100%") == [ids[2]]
    assert ids_for(runtime, admin, search="_") == [ids[2]]
    assert ids_for(runtime, admin, search="EXAMPLE.ORG") == [ids[2]]
    assert ids_for(runtime, admin, search=str(ids[3])) == [ids[3]]
    assert ids_for(runtime, admin, search="nothing like it") == []


def test_text_operators(runtime, admin, shop):
    ids, _ = shop
    assert ids_for(runtime, admin, ("name", "contains", "КЛИЕНТ")) == ids[:2]
    assert ids_for(runtime, admin, ("name", "not_contains", "клиент")) == ids[2:]
    assert ids_for(runtime, admin, ("name", "starts_with", "acme")) == [ids[2]]
    assert ids_for(runtime, admin, ("name", "ends_with", "ltd_")) == [ids[2]]
    assert ids_for(runtime, admin, ("name", "ends_with", "D%")) == []
    assert ids_for(runtime, admin, ("name", "eq", "Ωmega")) == [ids[3]]
    assert ids_for(runtime, admin, ("name", "ne", "Ωmega")) == ids[:3]
    assert ids_for(runtime, admin, ("notes", "is_empty", "")) == [ids[1]]
    assert ids_for(runtime, admin, ("email", "in", "acme@example.org,omega@example.com")) == ids[2:]


def test_number_money_and_date_operators(runtime, admin, shop):
    ids, _ = shop
    assert ids_for(runtime, admin, ("score", "eq", "10")) == [ids[0], ids[3]]
    assert ids_for(runtime, admin, ("score", "ne", "10")) == [ids[1], ids[2]]
    assert ids_for(runtime, admin, ("score", "lt", 0)) == [ids[1]]
    assert ids_for(runtime, admin, ("score", "gte", "-5")) == [ids[0], ids[1], ids[3]]
    assert ids_for(runtime, admin, ("score", "not_in", "10")) == [ids[1], ids[2]]
    assert ids_for(runtime, admin, ("score", "is_not_empty", "")) == [ids[0], ids[1], ids[3]]
    assert ids_for(runtime, admin, ("balance", "gt", "100.5")) == [ids[3]]
    assert ids_for(runtime, admin, ("balance", "lte", "100,50")) == [ids[0], ids[1]]
    assert ids_for(runtime, admin, ("balance", "eq", {"amount": "-20", "currency": "EUR"})) == [ids[1]]
    assert ids_for(runtime, admin, ("since", "gte", "2024-01-15")) == [ids[0], ids[3]]
    assert ids_for(runtime, admin, ("since", "lt", "01.01.2024")) == [ids[1]]
    assert ids_for(runtime, admin, ("seen", "gt", "2025-02-01T09:59:59Z")) == [ids[2]]
    assert ids_for(runtime, admin, ("seen", "lte", "2025-01-01T12:00:00+03:00")) == [ids[0], ids[3]]


def test_choice_boolean_link_and_multi_choice_operators(runtime, admin, shop):
    ids, cities = shop
    assert ids_for(runtime, admin, ("vip", "eq", "yes")) == [ids[0], ids[3]]
    assert ids_for(runtime, admin, ("vip", "ne", "true")) == [ids[1], ids[2]]
    assert ids_for(runtime, admin, ("vip", "is_empty", "")) == [ids[2]]
    assert ids_for(runtime, admin, ("stage", "in", "won,lost")) == [ids[1], ids[3]]
    assert ids_for(runtime, admin, ("stage", "ne", "lead")) == [ids[1], ids[2], ids[3]]
    assert ids_for(runtime, admin, ("city", "eq", cities["Berlin"])) == [ids[1]]
    assert ids_for(runtime, admin, ("city", "not_in", [cities["Berlin"]])) == [ids[0], ids[2], ids[3]]
    assert ids_for(runtime, admin, ("tags", "has", "a")) == [ids[0], ids[3]]
    assert ids_for(runtime, admin, ("tags", "has", "b,c")) == [ids[0], ids[1]]
    assert ids_for(runtime, admin, ("tags", "has_not", "a")) == [ids[1], ids[2]]
    assert ids_for(runtime, admin, ("tags", "is_empty", "")) == [ids[2]]
    assert ids_for(runtime, admin, ("tags", "is_not_empty", "")) == [ids[0], ids[1], ids[3]]
    assert ids_for(runtime, admin, ("id", "in", f"{ids[0]},{ids[2]}")) == [ids[0], ids[2]]
    assert ids_for(runtime, admin, ("name", "contains", "клиент"), ("score", "gt", 0)) == [ids[0]]


def test_bad_filters_are_reported(runtime, admin, shop):
    with pytest.raises(BadQuery) as info:
        ids_for(runtime, admin, ("score", "contains", "1"))
    assert "use one of" in info.value.message
    with pytest.raises(BadQuery):
        ids_for(runtime, admin, ("score", "gt", "many"))
    with pytest.raises(BadQuery):
        ids_for(runtime, admin, ("stage", "eq", "unknown"))
    with pytest.raises(BadQuery):
        ids_for(runtime, admin, ("since", "lt", "soon"))
    with pytest.raises(FieldNotFound):
        ids_for(runtime, admin, ("nope", "eq", "1"))
    with pytest.raises(BadQuery):
        ids_for(runtime, admin, ("id", "eq", "x"))
    assert parse_filter("notes:contains:a:b") == ("notes", "contains", "a:b")
    assert parse_filter("notes:is_empty") == ("notes", "is_empty", "")
    with pytest.raises(BadQuery):
        parse_filter("notes")


def test_sort_by_any_field_with_nulls_last(runtime, admin, shop):
    ids, _ = shop
    def order(*sort):
        page = runtime.records.list(admin, "clients", ListQuery(sort=list(sort)))
        return [r["id"] for r in page["records"]]
    assert order("score") == [ids[1], ids[0], ids[3], ids[2]]
    assert order("-score") == [ids[3], ids[0], ids[1], ids[2]]
    assert order("balance") == [ids[1], ids[0], ids[3], ids[2]]
    assert order("-balance") == [ids[3], ids[0], ids[1], ids[2]]
    assert order("since") == [ids[1], ids[0], ids[3], ids[2]]
    assert order("-seen") == [ids[2], ids[0], ids[3], ids[1]]
    assert order("stage") == [ids[0], ids[3], ids[1], ids[2]]
    assert order("-vip", "-balance") == [ids[3], ids[0], ids[1], ids[2]]
    assert order("score", "-id") == [ids[1], ids[3], ids[0], ids[2]]
    assert order("-id") == list(reversed(ids))


def test_sort_by_a_links_display_value(runtime, admin, shop):
    ids, _ = shop
    page = runtime.records.list(admin, "clients", ListQuery(sort=["city"]))
    assert [r["city"]["display"] if r["city"] else None for r in page["records"]] == \
        ["Berlin", "Zürich", "Амстердам", None]
    page = runtime.records.list(admin, "clients", ListQuery(sort=["-city"]))
    assert [r["id"] for r in page["records"]] == [ids[3], ids[0], ids[1], ids[2]]


def test_unsortable_and_unknown_sort_fields(runtime, admin, shop):
    with pytest.raises(BadQuery):
        runtime.records.list(admin, "clients", ListQuery(sort=["tags"]))
    with pytest.raises(FieldNotFound):
        runtime.records.list(admin, "clients", ListQuery(sort=["nope"]))


def test_pages_with_a_total(runtime, admin, make_table):
    make_table("Numbers", [("N", "integer")], api_name="numbers")
    runtime.records.bulk_create(admin, "numbers", [{"n": i} for i in range(1, 24)])
    pages = [runtime.records.list(admin, "numbers", ListQuery(sort=["-n"], page=p, per_page=10)) for p in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [23] * 4
    assert [[r["n"] for r in p["records"]] for p in pages] == [
        list(range(23, 13, -1)), list(range(13, 3, -1)), [3, 2, 1], []]
    filtered = runtime.records.list(admin, "numbers", ListQuery(filters=[("n", "gt", 20)], per_page=2))
    assert filtered["total"] == 3 and len(filtered["records"]) == 2
    for bad in ({"page": 0}, {"per_page": 0}, {"per_page": 501}, {"page": "x"}):
        with pytest.raises(BadQuery):
            runtime.records.list(admin, "numbers", ListQuery(**bad))


def test_trash_listing(runtime, admin, shop):
    ids, _ = shop
    runtime.records.delete(admin, "clients", ids[1])
    runtime.records.delete(admin, "clients", ids[3], version=1)
    live = runtime.records.list(admin, "clients")
    trash = runtime.records.list(admin, "clients", ListQuery(trashed=True, search="клиент"))
    assert (live["total"], sorted(r["id"] for r in live["records"])) == (2, [ids[0], ids[2]])
    assert [r["id"] for r in trash["records"]] == [ids[1]]
    assert all(r["deleted_at"].endswith("Z") for r in trash["records"])
