"""Loading and validating packages: every problem names the file and the JSON path."""

from __future__ import annotations

import copy

import pytest

from cardfile.metamodel.errors import PackageInvalid
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.packages import load_package, package_problems, validate_package
from cardfile.metamodel.packages.samples import sample_names, sample_path


def problems_of(path, existing=()) -> list[str]:
    return [str(p) for p in package_problems(load_package(path), default_registry(), existing)]


def invalid(path) -> PackageInvalid:
    with pytest.raises(PackageInvalid) as info:
        validate_package(load_package(path), default_registry())
    return info.value


def test_sample_customer_accounting_is_valid():
    assert "customer-accounting" in sample_names()
    pkg = validate_package(load_package(sample_path("customer-accounting")), default_registry())
    names = [t.api_name for t in pkg.tables]
    assert names[:3] == ["clients", "contacts", "events"]
    assert {"invoices", "payments", "products", "product_categories", "employees", "orders",
            "contracts", "client_categories"} <= set(names)
    assert pkg.demo is not None and pkg.version == "1.2.0"


def test_valid_package_loads_in_order(shop):
    pkg = validate_package(load_package(shop), default_registry())
    assert [t.api_name for t in pkg.tables] == ["orders", "customers"]
    assert pkg.tables[0].file == "tables/orders.yaml"


def test_unknown_field_type_names_file_and_path(tmp_path, write_pkg, shop_spec):
    shop_spec[1]["fields"][1]["type"] = "txt"
    root = write_pkg(tmp_path / "p", shop_spec)
    err = invalid(root)
    assert "tables/customers.yaml: $.fields[1].type: unknown field type 'txt'" in err.message
    assert err.details["problems"][0] == {"file": "tables/customers.yaml", "path": "$.fields[1].type",
                                          "message": err.details["problems"][0]["message"]}


def test_bad_option_value_and_unknown_option(tmp_path, write_pkg, shop_spec):
    shop_spec[0]["fields"][2]["options"]["choices"][0]["color"] = "blue"
    shop_spec[1]["fields"][0]["options"]["colour"] = "red"
    problems = problems_of(write_pkg(tmp_path / "p", shop_spec))
    assert any(p.startswith("tables/orders.yaml: $.fields[2].options.choices[0].color: 'blue' does not match")
               for p in problems), problems
    assert any(p.startswith("tables/customers.yaml: $.fields[0].options: unknown option(s)") and "colour" in p
               for p in problems), problems


def test_bad_option_in_line_item_field(tmp_path, write_pkg, shop_spec):
    shop_spec[0]["fields"][3]["options"]["fields"][1]["options"]["min"] = "one"
    problems = problems_of(write_pkg(tmp_path / "p", shop_spec))
    assert problems == ["tables/orders.yaml: $.fields[3].options.fields[1].options.min: "
                        "'one' is not of type 'number' (for a integer field)"]


def test_unknown_link_target(tmp_path, write_pkg, shop_spec):
    shop_spec[0]["fields"][1]["options"]["target"] = "clients"
    problems = problems_of(write_pkg(tmp_path / "p", shop_spec))
    assert problems == ["tables/orders.yaml: $.fields[1].options.target: unknown link target 'clients': "
                        "no table with that api_name in the package"]
    # a table that already exists in the database is a valid target
    assert problems_of(tmp_path / "p", existing={"clients"}) == []


def test_link_without_target_and_internal_options(tmp_path, write_pkg, shop_spec):
    shop_spec[0]["fields"][1]["options"] = {"target_id": 3}
    problems = problems_of(write_pkg(tmp_path / "p", shop_spec))
    assert "tables/orders.yaml: $.fields[1].options.target_id: is assigned by Cardfile; leave it out" in problems


def test_malformed_yaml_names_file_and_line(tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "p", shop_spec)
    (root / "tables" / "customers.yaml").write_text("api_name: customers\nlabel: [Customers\nfields: []\n")
    with pytest.raises(PackageInvalid) as info:
        load_package(root)
    assert "tables/customers.yaml: $: malformed YAML at line" in info.value.message


def test_malformed_json_table_file(tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "p", shop_spec, suffix=".json")
    (root / "tables" / "orders.json").write_text('{"api_name": "orders",}')
    with pytest.raises(PackageInvalid) as info:
        load_package(root)
    assert "tables/orders.json: $: malformed JSON at line 1, column 23" in info.value.message


def test_duplicate_yaml_key_is_refused(tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "p", shop_spec)
    (root / "package.yaml").write_text("name: shop\nversion: '1'\ntitle: Shop\nname: other\n")
    with pytest.raises(PackageInvalid) as info:
        load_package(root)
    assert "package.yaml: $: malformed YAML at line 4, column 1: duplicate key 'name'" in info.value.message


def test_manifest_schema_and_file_list(tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "p", shop_spec)
    (root / "package.yaml").write_text("name: Shop!\nversion: '1.0'\ntitle: Shop\ntables: [orders, missing]\n")
    with pytest.raises(PackageInvalid) as info:
        load_package(root)
    assert "package.yaml: $.name: 'Shop!' does not match" in info.value.message
    (root / "package.yaml").write_text("name: shop\nversion: '1.0'\ntitle: Shop\ntables: [orders, missing]\n")
    with pytest.raises(PackageInvalid) as info:
        load_package(root)
    assert "package.yaml: $.tables[1]: no file tables/missing.yaml" in info.value.message
    assert "tables/customers.yaml: $: not listed in package.yaml's tables" in info.value.message


def test_tables_folder_without_order_and_inline_tables(tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "p", shop_spec, order=False)
    assert [t.api_name for t in load_package(root).tables] == ["customers", "orders"]
    inline = tmp_path / "inline"
    write_pkg(inline, [])
    import yaml
    (inline / "package.yaml").write_text(yaml.safe_dump(
        {"name": "inline", "version": "1", "title": "Inline", "tables": [shop_spec[1]]}))
    pkg = validate_package(load_package(inline), default_registry())
    assert pkg.tables[0].file == "package.yaml" and pkg.tables[0].path == "$.tables[0]"
    broken = copy.deepcopy(shop_spec[1])
    broken["fields"][0]["type"] = "nope"
    (inline / "package.yaml").write_text(yaml.safe_dump(
        {"name": "inline", "version": "1", "title": "Inline", "tables": [broken]}))
    assert problems_of(inline)[0].startswith("package.yaml: $.tables[0].fields[0].type: unknown field type")


def test_names_labels_display_and_nesting(tmp_path, write_pkg, shop_spec):
    customers = shop_spec[1]
    customers["fields"].append({"api_name": "name", "label": "Name again", "type": "text"})
    customers["fields"].append({"api_name": "owner", "label": "Owner", "type": "text"})
    customers["fields"].append({"api_name": "Bad Name", "label": "Bad", "type": "text"})
    customers["display_field"] = "nickname"
    shop_spec[0]["fields"][3]["options"]["fields"].append(
        {"api_name": "sub", "label": "Sub", "type": "lines", "options": {"fields": [
            {"api_name": "x", "label": "X", "type": "text"}]}})
    shop_spec[0]["label"] = "customers"
    problems = problems_of(write_pkg(tmp_path / "p", shop_spec))
    text = "\n".join(problems)
    assert "tables/customers.yaml: $.fields[5].api_name: 'Bad Name' is not a valid API name" in text
    assert len(problems) >= 1 and "$.fields[5]" in text
    # fix the schema-level problem to see the semantic ones
    customers["fields"].pop()
    text = "\n".join(problems_of(write_pkg(tmp_path / "p", shop_spec)))
    assert "tables/customers.yaml: $.fields[3].api_name: field 'name' is defined twice" in text
    assert "tables/customers.yaml: $.fields[4].api_name: API name 'owner' is reserved" in text
    assert "tables/customers.yaml: $.display_field: 'customers' has no field 'nickname'" in text
    assert "tables/orders.yaml: $.fields[3].options.fields[2].type: line items cannot contain line items" in text
    assert "tables/customers.yaml: $.label: label 'Customers' is used by table 'orders' too" in text


def test_invalid_default_and_counter_pattern(tmp_path, write_pkg, shop_spec):
    shop_spec[0]["fields"][0]["options"]["pattern"] = "O-{YYYY}"
    shop_spec[0]["fields"][2]["options"]["default"] = "archived"
    text = "\n".join(problems_of(write_pkg(tmp_path / "p", shop_spec)))
    assert "tables/orders.yaml: $.fields[0].options: a counter pattern needs exactly one number placeholder" in text
    assert "tables/orders.yaml: $.fields[2].options.default: not a valid default: 'archived' is not one of" in text


def test_demo_file_is_checked(tmp_path, write_pkg, shop_spec):
    demo = {"tables": [{"table": "customers", "count": 2, "fields": {"nickname": ["x"]}},
                       {"table": "suppliers", "count": 1},
                       {"table": "orders", "count": 1, "fields": {"items": {"lines": [1, 2], "fields": {"sku": "A"}}}}]}
    problems = problems_of(write_pkg(tmp_path / "p", shop_spec, demo=demo))
    assert problems == [
        "demo.yaml: $.tables[0].fields.nickname: table 'customers' has no field 'nickname'",
        "demo.yaml: $.tables[1].table: the package has no table 'suppliers'",
        "demo.yaml: $.tables[2].fields.items.fields.sku: line items 'items' have no field 'sku'",
    ]


def test_missing_directory_or_manifest(tmp_path):
    with pytest.raises(PackageInvalid, match="not a directory"):
        load_package(tmp_path / "nowhere")
    with pytest.raises(PackageInvalid, match="has no package.yaml"):
        load_package(tmp_path)
