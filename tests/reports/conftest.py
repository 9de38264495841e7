"""Report fixtures: a small sales database (categories, clients, sales) on both databases."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest


KINDS = ["retail", "wholesale", "online"]


def clerk_without_secret(rt, admin, *tables):
    """A user of a group that may read and export ``tables`` with their ``secret`` field
    hidden: a real access rule, as an administrator would set it up."""
    clerk = rt.users.create("clerk", "clerk-password", actor=admin)
    rt.groups.create(admin, "clerks")
    rt.groups.add_member(admin, "clerks", "clerk")
    for table in tables:
        rt.groups.set_permission(admin, "clerks", table, {"actions": ["read", "export"],
                                                          "fields": {"secret": "hidden"}})
    return clerk


@pytest.fixture
def sales_db(runtime, admin, make_table):
    """(runtime, admin, rows): categories -> clients -> 400 sales with known values."""
    make_table("Categories", [("Name", "text", {"required": True})], api_name="categories")
    make_table("Clients", [("Name", "text", {"required": True}),
                           ("Category", "link", {"target": "categories"})], api_name="clients")
    make_table("Sales", [
        ("Day", "date", {}), ("At", "datetime", {}),
        ("Amount", "money", {"currency": "EUR"}), ("Qty", "decimal", {"places": 3}),
        ("Units", "integer", {}), ("Client", "link", {"target": "clients"}),
        ("Kind", "choice", {"choices": [{"value": k, "label": k.title()} for k in KINDS]}),
        ("Paid", "boolean", {}), ("Secret", "text", {}),
    ], api_name="sales")
    cats = [runtime.records.create(admin, "categories", {"name": n})["id"] for n in ("Gold", "Silver")]
    clients = [runtime.records.create(admin, "clients", {"name": f"Client {i}", "category": cats[i % 2]})["id"]
               for i in range(5)]
    rng = random.Random(42)
    rows = []
    for i in range(400):
        rows.append({
            "day": dt.date(2024, 11, 1) + dt.timedelta(days=rng.randint(0, 200)),
            "at": dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(hours=rng.randint(0, 3000)),
            "amount": Decimal(rng.randint(-500, 100000)) / 100 if i % 37 else None,
            "qty": Decimal(rng.randint(1, 9000)) / 1000, "units": rng.randint(0, 50),
            "client": rng.choice(clients) if i % 23 else None, "kind": rng.choice(KINDS),
            "paid": rng.random() < 0.5, "secret": f"TOPSECRET-{i}",
        })
    runtime.records.bulk_create(admin, "sales", rows)
    return runtime, admin, rows, {"cats": cats, "clients": clients}
