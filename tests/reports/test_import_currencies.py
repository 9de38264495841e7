"""Imports read currency signs and codes against each money field: "1 234,56 руб" is RUB,
"€ 100" into a RUB field is 100 EUR (an error on a field fixed to RUB), an unknown code is an
error on its row and column — never a currency made up from three letters, never a dropped
sign."""

from __future__ import annotations

from cardfile.metamodel.records.query import ListQuery
from cardfile.reports.imports import ImportOptions, run_import


def _table(runtime, admin, make_table):
    make_table("Deals", [("Code", "text", {"required": True}),
                         ("Price", "money", {"currency": "RUB"}),
                         ("Fixed", "money", {"currency": "RUB", "fixed_currency": True}),
                         ("Lei", "money", {"currency": "MDL"})], api_name="deals")


def _run(runtime, admin, tmp_path, text: str):
    path = tmp_path / "deals.csv"
    path.write_bytes(text.encode("utf-8"))
    return run_import(runtime, admin, "deals", path, "deals.csv", ImportOptions())


def test_signs_and_words_become_codes(runtime, admin, make_table, tmp_path):
    _table(runtime, admin, make_table)
    result = _run(runtime, admin, tmp_path,
                  "Code;Price;Fixed;Lei\r\n"
                  "A;1 234,56 руб;1 234,56 р.;250 lei\r\n"
                  "B;€ 100;100 ₽;12,5\r\n"
                  "C;99,99 USD;5 RUB;1 лей\r\n")
    assert result["errors"] == [] and result["created"] == 3, result["errors"]
    got = {r["code"]: r for r in runtime.records.list(admin, "deals", ListQuery(sort=["code"]))["records"]}
    assert got["A"]["price"] == {"amount": "1234.56", "currency": "RUB"}
    assert got["A"]["fixed"] == {"amount": "1234.56", "currency": "RUB"}
    assert got["A"]["lei"] == {"amount": "250.00", "currency": "MDL"}
    assert got["B"]["price"] == {"amount": "100.00", "currency": "EUR"}   # the sign is kept
    assert got["B"]["lei"] == {"amount": "12.50", "currency": "MDL"}
    assert got["C"]["price"] == {"amount": "99.99", "currency": "USD"}


def test_unknown_codes_and_foreign_signs_are_row_errors(runtime, admin, make_table, tmp_path):
    _table(runtime, admin, make_table)
    result = _run(runtime, admin, tmp_path,
                  "Code;Price;Fixed;Lei\r\n"
                  "A;100 XYZ;1;1\r\n"          # not an ISO 4217 code
                  "B;1;€ 100;1\r\n"            # a euro sign into a field fixed to RUB
                  "C;1 РУБ;1;1\r\n"            # a word for the rouble: fine
                  "D;5 lei;1;1\r\n")           # lei into a RUB field: MDL or RON?
    got = {(e["row"], e["column"]): e for e in result["errors"]}
    assert set(got) == {(2, "Price"), (3, "Fixed"), (5, "Price")}, result["errors"]
    assert "'XYZ' is not an ISO 4217 currency code" in got[(2, "Price")]["reason"]
    assert "RUB only" in got[(3, "Fixed")]["reason"] and "EUR" in got[(3, "Fixed")]["reason"]
    assert "MDL or RON" in got[(5, "Price")]["reason"]
    assert not result["written"]
    assert runtime.records.list(admin, "deals", ListQuery(per_page=1))["total"] == 0


def test_the_importers_locale_decides_what_a_sign_means(runtime, admin, make_table, tmp_path):
    """"$" is a US dollar unless the locale's country has a dollar of its own; "lei" is the
    Moldovan leu in ro_MD and the Romanian one in ro; the field's own currency comes first."""
    _table(runtime, admin, make_table)
    path = tmp_path / "deals.csv"

    def read(locale, text):
        path.write_bytes(("Code;Price;Fixed;Lei\r\n" + text).encode("utf-8"))
        return run_import(runtime, admin, "deals", path, "deals.csv", ImportOptions(dry_run=True, locale=locale))

    def prices(result):
        assert result["errors"] == [], result["errors"]
        return [(r["values"]["price"], r["values"]["lei"]) for r in result["preview"]]

    rows = "A;$ 10;1;5 lei\r\n"
    assert prices(read(None, rows)) == [({"amount": "10.00", "currency": "USD"}, {"amount": "5.00", "currency": "MDL"})]
    assert prices(read("en_CA", rows)) == [({"amount": "10.00", "currency": "CAD"},
                                            {"amount": "5.00", "currency": "MDL"})]
    # lei into a RUB field: undecided without a locale (see above), the country's leu with one
    assert prices(read("ro_MD", "A;5 lei;1;1\r\n"))[0][0] == {"amount": "5.00", "currency": "MDL"}
    assert prices(read("ro", "A;5 lei;1;1\r\n"))[0][0] == {"amount": "5.00", "currency": "RON"}
    # a sign the locale does not decide stays an error on its row, with the money type's message
    result = read("en", "A;5 lei;1;1\r\n")
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(2, "Price")]
    assert "MDL or RON" in result["errors"][0]["reason"]
