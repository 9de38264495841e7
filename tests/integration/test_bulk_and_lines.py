"""Bulk create (all or nothing) and line items saved inside the parent's transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.records.query import ListQuery


@pytest.fixture
def invoices(runtime, admin, make_table):
    make_table("Products", [("Name", "text")], api_name="products")
    products = [runtime.records.create(admin, "products", {"name": n})["id"] for n in ("Стол", "Chair")]
    make_table("Invoices", [
        ("Number", "counter", {"pattern": "INV-{####}"}), ("Client", "text", {"required": True}),
        ("Lines", "lines", {"fields": [
            {"label": "Product", "type": "link", "options": {"target": "products"}},
            {"label": "Qty", "type": "integer", "options": {"min": 1, "required": True}},
            {"label": "Price", "type": "money"}]}),
    ], api_name="invoices")
    return products


def child_rows(runtime, parent_id, include_trashed=False):
    snap = runtime.schema.snapshot()
    field = snap.table("invoices").field("lines")
    child = snap.child_table(field)
    sql = snap.sql_table(child)
    stmt = sa.select(sql.c.id, sql.c.position, sql.c.deleted_at).where(sql.c.parent_id == parent_id)
    if not include_trashed:
        stmt = stmt.where(sql.c.deleted_at.is_(None))
    with runtime.engine.connect() as conn:
        return conn.execute(stmt.order_by(sql.c.position)).all()


def test_bulk_create_is_all_or_nothing(runtime, admin, make_table):
    make_table("People", [("Name", "text", {"required": True}), ("Age", "integer", {"min": 0}),
                          ("Code", "counter", {"pattern": "P-{#####}"})], api_name="people")
    rows = [{"name": f"Person {i}", "age": i % 90} for i in range(1000)]
    rows[736] = {"name": "Bad", "age": "old"}
    with pytest.raises(ValidationFailed) as info:
        runtime.records.bulk_create(admin, "people", rows, batch_size=100)
    assert "row 737" in info.value.message and "nothing was saved" in info.value.message
    assert list(info.value.errors) == ["row 737.age"]
    assert runtime.records.list(admin, "people")["total"] == 0
    rows[736] = {"name": "Good", "age": 1}
    rows[999] = {"age": 5}
    with pytest.raises(ValidationFailed) as info:
        runtime.records.bulk_create(admin, "people", rows, batch_size=100)
    assert list(info.value.errors) == ["row 1000.name"]
    assert runtime.records.list(admin, "people")["total"] == 0
    rows[999] = {"name": "Last"}
    assert runtime.records.bulk_create(admin, "people", rows, batch_size=100) == {"created": 1000}
    page = runtime.records.list(admin, "people", ListQuery(sort=["code"], per_page=500))
    assert page["total"] == 1000
    assert page["records"][0]["code"] == "P-00001"
    assert runtime.records.create(admin, "people", {"name": "After"})["code"] == "P-01001"


def test_bulk_create_checks_links_and_unique_values(runtime, admin, make_table):
    make_table("Cities", [("Name", "text")], api_name="cities")
    city = runtime.records.create(admin, "cities", {"name": "Berlin"})["id"]
    make_table("People", [("Name", "text", {"unique": True}), ("City", "link", {"target": "cities"})],
               api_name="people")
    with pytest.raises(ValidationFailed) as info:
        runtime.records.bulk_create(admin, "people", [{"name": "a", "city": city}, {"name": "b", "city": 404}])
    assert "404" in str(info.value.errors)
    with pytest.raises(ValidationFailed):
        runtime.records.bulk_create(admin, "people", [{"name": "a"}, {"name": "a"}])
    assert runtime.records.list(admin, "people")["total"] == 0
    runtime.records.bulk_create(admin, "people", [{"name": "a", "city": city}, {"name": "b"}])
    assert runtime.records.list(admin, "people")["total"] == 2


def test_bulk_created_records_each_show_their_create_entry(runtime, admin, make_table):
    from cardfile.metamodel.storage.platform_tables import cf_audit
    make_table("Notes", [("Title", "text")], api_name="notes")
    make_table("Tags", [("Title", "text")], api_name="tags")
    runtime.records.bulk_create(admin, "tags", [{"title": f"t{i}"} for i in range(30)], batch_size=7)
    runtime.records.bulk_create(admin, "notes", [{"title": f"n{i}"} for i in range(25)], batch_size=10)
    single = runtime.records.create(admin, "notes", {"title": "one"})
    ids = [r["id"] for r in runtime.records.list(admin, "notes", ListQuery(per_page=100, sort=["id"]))["records"]]
    assert len(ids) == 26
    with runtime.engine.connect() as conn:
        entries = conn.execute(sa.select(cf_audit.c.record_id, cf_audit.c.last_record_id)
                               .where(cf_audit.c.table_id == runtime.schema.snapshot().table("notes").id)
                               .order_by(cf_audit.c.id)).all()
    assert entries == [(ids[0], ids[24]), (single["id"], None)]  # one run for the whole load
    for record_id in ids:  # first, inside and last of each run, and the record made alone
        history = runtime.records.history(admin, "notes", record_id)
        assert [(e["action"], e["version"], e["user"]["id"]) for e in history] == [("create", 1, admin.id)]
    runtime.records.update(admin, "notes", ids[10], {"title": "changed"}, version=1)
    assert [(e["action"], e["changes"]) for e in runtime.records.history(admin, "notes", ids[10])] == [
        ("create", {}), ("update", {"title": ["n10", "changed"]})]
    assert [e["action"] for e in runtime.records.history(admin, "notes", ids[11])] == ["create"]


def test_bulk_created_numbers_read_back_as_records_created_one_by_one(runtime, admin, make_table):
    from decimal import Decimal
    fields = [("Name", "text"), ("Weight", "decimal", {"places": 3}), ("Rate", "percent", {"max": 100}),
              ("Price", "money", {"currency": "EUR", "min": 0}), ("Fee", "money", {"places": 0})]
    make_table("One", fields, api_name="one")
    make_table("Many", fields, api_name="many")
    rows = [{"name": "plain", "weight": Decimal("1.5"), "rate": 7, "price": Decimal("12.30"), "fee": 4},
            {"name": "empty", "weight": None, "rate": None, "price": None, "fee": None},
            {"name": "text", "weight": "2,125", "rate": "99.5", "price": "8.10 USD", "fee": {"amount": "3", "currency": "gbp"}},
            {"name": "edge", "weight": Decimal("-999999999999999.999"), "rate": Decimal("100"),
             "price": Decimal("99999999999999.99"), "fee": -5},
            {"name": "left out"}]
    for row in rows:
        runtime.records.create(admin, "one", row)
    assert runtime.records.bulk_create(admin, "many", rows) == {"created": len(rows)}

    def read(table):
        return [{k: r[k] for k in ("name", "weight", "rate", "price", "fee")}
                for r in runtime.records.list(admin, table, ListQuery(sort=["id"]))["records"]]
    assert read("many") == read("one")
    assert read("many")[0]["price"] == {"amount": "12.30", "currency": "EUR"}
    assert read("many")[2]["fee"] == {"amount": "3", "currency": "GBP"}
    for bad in ({"weight": Decimal("1.0005")}, {"rate": 101}, {"price": Decimal("-1")}, {"fee": Decimal("0.5")},
                {"weight": Decimal("1E+15")}):
        with pytest.raises(ValidationFailed) as info:
            runtime.records.bulk_create(admin, "many", [{"name": "ok"}, {"name": "bad", **bad}])
        assert list(info.value.errors) == [f"row 2.{next(iter(bad))}"]
    assert runtime.records.list(admin, "many")["total"] == len(rows)


def test_lines_are_added_updated_removed_and_reordered(runtime, admin, invoices):
    table, chair = invoices
    inv = runtime.records.create(admin, "invoices", {"client": "Acme", "lines": [
        {"product": table, "qty": 1, "price": "100"}, {"product": chair, "qty": 4, "price": "25"},
        {"qty": 2, "price": "5"}]})
    first, second, third = (line["id"] for line in inv["lines"])
    updated = runtime.records.update(admin, "invoices", inv["id"], {"lines": [
        {"id": third, "qty": 3}, {"id": first}, {"product": chair, "qty": 1, "price": "30"}]}, version=1)
    got = [(line["id"], line["position"], line["qty"], line["price"]["amount"]) for line in updated["lines"]]
    new_id = got[2][0]
    assert got == [(third, 1, 3, "5.00"), (first, 2, 1, "100.00"), (new_id, 3, 1, "30.00")]
    assert updated["lines"][0]["product"] is None
    assert updated["lines"][2]["product"] == {"id": chair, "display": "Chair"}
    assert [r.id for r in child_rows(runtime, inv["id"])] == [third, first, new_id]
    trashed = [r for r in child_rows(runtime, inv["id"], include_trashed=True) if r.deleted_at is not None]
    assert [r.id for r in trashed] == [second]
    history = runtime.records.history(admin, "invoices", inv["id"])
    assert history[1]["changes"] == {"lines": [3, 3]}
    emptied = runtime.records.update(admin, "invoices", inv["id"], {"lines": []}, version=2)
    assert emptied["lines"] == [] and child_rows(runtime, inv["id"]) == []


def test_a_bad_line_aborts_the_whole_save(runtime, admin, invoices):
    table, _ = invoices
    with pytest.raises(ValidationFailed) as info:
        runtime.records.create(admin, "invoices", {"client": "Acme", "lines": [
            {"product": table, "qty": 1}, {"product": 999, "qty": 0}]})
    assert set(info.value.errors) == {"lines[2].product", "lines[2].qty"}
    assert runtime.records.list(admin, "invoices")["total"] == 0
    assert child_rows(runtime, None) == []
    inv = runtime.records.create(admin, "invoices", {"client": "Acme", "lines": [{"qty": 1}, {"qty": 2}]})
    assert inv["number"] == "INV-0001"  # the failed save took no number
    a, b = (line["id"] for line in inv["lines"])
    with pytest.raises(ValidationFailed) as info:
        runtime.records.update(admin, "invoices", inv["id"], {"client": "Changed", "lines": [
            {"id": b, "qty": 5}, {"id": a, "qty": "many"}]}, version=1)
    assert list(info.value.errors) == ["lines[2].qty"]
    with pytest.raises(ValidationFailed) as info:
        runtime.records.update(admin, "invoices", inv["id"], {"lines": [{"id": 12345, "qty": 1}]}, version=1)
    assert "does not belong" in info.value.errors["lines[1].id"][0]
    got = runtime.records.get(admin, "invoices", inv["id"])
    assert (got["client"], got["version"]) == ("Acme", 1)
    assert [(line["id"], line["qty"], line["position"]) for line in got["lines"]] == [(a, 1, 1), (b, 2, 2)]
    assert len(child_rows(runtime, inv["id"], include_trashed=True)) == 2


def test_lines_of_another_record_cannot_be_taken(runtime, admin, invoices):
    one = runtime.records.create(admin, "invoices", {"client": "A", "lines": [{"qty": 1}]})
    two = runtime.records.create(admin, "invoices", {"client": "B", "lines": [{"qty": 2}]})
    with pytest.raises(ValidationFailed):
        runtime.records.update(admin, "invoices", two["id"], {"lines": [{"id": one["lines"][0]["id"], "qty": 9}]},
                               version=1)
    assert runtime.records.get(admin, "invoices", one["id"])["lines"][0]["qty"] == 1


def test_stale_update_with_lines_writes_no_line(runtime, admin, invoices):
    from cardfile.metamodel.errors import StaleVersion
    inv = runtime.records.create(admin, "invoices", {"client": "A", "lines": [{"qty": 1}]})
    runtime.records.update(admin, "invoices", inv["id"], {"client": "B"}, version=1)
    with pytest.raises(StaleVersion):
        runtime.records.update(admin, "invoices", inv["id"], {"lines": [{"qty": 7}]}, version=1)
    assert [line["qty"] for line in runtime.records.get(admin, "invoices", inv["id"])["lines"]] == [1]
    assert len(child_rows(runtime, inv["id"], include_trashed=True)) == 1


def test_trashing_a_lines_field_hides_and_restores_the_lines(runtime, admin, invoices):
    inv = runtime.records.create(admin, "invoices", {"client": "A", "lines": [{"qty": 1}, {"qty": 2}]})
    runtime.schema.delete_field(admin, "invoices", "lines")
    assert "lines" not in runtime.records.get(admin, "invoices", inv["id"])
    runtime.schema.restore_field(admin, "invoices", "lines")
    assert [line["qty"] for line in runtime.records.get(admin, "invoices", inv["id"])["lines"]] == [1, 2]


def test_ids_fall_into_runs_of_consecutive_numbers():
    from cardfile.metamodel.records.audit import runs_of
    assert runs_of([]) == []
    assert runs_of([5, 6, 7]) == [[5, 7]]
    assert runs_of([9, 3, 4, 12, 10]) == [[3, 4], [9, 10], [12, 12]]
    runs = runs_of([1, 2, 3])
    assert runs_of([4, 5], runs) is runs and runs == [[1, 5]]  # a batch that continues the last run joins it
    assert runs_of([8], runs) == [[1, 5], [8, 8]]


def test_a_batch_parsed_row_by_row_stores_encoded_amounts_too(runtime, admin, make_table):
    from decimal import Decimal
    make_table("Orders", [("Total", "money"), ("Weight", "decimal", {"places": 3}),
                          ("Lines", "lines", {"fields": [{"label": "Qty", "type": "integer"}]})], api_name="orders")
    rows = [{"total": Decimal("10.50"), "weight": Decimal("2"), "lines": []},  # an empty "lines": row by row
            {"total": {"amount": "3", "currency": "usd"}, "weight": "1,5"}]
    assert runtime.records.bulk_create(admin, "orders", rows) == {"created": 2}
    got = [(r["total"], r["weight"]) for r in runtime.records.list(admin, "orders", ListQuery(sort=["id"]))["records"]]
    assert got == [({"amount": "10.50", "currency": "EUR"}, "2.000"), ({"amount": "3.00", "currency": "USD"}, "1.500")]
