"""A link's ``fill`` option: picking a record copies its values into empty fields."""

from __future__ import annotations

import pytest

from cardfile.metamodel.errors import InvalidDefinition, ValidationFailed


@pytest.fixture
def shop(runtime, admin, make_table):
    make_table("Products", [("Name", "text", {"required": True}), ("Price", "money", {"currency": "EUR"}),
                            ("Description", "long_text"), ("Cost", "money", {"currency": "EUR"})],
               api_name="products")
    runtime.schema.create_table(admin, {"api_name": "orders", "label": "Orders", "fields": [
        {"api_name": "number", "label": "Number", "type": "text"},
        {"api_name": "lines", "label": "Lines", "type": "lines", "options": {"fields": [
            {"api_name": "product", "label": "Product", "type": "link",
             "options": {"target": "products", "fill": {"price": "price", "description": "description"}}},
            {"api_name": "description", "label": "Description", "type": "text", "options": {"max_length": 20}},
            {"api_name": "quantity", "label": "Quantity", "type": "decimal", "options": {"default": 1}},
            {"api_name": "price", "label": "Price", "type": "money",
             "options": {"currency": "EUR", "required": True}},
        ]}}]})
    chair = runtime.records.create(admin, "products", {"name": "Chair", "price": "249.00", "description": "Oak chair"})
    desk = runtime.records.create(admin, "products", {"name": "Desk", "price": "489.00", "description": "Tall desk"})
    return chair["id"], desk["id"]


def _line(record, n=0):
    return record["lines"][n]


def test_a_new_line_gets_the_products_price_and_description(runtime, admin, shop):
    chair, _desk = shop
    order = runtime.records.create(admin, "orders", {"number": "1", "lines": [{"product": chair}]})
    line = _line(order)
    assert line["price"] == {"amount": "249.00", "currency": "EUR"}  # required, and filled
    assert line["description"] == "Oak chair"


def test_values_typed_by_the_user_are_kept(runtime, admin, shop):
    chair, _desk = shop
    order = runtime.records.create(admin, "orders", {"number": "1", "lines": [
        {"product": chair, "price": "200.00", "description": "Discounted"}]})
    assert _line(order)["price"]["amount"] == "200.00"
    assert _line(order)["description"] == "Discounted"


def test_changing_the_link_refills_copied_values_but_not_typed_ones(runtime, admin, shop):
    chair, desk = shop
    order = runtime.records.create(admin, "orders", {"number": "1", "lines": [
        {"product": chair, "description": "My words"}]})
    line = _line(order)
    changed = runtime.records.update(admin, "orders", order["id"], {"lines": [
        {"id": line["id"], "product": desk}]}, version=order["version"])
    line = _line(changed)
    assert line["price"]["amount"] == "489.00"  # was the chair's price: follows the product
    assert line["description"] == "My words"    # typed by hand: kept


def test_a_record_without_lines_fills_on_update_when_the_link_changes(runtime, admin, make_table, shop):
    chair, desk = shop
    make_table("Quotes", [("Product", "link", {"target": "products", "fill": {"amount": "price"}}),
                          ("Amount", "money", {"currency": "EUR"})], api_name="quotes")
    quote = runtime.records.create(admin, "quotes", {"product": chair})
    assert quote["amount"]["amount"] == "249.00"
    quote = runtime.records.update(admin, "quotes", quote["id"], {"product": desk}, version=quote["version"])
    assert quote["amount"]["amount"] == "489.00"
    history = runtime.records.history(admin, "quotes", quote["id"])
    assert history[-1]["changes"]["amount"] == [{"amount": "249.00", "currency": "EUR"},
                                                {"amount": "489.00", "currency": "EUR"}]
    quote = runtime.records.update(admin, "quotes", quote["id"], {"amount": "100.00"}, version=quote["version"])
    quote = runtime.records.update(admin, "quotes", quote["id"], {"product": chair}, version=quote["version"])
    assert quote["amount"]["amount"] == "100.00"


def test_a_copied_value_that_does_not_fit_is_an_error_on_its_field(runtime, admin, shop):
    long = runtime.records.create(admin, "products", {"name": "Long", "price": "1.00",
                                                      "description": "x" * 50})
    with pytest.raises(ValidationFailed) as caught:
        runtime.records.create(admin, "orders", {"number": "1", "lines": [{"product": long["id"]}]})
    (message,) = caught.value.errors["lines[1].description"]
    assert message.startswith("could not be copied from Products")


def test_hidden_fields_are_not_copied(runtime, admin, staff, make_table, shop):
    chair, _desk = shop
    runtime.records.update(admin, "products", chair, {"cost": "100.00"}, version=1)
    make_table("Quotes", [("Product", "link", {"target": "products", "fill": {"amount": "cost"}}),
                          ("Amount", "money", {"currency": "EUR"})], api_name="quotes")
    runtime.groups.set_permission(admin, "staff", "products", {"actions": ["read"], "fields": {"cost": "hidden"}})
    quote = runtime.records.create(staff, "quotes", {"product": chair})
    assert quote["amount"] is None
    assert runtime.records.create(admin, "quotes", {"product": chair})["amount"]["amount"] == "100.00"


def test_the_option_names_fields_of_the_target(runtime, admin, make_table, shop):
    with pytest.raises(InvalidDefinition, match="no field 'cheapness'"):
        make_table("Quotes", [("Product", "link", {"target": "products", "fill": {"amount": "cheapness"}})])
    with pytest.raises(InvalidDefinition, match="cannot fill itself"):
        make_table("Quotes", [("Product", "link", {"target": "products"})], api_name="quotes")
        runtime.schema.update_field(admin, "quotes", "product", {"options": {"fill": {"product": "name"}}})
