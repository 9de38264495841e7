def test_create_and_read_back(runtime, admin, make_table):
    name = make_table("Клиенты", [("Name", "text", {"required": True}), ("Balance", "money")])
    rec = runtime.records.create(admin, name, {"name": "Acme", "balance": "12.5"})
    got = runtime.records.get(admin, name, rec["id"])
    assert got["name"] == "Acme"
    assert got["balance"] == {"amount": "12.50", "currency": "EUR"}
