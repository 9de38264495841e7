"""Property: records of every field type written through the API, exported as CSV, XLSX and
JSON and imported into an empty copy of the table through the API, read back the same.

Between examples both tables are emptied through the API (trash, then empty the trash).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

CURRENCIES = ["EUR", "USD", "RUB", "MDL", "AMD", "JPY"]
SYSTEM = {"id", "version", "created_at", "created_by", "updated_at", "updated_by", "owner", "position"}
FORMATS = ("csv", "xlsx", "json")


def spec(label: str, api_name: str) -> dict:
    return {"label": label, "api_name": api_name, "fields": [
        {"label": "Title", "type": "text"},
        {"label": "Notes", "type": "long_text"},
        {"label": "Count", "type": "integer"},
        {"label": "Exact", "type": "decimal", "options": {"places": 4}},
        {"label": "Share", "type": "percent"},
        {"label": "Price", "type": "money", "options": {"currency": "EUR"}},
        {"label": "Day", "type": "date"},
        {"label": "At", "type": "datetime"},
        {"label": "Done", "type": "boolean"},
        {"label": "Kind", "type": "choice", "options": {"choices": [{"value": "a", "label": "Alpha"},
                                                                    {"value": "b", "label": "Beta; b"}]}},
        {"label": "Tags", "type": "multi_choice", "options": {"choices": [{"value": "x"}, {"value": "y"},
                                                                          {"value": "z"}]}},
        {"label": "Email", "type": "email"},
        {"label": "Client", "type": "link", "options": {"target": "clients"}},
        {"label": "Manager", "type": "user"},
        {"label": "Lines", "type": "lines", "options": {"fields": [
            {"label": "Item", "type": "text"}, {"label": "Qty", "type": "integer"},
            {"label": "Amount", "type": "money", "options": {"currency": "EUR"}}]}},
    ]}


#: texts as people write them: ; , quotes, line breaks, letters of any script (no control
#: characters but the line break, not only blanks)
TEXT_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85") | \
    st.sampled_from(list(";,\"'\n "))
LINE = st.text(TEXT_CHARS.filter(lambda c: c != "\n"), min_size=1, max_size=30).map(str.strip).filter(bool)
LONG = st.text(TEXT_CHARS, min_size=1, max_size=60).filter(lambda t: t.strip() != "")
DECIMAL = st.decimals(min_value=Decimal("-99999999999999.9999"), max_value=Decimal("99999999999999.9999"),
                      places=4, allow_nan=False, allow_infinity=False)
AMOUNT = st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2,
                     allow_nan=False, allow_infinity=False)
DAY = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(9999, 12, 31))
MOMENT = st.datetimes(min_value=dt.datetime(1800, 1, 1), max_value=dt.datetime(9999, 12, 30))


def optional(strategy):
    return st.none() | strategy


@st.composite
def record(draw, clients: list[int], users: list[int]) -> dict:
    money = draw(optional(st.tuples(AMOUNT, st.sampled_from(CURRENCIES))))
    moment = draw(optional(MOMENT))
    return {
        "title": draw(optional(LINE)), "notes": draw(optional(LONG)),
        "count": draw(optional(st.integers(-2 ** 53, 2 ** 53))),
        "exact": draw(optional(DECIMAL.map(str))),
        "share": draw(optional(st.decimals(min_value=-1000, max_value=1000, places=2).map(str))),
        "price": None if money is None else {"amount": str(money[0]), "currency": money[1]},
        "day": draw(optional(DAY.map(dt.date.isoformat))),
        "at": None if moment is None else moment.isoformat() + "Z",
        "done": draw(optional(st.booleans())), "kind": draw(optional(st.sampled_from(["a", "b"]))),
        "tags": draw(st.lists(st.sampled_from(["x", "y", "z"]), unique=True, max_size=3)),
        "email": draw(optional(st.sampled_from(["a@example.com", "o'neil@example.org"]))),
        "client": draw(optional(st.sampled_from(clients))), "manager": draw(optional(st.sampled_from(users))),
        "lines": draw(st.lists(st.fixed_dictionaries({
            "item": optional(LINE), "qty": optional(st.integers(-1000, 1000)),
            "amount": optional(AMOUNT.map(lambda a: {"amount": str(a), "currency": "EUR"}))}), max_size=3)),
    }


def comparable(rec: dict) -> dict:
    out = {}
    for key, value in rec.items():
        if key in SYSTEM:
            continue
        if isinstance(value, dict) and set(value) == {"id", "display"}:
            value = value["id"]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = [comparable(v) for v in value]
        out[key] = value
    return out


def all_records(api, table: str) -> list[dict]:
    return api.get(f"/tables/{table}/records?per_page=500&sort=id").get_json()["records"]


def empty(api, table: str) -> None:
    for rec in all_records(api, table):
        assert api.delete(f"/tables/{table}/records/{rec['id']}").status_code == 200
    assert api.delete(f"/tables/{table}/trash").status_code == 200


@pytest.fixture
def tables(api, rt, boss):
    assert api.post("/tables", json={"label": "Clients", "api_name": "clients",
                                     "fields": [{"label": "Name", "type": "text"}]}).status_code == 201
    clients = [api.post("/tables/clients/records", json={"name": name}).get_json()["id"]
               for name in ("Acme", "Acme", "Bolt, Inc; \"B\"")]
    users = [boss.id] + [rt.users.create(n, f"{n}-password", name="Same Name", actor=boss).id for n in ("u1", "u2")]
    for label, name in (("Everything", "everything"), *[(f"Copy {f}", f"copy_{f}") for f in FORMATS]):
        response = api.post("/tables", json=spec(label, name))
        assert response.status_code == 201, response.get_json()
    return clients, users


def round_trip(api, fmt: str) -> list[dict]:
    exported = api.get(f"/tables/everything/export?format={fmt}&sort=id")
    assert exported.status_code == 200, exported.get_data(as_text=True)
    data = {"file": (io.BytesIO(exported.data), f"everything.{fmt}")}
    if fmt == "csv":
        lines = api.get("/tables/everything/export?format=csv&sort=id&lines=lines")
        data["lines.lines"] = (io.BytesIO(lines.data), "everything.lines.csv")
    response = api.post(f"/tables/copy_{fmt}/imports", data=data, content_type="multipart/form-data")
    body = response.get_json()
    assert response.status_code in (200, 201), json.dumps(body, ensure_ascii=False)[:3000]
    return all_records(api, f"copy_{fmt}")


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_records_of_every_type_survive_export_and_import(api, tables):
    clients, users = tables

    @settings(max_examples=6, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(st.lists(record(clients, users), min_size=1, max_size=4))
    def check(rows):
        empty(api, "everything")
        for row in rows:
            response = api.post("/tables/everything/records", json=row)
            assert response.status_code == 201, response.get_json()
        original = [comparable(r) for r in all_records(api, "everything")]
        for fmt in FORMATS:
            empty(api, f"copy_{fmt}")
            copied = [comparable(r) for r in round_trip(api, fmt)]
            assert copied == original, fmt

    check()
