"""Demo data in the language chosen at init: overlays in demo.yaml, Russian names, INN-like
tax ids, +7 phones and roubles for both samples, deterministic by seed, and the CLI."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.packages import apply_package, load_package
from cardfile.metamodel.packages.demo import load_demo
from cardfile.metamodel.packages.demo_language import (DemoLanguageError, demo_languages, localise,
                                                      money_value, overlay_problems)
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime
from cardfile.platform.cli import cli
from cardfile.reports.service import ReportService

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
SYSTEM = ("created_at", "updated_at", "created_by", "updated_by", "owner", "version")


def _all(runtime, actor, table: str) -> list[dict]:
    records, page = [], 1
    while True:
        got = runtime.records.list(actor, table, ListQuery(per_page=500, page=page, sort=["id"]))
        records += got["records"]
        if len(records) >= got["total"]:
            return records
        page += 1


def _money_currencies(records: list[dict]) -> set[str]:
    """Currencies of the amounts that are not zero (a total of nothing is 0 in the field's own)."""
    found = set()
    for record in records:
        for value in record.values():
            if isinstance(value, dict) and "currency" in value and Decimal(value["amount"]) != 0:
                found.add(value["currency"])
            elif isinstance(value, list):
                found |= _money_currencies([x for x in value if isinstance(x, dict)])
    return found


def test_localise_overlays_pools_rows_counts_and_fields():
    demo = {"seed": 1, "pools": {"names": ["Ann"], "cities": ["Leeds"]},
            "tables": [{"table": "clients", "count": 3, "fields": {"name": {"pool": "names"}, "phone": "x"}},
                       {"table": "groups", "rows": [{"name": "A"}]}],
            "languages": {"ru": {"currency": "RUB", "pools": {"names": ["Анна"]},
                                 "tables": {"clients": {"count": 5, "fields": {"phone": "+7"}},
                                            "groups": {"rows": [{"name": "Б"}]}}}}}
    assert demo_languages(demo) == ["en", "ru"]
    assert localise(demo, None) == localise(demo, "en") == {k: v for k, v in demo.items() if k != "languages"}
    ru = localise(demo, "ru")
    assert ru["currency"] == "RUB" and ru["language"] == "ru"
    assert ru["pools"] == {"names": ["Анна"], "cities": ["Leeds"]}
    assert ru["tables"][0] == {"table": "clients", "count": 5, "fields": {"name": {"pool": "names"}, "phone": "+7"}}
    assert ru["tables"][1]["rows"] == [{"name": "Б"}]
    assert demo["tables"][0]["count"] == 3  # the base is left alone
    with pytest.raises(DemoLanguageError, match="has no language 'uk'; languages: en, ru"):
        localise(demo, "uk", "shop")
    demo["languages"]["ru"]["tables"]["nowhere"] = {"count": 1}
    assert overlay_problems(demo) == [("$.languages.ru.tables.nowhere", "demo.yaml does not fill a table 'nowhere'")]
    assert money_value("4.90", "RUB") == {"amount": Decimal("4.90"), "currency": "RUB"}
    assert money_value({"amount": "1", "currency": "EUR"}, "RUB") == {"amount": "1", "currency": "RUB"}
    assert money_value("4.90", None) == "4.90" and money_value(None, "RUB") is None


def test_an_overlay_naming_a_missing_field_is_refused(runtime, admin, tmp_path, write_pkg, shop_spec):
    root = write_pkg(tmp_path / "shop", shop_spec, demo={
        "tables": [{"table": "customers", "count": 2}],
        "languages": {"ru": {"tables": {"customers": {"fields": {"colour": {"value": "red"}}}}}}})
    pkg = load_package(root)
    apply_package(runtime, admin, pkg)
    with pytest.raises(CardfileError, match="no field 'colour'"):
        load_demo(runtime, admin, pkg, language="ru")
    assert load_demo(runtime, admin, pkg)["language"] == "en"


def test_customer_accounting_in_russian(runtime, admin):
    pkg = load_package(sample_path("customer-accounting"))
    apply_package(runtime, admin, pkg)
    result = load_demo(runtime, admin, pkg, language="ru")
    assert result["language"] == "ru" and result["tables"]["clients"] == 40
    clients = _all(runtime, admin, "clients")
    for client in clients:
        assert CYRILLIC.search(client["name"]) and CYRILLIC.search(client["address"])
        assert client["phone"].startswith("+7")
        assert re.fullmatch(r"\d{10}" if client["kind"] == "organization" else r"\d{12}", client["tax_id"])
    assert all(c["phone"].startswith("+7") for c in _all(runtime, admin, "contacts"))
    for table in ("products", "invoices", "payments", "orders", "contracts", "salary_accruals", "deals"):
        assert _money_currencies(_all(runtime, admin, table)) == {"RUB"}, table
    invoices = _all(runtime, admin, "invoices")
    assert {i["payment"] for i in invoices if i["status"] == "sent"} >= {"paid", "unpaid"}
    assert all("error" not in i["balance"] for i in invoices)
    service = ReportService(runtime)
    service.apply_package(admin, pkg.name, pkg.reports)
    for report in service.list(admin):
        rows = [r for r in service.run(admin, report["id"]).to_json()["rows"] if r["kind"] != "total"]
        assert rows, report["name"]


def test_retail_shop_in_russian(runtime, admin):
    pkg = load_package(sample_path("retail-shop"))
    apply_package(runtime, admin, pkg)
    load_demo(runtime, admin, pkg, language="ru")
    goods = _all(runtime, admin, "goods")
    assert all(CYRILLIC.search(g["name"]) for g in goods)
    receipts = _all(runtime, admin, "receipts")
    assert _money_currencies(receipts) == {"RUB"} and {r["payment"] for r in receipts} == {"paid"}
    assert all(c["phone"].startswith("+7") for c in _all(runtime, admin, "customers"))


def test_the_same_seed_gives_the_same_russian_demo(tmp_path):
    pkg = load_package(sample_path("retail-shop"))
    seen = []
    for n in (1, 2):
        rt = build_runtime(Settings(data_dir=tmp_path / f"d{n}"))
        try:
            boss = rt.users.create("admin", "pw-123456789", name="A", is_admin=True, bootstrap=True)
            apply_package(rt, boss, pkg)
            load_demo(rt, boss, pkg, seed=7, language="ru")
            seen.append([{k: v for k, v in r.items() if k not in SYSTEM}
                         for r in _all(rt, boss, "customers") + _all(rt, boss, "preorders")])
        finally:
            rt.dispose()
    assert seen[0] == seen[1] and CYRILLIC.search(seen[0][0]["name"])


def test_init_with_a_demo_language(settings):
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    runner = CliRunner()
    refused = runner.invoke(cli, ["init", "--sample", "retail-shop", "--demo-language", "uk"], env=env)
    assert refused.exit_code == 1 and "has no language 'uk'; languages: en, ru" in refused.output
    result = runner.invoke(cli, ["init", "--sample", "retail-shop", "--demo-language", "ru"], env=env,
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"demo data:\s+313 records \(seed 2026, ru\)", result.output)
    rt = build_runtime(settings)
    try:
        boss = rt.users.by_username("admin")
        assert CYRILLIC.search(rt.records.list(boss, "goods")["records"][0]["name"])
    finally:
        rt.dispose()
