"""Demo data: deterministic, valid (links resolve, line items 1-5), written through the record service."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.demo import DemoDataError, DemoGenerator, load_demo
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.metamodel.packages.samples import sample_path

SYSTEM = ("created_at", "updated_at", "created_by", "updated_by", "owner", "version")


def everything(runtime, actor, tables) -> dict[str, list[dict]]:
    result = {}
    for name in tables:
        records, page = [], 1
        while True:
            got = runtime.records.list(actor, name, ListQuery(per_page=500, page=page, sort=["id"]))
            records += got["records"]
            if len(records) >= got["total"]:
                break
            page += 1
        result[name] = [_strip(r) for r in records]
    return result


def _strip(record: dict) -> dict:
    out = {k: v for k, v in record.items() if k not in SYSTEM}
    for k, v in out.items():
        if isinstance(v, list):
            out[k] = [_strip(x) for x in v]
    return out


@pytest.fixture
def sample():
    return load_package(sample_path("customer-accounting"))


def test_sample_demo_is_valid(runtime, admin, sample):
    apply_package(runtime, admin, sample)
    result = load_demo(runtime, admin, sample)
    plan = {item["table"]: item for item in sample.demo["tables"]}
    for name, count in result["tables"].items():
        assert count == plan[name].get("count", 0) + len(plan[name].get("rows", [])), name
    data = everything(runtime, admin, result["tables"])
    assert result["total"] == sum(len(v) for v in data.values()) > 400
    ids = {name: {r["id"] for r in records} for name, records in data.items()}
    user_ids = {u["id"] for u in runtime.users.list()}
    for name, records in data.items():
        fields = runtime.schema.get_table(admin, name)["fields"]
        for f in fields:
            for r in records:
                value = r.get(f["api_name"])
                if f["type"] == "link" and value is not None:
                    assert value["id"] in ids[f["options"]["target"]], (name, f["api_name"])
                if f["type"] == "user" and value is not None:
                    assert value["id"] in user_ids
    for name in ("orders", "invoices"):
        for r in data[name]:
            assert 1 <= len(r["lines"]) <= 5
            for line in r["lines"]:
                assert line["product"]["id"] in ids["products"]
    products = {p["id"]: p for p in data["products"]}
    line = data["invoices"][0]["lines"][0]
    assert line["price"] == products[line["product"]["id"]]["price"]  # copied from the product
    assert line["description"] == products[line["product"]["id"]]["description"]  # the link's fill
    skus = [p["sku"] for p in data["products"]]
    assert len(set(skus)) == len(skus) and skus[0] == "P-0001"
    contacts = {c["id"]: c for c in data["contacts"]}
    matched = [e for e in data["events"] if e["contact"] is not None]
    assert matched and all(contacts[e["contact"]["id"]]["client"]["id"] == e["client"]["id"] for e in matched)
    for invoice in data["invoices"]:
        assert invoice["number"].startswith("INV-")
        assert invoice["due_date"] > invoice["date"]
    clients = data["clients"]
    assert len({c["name"] for c in clients}) == len(clients)
    assert all(c["tax_id"] is None for c in clients if c["kind"] == "individual")


def test_same_seed_same_data_on_either_database(runtime, admin, sample, tmp_path):
    apply_package(runtime, admin, sample)
    load_demo(runtime, admin, sample, seed=7)
    tables = [item["table"] for item in sample.demo["tables"]]
    first = everything(runtime, admin, tables)

    other = build_runtime(Settings(data_dir=tmp_path / "other"))
    try:
        other_admin = other.users.create("admin", "admin-password", name="Admin", is_admin=True, bootstrap=True)
        apply_package(other, other_admin, sample)
        load_demo(other, other_admin, sample, seed=7)
        assert everything(other, other_admin, tables) == first
    finally:
        other.dispose()


def test_demo_goes_into_empty_tables_only(runtime, admin, sample):
    apply_package(runtime, admin, sample)
    runtime.records.create(admin, "clients", {"name": "Existing client"})
    with pytest.raises(DemoDataError, match="empty tables only; 'Clients' already has 1 record"):
        load_demo(runtime, admin, sample)


def test_generators_on_a_small_package(runtime, admin, tmp_path, write_pkg, shop_spec):
    demo = {
        "seed": 3, "anchor_date": "2026-02-01",
        "pools": {"names": ["Ann", "Bob", "Cid"], "towns": ["Oslo"]},
        "tables": [
            {"table": "customers", "count": 3,
             "rows": [{"name": "Root Holding", "code": "ROOT"}],
             "fields": {"name": {"template": "{names} of {towns|upper}", "unique": True},
                        "code": {"template": "{=name|slug}-{n:3}"},
                        "parent": {"value": None}}},
            {"table": "orders", "count": 4,
             "fields": {"status": {"weights": {"new": 1, "done": 0}},
                        "items": {"lines": [2, 2], "fields": {"qty": {"range": [1, 3]},
                                                              "article": {"template": "A{##}"}}}}},
        ]}
    root = write_pkg(tmp_path / "shop", shop_spec, demo=demo)
    pkg = load_package(root)
    apply_package(runtime, admin, pkg)
    table = runtime.schema.snapshot().table("orders")

    def rows(seed):
        return DemoGenerator(runtime, admin, pkg, seed=seed).generate(table, demo["tables"][1], "$.tables[1]")

    assert rows(3) == rows(3) and rows(3) != rows(4)
    result = load_demo(runtime, admin, pkg)
    assert result == {"seed": 3, "language": "en", "tables": {"customers": 4, "orders": 4}, "total": 8}
    customers = everything(runtime, admin, ["customers"])["customers"]
    assert customers[0]["name"] == "Root Holding" and customers[0]["code"] == "ROOT"
    assert customers[0]["parent"] is None
    names = [c["name"] for c in customers[1:]]
    assert sorted(names) == ["Ann of OSLO", "Bob of OSLO", "Cid of OSLO"]
    for n, c in enumerate(customers[1:], 2):
        assert c["code"] == f"{c['name'].lower().replace(' ', '-')}-{n:03d}"
    orders = everything(runtime, admin, ["orders"])["orders"]
    assert all(o["status"] == "new" and len(o["items"]) == 2 for o in orders)
    assert all(1 <= line["qty"] <= 3 and len(line["article"]) == 3 for o in orders for line in o["items"])
    assert {o["customer"]["id"] for o in orders} <= {c["id"] for c in customers}


def test_generator_errors_name_the_place(runtime, admin, tmp_path, write_pkg, shop_spec):
    demo = {"tables": [{"table": "customers", "count": 1, "fields": {"name": {"pool": "nobody"}}}]}
    pkg = load_package(write_pkg(tmp_path / "shop", shop_spec, demo=demo))
    apply_package(runtime, admin, pkg)
    with pytest.raises(DemoDataError, match=r"demo.yaml: \$.tables\[0\].fields.name: no pool named 'nobody'"):
        load_demo(runtime, admin, pkg)
    demo["tables"][0]["fields"]["name"] = {"pool": "x", "template": "y"}
    pkg = load_package(write_pkg(tmp_path / "shop", shop_spec, demo=demo))
    with pytest.raises(DemoDataError, match="needs exactly one of"):
        load_demo(runtime, admin, pkg)
    pkg.demo = None
    with pytest.raises(DemoDataError, match="has no demo data"):
        load_demo(runtime, admin, pkg)


def test_relative_dates_follow_the_anchor(runtime, admin, tmp_path, write_pkg):
    tables = [{"api_name": "visits", "label": "Visits", "fields": [
        {"api_name": "day", "label": "Day", "type": "date"},
        {"api_name": "follow_up", "label": "Follow-up", "type": "date"},
        {"api_name": "at", "label": "At", "type": "datetime"}]}]
    demo = {"anchor_date": "2026-05-10", "tables": [{"table": "visits", "count": 5, "fields": {
        "day": {"days": [-3, 0]}, "follow_up": {"after": "day", "days": [1, 1]}, "at": {"days": [0, 0]}}}]}
    pkg = load_package(write_pkg(tmp_path / "v", tables, demo=demo))
    apply_package(runtime, admin, pkg)
    load_demo(runtime, admin, pkg)
    for v in everything(runtime, admin, ["visits"])["visits"]:
        day = dt.date.fromisoformat(v["day"])
        assert dt.date(2026, 5, 7) <= day <= dt.date(2026, 5, 10)
        assert dt.date.fromisoformat(v["follow_up"]) == day + dt.timedelta(days=1)
        assert v["at"].startswith("2026-05-10T") and "09:00" <= v["at"][11:16] <= "17:00"
