def test_null_removes_an_option(runtime, admin, make_table):
    name = make_table("Notes", [("Title", "text", {"max_length": 5, "help_text": "short"})])
    runtime.schema.update_field(admin, name, "title", {"options": {"max_length": None, "help_text": None}})
    field = runtime.schema.get_table(admin, name)["fields"][0]
    assert "max_length" not in field["options"] and "help_text" not in field["options"]
    rec = runtime.records.create(admin, name, {"title": "longer than five"})
    assert rec["title"] == "longer than five"
