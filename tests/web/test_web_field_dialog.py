"""The field dialog: every option of a type from its JSON Schema, with the right help; the
formula editor's field list and expressions shown with labels."""

from __future__ import annotations

import json
import re

from cardfile.platform.web.field_dialog import option_specs


def config_of(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="design-config">(.*?)</script>', page, re.S).group(1))


def test_each_type_offers_the_options_of_its_schema(rt):
    specs = {key: {s["name"]: s for s in option_specs(rt.registry.get(key))} for key in rt.registry.keys()}
    assert {"required", "unique", "default", "default_formula", "min", "max", "visible_if", "help_text"} <= set(specs["integer"])
    assert specs["integer"]["min"]["kind"] == "number" and specs["integer"]["default"]["kind"] == "value"
    assert {"max_length", "pattern", "pattern_message"} <= set(specs["text"])
    assert {"places", "currency", "min", "max"} <= set(specs["money"]) and specs["money"]["min"]["kind"] == "decimal"
    assert specs["date"]["min"]["kind"] == "date"
    # the same option, the help of its own type (a text pattern is no counter pattern)
    assert "regular expression" in specs["text"]["pattern"]["help"] and "{YYYY}" not in specs["text"]["pattern"]["help"]
    assert "{YYYY}" in specs["counter"]["pattern"]["help"]
    # computed types: no default, no required; options with an editor of their own are left out
    assert "default" not in specs["formula"] and "required" not in specs["counter"]
    assert not {"choices", "target", "expression", "result", "target_id"} & (set(specs["choice"]) | set(specs["link"]) | set(specs["formula"]))
    assert "unique" not in specs["boolean"]


def test_the_design_page_shows_formulas_with_labels_and_lists_the_fields(browser, rt, boss):
    rt.schema.create_table(boss, {"label": "Projects", "api_name": "projects", "fields": [
        {"label": "Start date", "api_name": "start_date", "type": "date"},
        {"label": "End date", "api_name": "end_date", "type": "date"},
        {"label": "Days", "api_name": "days", "type": "formula", "options": {"expression": "[End date] - [Start date]"}},
        {"label": "Tasks", "api_name": "tasks", "type": "lines", "options": {"fields": [
            {"label": "Hours", "api_name": "hours", "type": "decimal"}]}}]})
    config = config_of(browser.get("/design/t/projects").get_data(as_text=True))
    days = next(f for f in config["fields"] if f["api_name"] == "days")
    assert days["options"]["expression"] == "end_date - start_date"
    assert days["shown"]["expression"] == "[End date] - [Start date]"
    groups = {g["title"]: g for g in config["names"]}
    own = {i["name"]: i["insert"] for i in groups["Projects"]["items"]}
    assert own["end_date"] == "[End date]" and "tasks" not in own
    assert {i["insert"] for i in groups["Tasks"]["items"]} == {"[Tasks].[Hours]"}
    integer = next(t for t in config["types"] if t["key"] == "integer")
    assert [s["name"] for s in integer["specs"]][:3] == ["required", "unique", "indexed"]
