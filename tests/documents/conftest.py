"""Document fixtures: clients, invoices with line items, payments, on both databases.

``shop`` builds the tables and a few records; ``clerk`` may read, print and see
everything but the clients' ``tax_id`` (hidden) and only clients whose ``manager`` is them
(a row scope); ``viewer`` may read but not print.
"""

from __future__ import annotations

import pytest

from cardfile.reports.documents import Documents, Limits


@pytest.fixture(autouse=True)
def _fast_hashing(fast_password_hashing):
    yield


class Shop:
    def __init__(self, runtime, admin, ids):
        self.rt = runtime
        self.admin = admin
        self.ids = ids
        self.docs = Documents(runtime, limits=Limits(seconds=5))
        self.made = 0

    def template(self, body: str, table: str = "invoices", **settings) -> dict:
        self.made += 1
        return self.docs.templates.create(self.admin, {"table": table, "name": f"Template {self.made}",
                                                       "kind": "html", "body": body, "settings": settings})

    def html(self, actor, template: dict, record_id=None, table: str = "invoices") -> str:
        out = self.docs.render(actor, table, record_id or self.ids["invoice"], template["id"], "html")
        return out.data.decode()


@pytest.fixture
def shop(runtime, admin, make_table):
    make_table("Clients", [("Name", "text", {"required": True}), ("Tax ID", "text"), ("Email", "email"),
                           ("Manager", "user")], api_name="clients")
    make_table("Invoices", [
        ("Number", "text"), ("Client", "link", {"target": "clients"}), ("Date", "date"),
        ("Lines", "lines", {"fields": [{"label": "Item", "type": "text"},
                                       {"label": "Quantity", "type": "decimal", "options": {"places": 3}},
                                       {"label": "Price", "type": "money", "options": {"currency": "RUB"}}]}),
        ("Total", "money", {"currency": "RUB"}), ("Status", "choice", {"choices": [
            {"value": "draft", "label": "Draft"}, {"value": "paid", "label": "Paid"}]}),
        ("Notes", "long_text"),
    ], api_name="invoices")
    make_table("Payments", [("Invoice", "link", {"target": "invoices"}), ("Amount", "money", {"currency": "RUB"}),
                            ("Paid on", "date")], api_name="payments")
    ids = {}
    ids["client"] = runtime.records.create(admin, "clients", {"name": "Romashka LLC", "tax_id": "TAX-7701234567",
                                                              "email": "buh@romashka.example"})["id"]
    ids["invoice"] = runtime.records.create(admin, "invoices", {
        "number": "INV-7", "client": ids["client"], "date": "2026-03-09", "status": "paid",
        "total": {"amount": "1200.50", "currency": "RUB"}, "notes": "line one\n<b>two</b>",
        "lines": [{"item": "Tea", "quantity": "2", "price": {"amount": "500.25", "currency": "RUB"}},
                  {"item": "Cups", "quantity": "1", "price": {"amount": "200", "currency": "RUB"}}]})["id"]
    for amount in ("700", "500.50"):
        runtime.records.create(admin, "payments", {"invoice": ids["invoice"], "amount": {"amount": amount, "currency": "RUB"},
                                                   "paid_on": "2026-03-10"})
    return Shop(runtime, admin, ids)


@pytest.fixture
def clerk(runtime, admin, shop):
    user = runtime.users.create("clerk", "clerk-password", name="Clerk", actor=admin)
    runtime.groups.create(admin, "clerks")
    runtime.groups.set_permission(admin, "clerks", "*", {"actions": ["read", "print"]})
    runtime.groups.set_permission(admin, "clerks", "clients", {
        "actions": ["read", "print"], "fields": {"tax_id": "hidden"}, "rows": {"condition": "manager == me"}})
    runtime.groups.add_member(admin, "clerks", "clerk")
    return user


@pytest.fixture
def viewer(runtime, admin, shop):
    user = runtime.users.create("viewer", "viewer-password", name="Viewer", actor=admin)
    runtime.groups.create(admin, "viewers")
    runtime.groups.set_permission(admin, "viewers", "*", {"actions": ["read"]})
    runtime.groups.add_member(admin, "viewers", "viewer")
    return user


class Api:
    """A bearer-token client for /api/v1 on the app over the same database."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        def call(path, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return self.client.open("/api/v1" + path, method=method.upper(), headers=headers, **kwargs)

        return call


@pytest.fixture
def api(app, rt, shop):
    return Api(app.test_client(), rt.users.create_token(shop.admin, "tests")[1])


@pytest.fixture
def clerk_api(app, rt, clerk):
    return Api(app.test_client(), rt.users.create_token(clerk, "tests")[1])


def envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code, body
    return body["error"]
