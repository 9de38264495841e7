"""A line's amount → the invoice total → the client's balance, in the writer's transaction."""

from __future__ import annotations



def _invoice(books, client_id, *lines, number="1"):
    return books.add("invoices", number=number, client=client_id,
                     lines=[{"item": f"i{n}", "qty": qty, "price": price}
                            for n, (qty, price) in enumerate(lines)])


def test_line_amount_invoice_total_and_client_balance(books):
    acme = books.add("clients", name="Acme")
    inv = _invoice(books, acme["id"], (2, "10.50"), (1, "3"))
    assert [line["amount"] for line in inv["lines"]] == ["21.00", "3.00"]
    assert inv["total"] == "24.00" and inv["due"] == "24.00"
    assert books.get("clients", acme["id"])["balance"] == "24.00"

    books.add("payments", invoice=inv["id"], amount="4")
    assert books.get("invoices", inv["id"])["due"] == "20.00"
    assert books.get("clients", acme["id"])["balance"] == "20.00"

    # one line changed directly (a line-item table is a table too)
    line_id = inv["lines"][0]["id"]
    books.update("invoices_lines", line_id, qty=3)
    assert books.get("invoices", inv["id"])["total"] == "34.50"
    assert books.get("clients", acme["id"])["balance"] == "30.50"


def test_propagated_writes_do_not_bump_versions(books):
    acme = books.add("clients", name="Acme")
    before = books.get("clients", acme["id"])["version"]
    inv = _invoice(books, acme["id"], (1, "5"))
    books.add("payments", invoice=inv["id"], amount="1")
    client = books.get("clients", acme["id"])
    assert client["balance"] == "4.00" and client["version"] == before
    # the user's open card is still current: saving it is not a conflict
    books.rt.records.update(books.admin, "clients", acme["id"], {"name": "Acme Ltd"}, version=before)


def test_lines_replaced_through_the_parent_and_deleted_and_restored(books):
    acme = books.add("clients", name="Acme")
    inv = _invoice(books, acme["id"], (1, "10"), (1, "20"))
    kept = inv["lines"][0]
    books.update("invoices", inv["id"], lines=[{"id": kept["id"], "qty": 2}])
    assert books.get("invoices", inv["id"])["total"] == "20.00"
    assert books.get("clients", acme["id"])["balance"] == "20.00"

    line = books.get("invoices", inv["id"])["lines"][0]
    books.rt.records.delete(books.admin, "invoices_lines", line["id"])
    assert books.get("invoices", inv["id"])["total"] == "0.00"
    assert books.get("clients", acme["id"])["balance"] == "0.00"
    books.rt.records.restore(books.admin, "invoices_lines", line["id"])
    assert books.get("invoices", inv["id"])["total"] == "20.00"
    assert books.get("clients", acme["id"])["balance"] == "20.00"


def test_trashed_invoice_leaves_the_balance_and_comes_back(books):
    acme = books.add("clients", name="Acme")
    first = _invoice(books, acme["id"], (1, "10"))
    _invoice(books, acme["id"], (1, "5"), number="2")
    assert books.get("clients", acme["id"])["balance"] == "15.00"
    books.rt.records.delete(books.admin, "invoices", first["id"])
    assert books.get("clients", acme["id"])["balance"] == "5.00"
    books.rt.records.restore(books.admin, "invoices", first["id"])
    assert books.get("clients", acme["id"])["balance"] == "15.00"


def test_moving_an_invoice_updates_both_clients(books):
    a = books.add("clients", name="A")
    b = books.add("clients", name="B")
    inv = _invoice(books, a["id"], (1, "7"))
    assert books.get("clients", a["id"])["balance"] == "7.00"
    books.update("invoices", inv["id"], client=b["id"])
    assert books.get("clients", a["id"])["balance"] == "0.00"
    assert books.get("clients", b["id"])["balance"] == "7.00"


def test_link_paths_follow_changes_of_the_linked_record(books):
    books.field("invoices", {"label": "Client name", "api_name": "client_name", "type": "formula",
                             "options": {"expression": "upper(client.name)"}})
    books.field("invoices_lines", {"label": "Who", "api_name": "who", "type": "formula",
                                   "options": {"expression": "parent.client.name"}})
    acme = books.add("clients", name="Acme")
    inv = _invoice(books, acme["id"], (1, "1"))
    assert inv["client_name"] == "ACME" and inv["lines"][0]["who"] == "Acme"
    books.update("clients", acme["id"], name="Zenith")
    got = books.get("invoices", inv["id"])
    assert got["client_name"] == "ZENITH" and got["lines"][0]["who"] == "Zenith"
    books.rt.records.delete(books.admin, "clients", acme["id"])
    assert books.get("invoices", inv["id"])["client_name"] == ""


def test_bulk_created_rows_are_computed_and_propagate(books):
    acme = books.add("clients", name="Acme")
    inv = _invoice(books, acme["id"], (1, "10"))
    books.rt.records.bulk_create(books.admin, "payments",
                                 [{"invoice": inv["id"], "amount": "1.25"} for _ in range(4)])
    assert books.get("invoices", inv["id"])["paid"] == "5.00"
    assert books.get("clients", acme["id"])["balance"] == "5.00"
