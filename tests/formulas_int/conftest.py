"""Fixtures for computed fields: an invoicing schema (clients ← invoices ← lines, payments).

``books`` builds it through the schema service on the parametrised database (SQLite and
PostgreSQL) and returns a small helper to create and read records.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest


@dataclass
class Books:
    rt: object
    admin: object

    def add(self, table: str, **values) -> dict:
        return self.rt.records.create(self.admin, table, values)

    def get(self, table: str, record_id: int) -> dict:
        return self.rt.records.get(self.admin, table, record_id)

    def update(self, table: str, record_id: int, **values) -> dict:
        current = self.get(table, record_id)
        return self.rt.records.update(self.admin, table, record_id, values,
                                      version=current["version"])

    def field(self, table: str, spec: dict) -> dict:
        return self.rt.schema.add_field(self.admin, table, spec)

    def change(self, table: str, field: str, changes: dict) -> dict:
        return self.rt.schema.update_field(self.admin, table, field, changes)


def dec(value) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
def books(runtime, admin) -> Books:
    schema = runtime.schema
    schema.create_table(admin, {"label": "Clients", "api_name": "clients", "fields": [
        {"label": "Name", "api_name": "name", "type": "text"},
        {"label": "Discount", "api_name": "discount", "type": "percent"},
    ]})
    schema.create_table(admin, {"label": "Invoices", "api_name": "invoices", "fields": [
        {"label": "Number", "api_name": "number", "type": "text"},
        {"label": "Client", "api_name": "client", "type": "link", "options": {"target": "clients"}},
        {"label": "Issued", "api_name": "issued", "type": "date"},
        {"label": "Lines", "api_name": "lines", "type": "lines", "options": {"fields": [
            {"label": "Item", "api_name": "item", "type": "text"},
            {"label": "Qty", "api_name": "qty", "type": "integer"},
            {"label": "Price", "api_name": "price", "type": "decimal", "options": {"places": 2}},
            {"label": "Amount", "api_name": "amount", "type": "formula",
             "options": {"expression": "qty * price"}},
        ]}},
        {"label": "Total", "api_name": "total", "type": "formula",
         "options": {"expression": "sum(lines.amount)"}},
    ]})
    schema.create_table(admin, {"label": "Payments", "api_name": "payments", "fields": [
        {"label": "Invoice", "api_name": "invoice", "type": "link", "options": {"target": "invoices"}},
        {"label": "Amount", "api_name": "amount", "type": "decimal"},
    ]})
    schema.add_field(admin, "invoices", {"label": "Paid", "api_name": "paid", "type": "formula",
                                         "options": {"expression": "sum(payments.amount)"}})
    schema.add_field(admin, "invoices", {"label": "Due", "api_name": "due", "type": "formula",
                                         "options": {"expression": "total - paid"}})
    schema.add_field(admin, "clients", {"label": "Balance", "api_name": "balance", "type": "formula",
                                        "options": {"expression": "sum(invoices.due)"}})
    return Books(runtime, admin)
