"""Schema changes on tables that hold records: add, rename, retype, trash, restore, purge."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import (
    FieldNotFound, InvalidDefinition, NameClash, RetypeWouldLoseValues, TableNotFound,
    UnsupportedConversion, ValidationFailed,
)


def physical(runtime, table_name: str) -> tuple[str, dict]:
    """(physical table name, {column: type text}) as the database reports them."""
    table = runtime.schema.snapshot().table(table_name, include_trashed=True)
    name = f"t_{table.id}"
    with runtime.engine.connect() as conn:
        columns = {c["name"]: str(c["type"]) for c in sa.inspect(conn).get_columns(name)}
    return name, columns


def indexes(runtime, table_name: str) -> dict[str, tuple]:
    """name -> (columns, unique); the leading ``deleted_at`` of SQLite's live-row indexes is
    left out (that layout has its own test in test_platform_migrations.py)."""
    name, _ = physical(runtime, table_name)
    with runtime.engine.connect() as conn:
        found = sa.inspect(conn).get_indexes(name)
    return {i["name"]: (tuple(i["column_names"][1:] if i["column_names"][0] == "deleted_at" and len(i["column_names"]) > 1
                              else i["column_names"]), bool(i["unique"])) for i in found}


def raw_column(runtime, table_name: str, field_name: str) -> dict[int, object]:
    """id -> raw stored value of a field's main column, read around the service on purpose."""
    snap = runtime.schema.snapshot()
    table = snap.table(table_name)
    field = table.field(field_name)
    sql = snap.sql_table(table)
    with runtime.engine.connect() as conn:
        rows = conn.execute(sa.select(sql.c.id, sql.c[f"f_{field.id}"]).order_by(sql.c.id)).all()
    return dict(rows)


@pytest.fixture
def clients(runtime, admin, make_table):
    make_table("Клиенты", [("Name", "text", {"required": True}), ("Code", "text"),
                           ("Status", "choice", {"choices": [{"value": "new"}, {"value": "vip"},
                                                             {"value": "old"}]}),
                           ("Rate", "decimal", {"places": 3})], api_name="clients")
    ids = [runtime.records.create(admin, "clients", values)["id"] for values in (
        {"name": "Альфа", "code": "10", "status": "new", "rate": "1.250"},
        {"name": "Beta", "code": "42", "status": "vip", "rate": "2.125"},
        {"name": "Gamma", "code": "x-7", "status": "old", "rate": "3.5"},
        {"name": "Delta", "code": None, "status": None, "rate": None},
    )]
    return ids


def test_add_field_to_a_table_with_records(runtime, admin, clients):
    added = runtime.schema.add_field(admin, "clients", {"label": "Телефон", "type": "phone"})
    assert added["api_name"] == "telefon"
    assert all(r["telefon"] is None for r in runtime.records.list(admin, "clients")["records"])
    rec = runtime.records.update(admin, "clients", clients[0], {"telefon": "+44 20 7946 0958"}, version=1)
    assert rec["telefon"] == "+44 20 7946 0958"
    _, columns = physical(runtime, "clients")
    assert f"f_{added['id']}" in columns


def test_rename_is_metadata_only(runtime, admin, clients):
    before = physical(runtime, "clients")
    runtime.schema.update_field(admin, "clients", "name", {"label": "Наименование", "api_name": "title"})
    runtime.schema.update_table(admin, "clients", {"label": "Customers", "api_name": "customers"})
    assert physical(runtime, "customers") == before
    rec = runtime.records.get(admin, "customers", clients[0])
    assert rec["title"] == "Альфа" and "name" not in rec
    with pytest.raises(TableNotFound):
        runtime.records.get(admin, "clients", clients[0])
    assert runtime.schema.get_table(admin, "customers")["fields"][0]["label"] == "Наименование"


def test_retype_clean_text_to_integer_keeps_values(runtime, admin, make_table):
    make_table("Items", [("Qty", "text")], api_name="items")
    ids = [runtime.records.create(admin, "items", {"qty": v})["id"] for v in ("10", "-3", None, " 7 ")]
    result = runtime.schema.update_field(admin, "items", "qty", {"type": "integer"})
    assert result["conversion"]["lost"] == 0
    assert [runtime.records.get(admin, "items", i)["qty"] for i in ids] == [10, -3, None, 7]
    _, columns = physical(runtime, "items")
    field_id = runtime.schema.get_table(admin, "items")["fields"][0]["id"]
    assert columns[f"f_{field_id}"] == "BIGINT"
    back = runtime.schema.update_field(admin, "items", "qty", {"type": "text"})
    assert back["conversion"]["lost"] == 0
    assert [runtime.records.get(admin, "items", i)["qty"] for i in ids] == ["10", "-3", None, "7"]


def test_lossy_retype_is_refused_and_writes_nothing(runtime, admin, clients):
    meta_before = runtime.schema.get_table(admin, "clients")
    physical_before, indexes_before = physical(runtime, "clients"), indexes(runtime, "clients")
    raw_before = raw_column(runtime, "clients", "code")
    with pytest.raises(RetypeWouldLoseValues) as info:
        runtime.schema.update_field(admin, "clients", "code", {"type": "integer", "label": "Код"})
    details = info.value.details
    assert details["count"] == 1
    assert [(r["id"], r["value"]) for r in details["records"]] == [(clients[2], "x-7")]
    assert f"#{clients[2]}" in info.value.message and "'x-7'" in info.value.message
    assert runtime.schema.get_table(admin, "clients") == meta_before
    assert physical(runtime, "clients") == physical_before
    assert indexes(runtime, "clients") == indexes_before
    assert raw_column(runtime, "clients", "code") == raw_before
    assert runtime.records.get(admin, "clients", clients[1])["code"] == "42"


def test_dry_run_reports_without_changing_anything(runtime, admin, clients):
    meta_before = runtime.schema.get_table(admin, "clients")
    physical_before = physical(runtime, "clients")
    result = runtime.schema.update_field(admin, "clients", "code", {"type": "integer"}, dry_run=True)
    conversion = result["conversion"]
    assert conversion["dry_run"] is True and conversion["records"] == 4
    assert [(r["id"], r["value"]) for r in conversion["losses"]] == [(clients[2], "x-7")]
    assert conversion["operations"]
    assert runtime.schema.get_table(admin, "clients") == meta_before
    assert physical(runtime, "clients") == physical_before
    assert raw_column(runtime, "clients", "code")[clients[2]] == "x-7"


def test_text_that_parses_survives_in_any_spelling(runtime, admin, make_table):
    make_table("Items", [("Price", "text"), ("Due", "text"), ("Paid", "text")], api_name="items")
    rec = runtime.records.create(admin, "items", {"price": "0042", "due": "31.12.2024", "paid": "да"})
    for field, type_key in (("price", "decimal"), ("due", "date"), ("paid", "boolean")):
        result = runtime.schema.update_field(admin, "items", field, {"type": type_key})
        assert result["conversion"]["lost"] == 0, field
    got = runtime.records.get(admin, "items", rec["id"])
    assert (got["price"], got["due"], got["paid"]) == ("42.00", "2024-12-31", True)
    with pytest.raises(RetypeWouldLoseValues):  # a date is no whole number
        runtime.schema.update_field(admin, "items", "due", {"type": "integer"})
    assert runtime.records.get(admin, "items", rec["id"])["due"] == "2024-12-31"


def test_forced_retype_empties_only_the_offending_values(runtime, admin, clients):
    result = runtime.schema.update_field(admin, "clients", "code", {"type": "integer"}, force=True)
    assert result["conversion"]["lost"] == 1
    got = {i: runtime.records.get(admin, "clients", i)["code"] for i in clients}
    assert got == {clients[0]: 10, clients[1]: 42, clients[2]: None, clients[3]: None}
    assert raw_column(runtime, "clients", "code")[clients[2]] is None
    assert runtime.schema.get_table(admin, "clients")["fields"][1]["type"] == "integer"


def test_fewer_decimal_places_is_lossy(runtime, admin, clients):
    with pytest.raises(RetypeWouldLoseValues) as info:
        runtime.schema.update_field(admin, "clients", "rate", {"options": {"places": 2}})
    assert [(r["id"], r["value"]) for r in info.value.details["records"]] == [(clients[1], "2.125")]
    assert runtime.records.get(admin, "clients", clients[1])["rate"] == "2.125"
    runtime.schema.update_field(admin, "clients", "rate", {"options": {"places": 4}})
    assert runtime.records.get(admin, "clients", clients[1])["rate"] == "2.1250"
    runtime.schema.update_field(admin, "clients", "rate", {"options": {"places": 2}}, force=True)
    assert [runtime.records.get(admin, "clients", i)["rate"] for i in clients] == ["1.25", None, "3.50", None]


def test_removing_a_used_choice_is_lossy(runtime, admin, clients):
    with pytest.raises(RetypeWouldLoseValues) as info:
        runtime.schema.update_field(admin, "clients", "status",
                                    {"options": {"choices": [{"value": "new"}, {"value": "vip"}]}})
    assert [(r["id"], r["value"]) for r in info.value.details["records"]] == [(clients[2], "old")]
    assert runtime.records.get(admin, "clients", clients[2])["status"] == "old"
    field = runtime.schema.get_table(admin, "clients")["fields"][2]
    assert [c["value"] for c in field["options"]["choices"]] == ["new", "vip", "old"]
    # relabelling and adding choices keeps every value
    runtime.schema.update_field(admin, "clients", "status", {"options": {"choices": [
        {"value": "new", "label": "Новый"}, {"value": "vip"}, {"value": "old"}, {"value": "lost"}]}})
    assert runtime.records.get(admin, "clients", clients[0])["status"] == "new"


def test_unsupported_retype_is_refused(runtime, admin, clients):
    with pytest.raises(UnsupportedConversion):
        runtime.schema.update_field(admin, "clients", "name", {"type": "file"})


def test_deleted_field_is_hidden_and_restore_brings_values_back(runtime, admin, clients):
    runtime.schema.delete_field(admin, "clients", "code")
    rec = runtime.records.get(admin, "clients", clients[1])
    assert "code" not in rec
    with pytest.raises(ValidationFailed) as info:
        runtime.records.update(admin, "clients", clients[1], {"code": "1"}, version=rec["version"])
    assert "unknown field" in info.value.errors["code"][0]
    listed = runtime.records.list(admin, "clients")["records"]
    assert all("code" not in r for r in listed)
    runtime.schema.restore_field(admin, "clients", "code")
    assert runtime.records.get(admin, "clients", clients[1])["code"] == "42"


def test_a_trashed_field_keeps_its_api_name_and_restore_checks_the_label(runtime, admin, clients):
    runtime.schema.delete_field(admin, "clients", "code")
    runtime.schema.add_field(admin, "clients", {"label": "Code", "type": "integer"})
    with pytest.raises(NameClash) as info:
        runtime.schema.restore_field(admin, "clients", "code")
    assert "labelled 'Code'" in info.value.message
    assert runtime.records.get(admin, "clients", clients[1])["code_2"] is None
    with pytest.raises(NameClash) as info:
        runtime.schema.add_field(admin, "clients", {"label": "Old code", "api_name": "code", "type": "text"})
    assert "in the trash" in info.value.message
    with pytest.raises(NameClash):
        runtime.schema.update_field(admin, "clients", "code_2", {"api_name": "code"})
    runtime.schema.update_field(admin, "clients", "code_2", {"label": "Code (new)"})
    runtime.schema.restore_field(admin, "clients", "code")
    assert runtime.records.get(admin, "clients", clients[1])["code"] == "42"


def test_deleting_the_display_field_picks_another(runtime, admin, clients, make_table):
    make_table("Orders", [("Client", "link", {"target": "clients"})], api_name="orders")
    order = runtime.records.create(admin, "orders", {"client": clients[0]})
    runtime.schema.delete_field(admin, "clients", "name")
    assert runtime.records.get(admin, "orders", order["id"])["client"]["display"] == "10"
    runtime.schema.restore_field(admin, "clients", "name")
    runtime.schema.update_table(admin, "clients", {"display_field": "name"})
    assert runtime.records.get(admin, "orders", order["id"])["client"]["display"] == "Альфа"


def test_delete_and_restore_a_table(runtime, admin, clients):
    runtime.schema.delete_table(admin, "clients")
    assert "clients" not in [t["api_name"] for t in runtime.schema.list_tables(admin)]
    with pytest.raises(TableNotFound):
        runtime.records.list(admin, "clients")
    runtime.schema.restore_table(admin, "clients")
    assert runtime.records.list(admin, "clients")["total"] == 4


def test_a_linked_table_cannot_be_deleted(runtime, admin, clients, make_table):
    make_table("Orders", [("Client", "link", {"target": "clients"})], api_name="orders")
    with pytest.raises(InvalidDefinition) as info:
        runtime.schema.delete_table(admin, "clients")
    assert "Orders.Client" in info.value.message


def test_purge_field_and_table_drop_columns(runtime, admin, clients):
    code_id = runtime.schema.get_table(admin, "clients")["fields"][1]["id"]
    with pytest.raises(FieldNotFound):
        runtime.schema.purge_field(admin, "clients", "code")  # only trashed fields are purged
    runtime.schema.delete_field(admin, "clients", "code")
    runtime.schema.purge_field(admin, "clients", "code")
    name, columns = physical(runtime, "clients")
    assert f"f_{code_id}" not in columns
    with pytest.raises(FieldNotFound):
        runtime.schema.restore_field(admin, "clients", "code")
    assert runtime.records.get(admin, "clients", clients[0])["name"] == "Альфа"
    runtime.schema.delete_table(admin, "clients")
    runtime.schema.purge_table(admin, "clients")
    with runtime.engine.connect() as conn:
        assert name not in sa.inspect(conn).get_table_names()
    with pytest.raises(TableNotFound):
        runtime.schema.restore_table(admin, "clients")


def test_purging_a_money_field_drops_both_columns(runtime, admin, make_table):
    make_table("Deals", [("Title", "text"), ("Amount", "money")], api_name="deals")
    runtime.records.create(admin, "deals", {"title": "a", "amount": "5 USD"})
    field_id = runtime.schema.get_table(admin, "deals")["fields"][1]["id"]
    runtime.schema.delete_field(admin, "deals", "amount")
    runtime.schema.purge_field(admin, "deals", "amount")
    _, columns = physical(runtime, "deals")
    assert not [c for c in columns if c.startswith(f"f_{field_id}")]


def test_label_and_api_name_clashes(runtime, admin, clients, make_table):
    with pytest.raises(NameClash) as info:
        runtime.schema.add_field(admin, "clients", {"label": "NAME", "type": "text"})
    assert "labelled" in info.value.message
    with pytest.raises(NameClash) as info:
        runtime.schema.add_field(admin, "clients", {"label": "Other", "api_name": "code", "type": "text"})
    assert "API name 'code'" in info.value.message
    with pytest.raises(NameClash):
        runtime.schema.update_field(admin, "clients", "code", {"api_name": "name"})
    with pytest.raises(NameClash):
        make_table("клиенты", [("A", "text")])
    with pytest.raises(NameClash):
        make_table("Other", [("A", "text")], api_name="clients")
    assert [f["api_name"] for f in runtime.schema.get_table(admin, "clients")["fields"]] == \
        ["name", "code", "status", "rate"]


@pytest.mark.parametrize("bad", ["Name", "1abc", "with space", "id", "version", "import", "x" * 64, ""])
def test_invalid_api_names(runtime, admin, clients, bad):
    with pytest.raises(InvalidDefinition):
        runtime.schema.add_field(admin, "clients", {"label": "Field", "api_name": bad or None, "type": "text"}
                                 if bad else {"label": "", "type": "text"})


def test_api_names_from_labels_are_unique_and_safe(runtime, admin, make_table):
    name = make_table("Счета на оплату", [("Сумма", "money"), ("Сумма!", "text"),
                                          ("ID", "integer"), ("123", "text"), ("Class", "text")])
    assert name == "scheta_na_oplatu"
    fields = [f["api_name"] for f in runtime.schema.get_table(admin, name)["fields"]]
    assert fields == ["summa", "summa_2", "id_field", "field_123", "class_field"]


def test_unique_and_indexed_options_create_indexes(runtime, admin, make_table):
    make_table("Products", [("SKU", "text", {"unique": True}), ("Group", "text", {"indexed": True}),
                            ("Note", "text")], api_name="products")
    fields = {f["api_name"]: f["id"] for f in runtime.schema.get_table(admin, "products")["fields"]}
    found = indexes(runtime, "products")
    assert (tuple([f"f_{fields['sku']}"]), True) in found.values()
    assert (tuple([f"f_{fields['group']}"]), False) in found.values()
    assert not any(f"f_{fields['note']}" in cols for cols, _ in found.values())
    runtime.schema.update_field(admin, "products", "note", {"options": {"unique": True}})
    runtime.schema.update_field(admin, "products", "sku", {"options": {"unique": False}})
    found = indexes(runtime, "products")
    assert (tuple([f"f_{fields['note']}"]), True) in found.values()
    assert (tuple([f"f_{fields['sku']}"]), True) not in found.values()


def test_making_a_field_unique_with_duplicates_is_refused(runtime, admin, make_table):
    make_table("Products", [("SKU", "text")], api_name="products")
    for sku in ("A", "A", "B"):
        runtime.records.create(admin, "products", {"sku": sku})
    before = indexes(runtime, "products")
    report = runtime.schema.update_field(admin, "products", "sku", {"options": {"unique": True}}, dry_run=True)
    assert report["conversion"]["duplicates"] == [{"value": "A", "ids": [1, 2]}]
    with pytest.raises(InvalidDefinition) as info:
        runtime.schema.update_field(admin, "products", "sku", {"options": {"unique": True}})
    assert "'A' in #1, #2" in info.value.message
    assert indexes(runtime, "products") == before
    assert runtime.schema.get_table(admin, "products")["fields"][0]["options"].get("unique") is not True


def test_only_administrators_change_the_schema(runtime, staff, clients):
    from cardfile.metamodel.errors import AccessDenied
    with pytest.raises(AccessDenied):
        runtime.schema.add_field(staff, "clients", {"label": "X", "type": "text"})
    with pytest.raises(AccessDenied):
        runtime.schema.delete_table(staff, "clients")
