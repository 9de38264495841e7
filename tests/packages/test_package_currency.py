"""A package installed in the business's own currency: `init --demo-language ru` (or
`--currency`) makes the sample's money fields roubles, so amounts typed without a currency
— a payment, a line's price — are in the same currency as the demo invoices; later plans
of the same package (diff, apply, upgrade) keep it."""

from __future__ import annotations

from click.testing import CliRunner

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.packages import load_package
from cardfile.metamodel.packages.currency import check_currency, in_currency
from cardfile.metamodel.packages.samples import sample_path
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import build_runtime
from cardfile.platform.cli import cli


def _env(settings) -> dict:
    return {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
            "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}


def _money_fields(pkg) -> dict[str, str]:
    found = {}
    for table in pkg.tables:
        for f in table.spec["fields"]:
            if f["type"] == "money":
                found[f"{table.api_name}.{f['api_name']}"] = f["options"]["currency"]
            if f["type"] == "lines":
                for g in f["options"]["fields"]:
                    if g["type"] == "money":
                        found[f"{table.api_name}.{f['api_name']}.{g['api_name']}"] = g["options"]["currency"]
    return found


def test_every_money_field_of_the_package_changes_currency_lines_included():
    pkg = load_package(sample_path("customer-accounting"))
    before = _money_fields(pkg)
    assert set(before.values()) == {"EUR"} and "invoices.lines.price" in before
    rub = in_currency(pkg, "RUB")
    assert set(_money_fields(rub).values()) == {"RUB"} and _money_fields(rub).keys() == before.keys()
    assert _money_fields(pkg) == before  # the loaded package is left as it was


def test_a_field_in_another_currency_keeps_it():
    pkg = load_package(sample_path("retail-shop"))
    table, money = next((t, f) for t in pkg.tables for f in t.spec["fields"] if f["type"] == "money")
    money["options"]["currency"] = "USD"
    moved = _money_fields(in_currency(pkg, "RUB"))
    assert moved.pop(f"{table.api_name}.{money['api_name']}") == "USD"
    assert set(moved.values()) == {"RUB"}


def test_unknown_codes_and_packages_without_a_currency_are_refused():
    pkg = load_package(sample_path("retail-shop"))
    assert check_currency(pkg, " rub ") == "RUB"
    for code, words in (("XYZ", "'XYZ' is not an ISO 4217 currency code"), ("руб", "not an ISO 4217")):
        try:
            check_currency(pkg, code)
        except CardfileError as exc:
            assert words in exc.message
        else:
            raise AssertionError(code)
    del pkg.manifest["currency"]
    try:
        check_currency(pkg, "RUB")
    except CardfileError as exc:
        assert "does not say which currency its money fields are in" in exc.message
    else:
        raise AssertionError("a package without a currency")


def test_init_in_russian_keeps_the_books_in_roubles(settings):
    runner = CliRunner()
    env = _env(settings)
    result = runner.invoke(cli, ["init", "--sample", "customer-accounting", "--demo-language", "ru"], env=env,
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "currency:       RUB" in result.output
    rt = build_runtime(settings)
    try:
        boss = rt.users.by_username("admin")
        open_invoice = next(i for i in rt.records.list(boss, "invoices", ListQuery(per_page=500))["records"]
                            if i["status"] == "sent" and float(i["balance"]["amount"]) >= 10)
        payment = rt.records.create(boss, "payments", {"invoice": open_invoice["id"], "amount": "10"})
        assert payment["amount"] == {"amount": "10.00", "currency": "RUB"}
        client = rt.records.list(boss, "clients", ListQuery(per_page=1))["records"][0]
        invoice = rt.records.create(boss, "invoices", {"client": client["id"], "lines": [
            {"description": "Доставка", "quantity": "1", "price": "500"}]})
        assert invoice["total"]["currency"] == "RUB"
    finally:
        rt.dispose()
    diff = runner.invoke(cli, ["config", "diff", "customer-accounting"], env=env, catch_exceptions=False)
    assert diff.exit_code == 0 and "Nothing to change." in diff.output, diff.output
    again = runner.invoke(cli, ["config", "apply", "customer-accounting"], env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    rt = build_runtime(settings)
    try:
        field = rt.schema.snapshot().table("payments").field("amount")
        assert field.opt("currency") == "RUB"
    finally:
        rt.dispose()


def test_init_with_a_currency_and_a_wrong_one(settings):
    runner = CliRunner()
    env = _env(settings)
    wrong = runner.invoke(cli, ["init", "--sample", "retail-shop", "--currency", "EURO"], env=env)
    assert wrong.exit_code != 0 and "'EURO' is not an ISO 4217 currency code" in wrong.output
    result = runner.invoke(cli, ["init", "--sample", "retail-shop", "--currency", "usd"], env=env,
                           catch_exceptions=False)
    assert result.exit_code == 0 and "currency:       USD" in result.output, result.output
    rt = build_runtime(settings)
    try:
        prices = {f.opt("currency") for t in rt.schema.snapshot().live_tables() for f in t.fields if f.type == "money"}
        assert prices == {"USD"}
    finally:
        rt.dispose()
