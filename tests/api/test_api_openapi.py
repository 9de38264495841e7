"""The OpenAPI document follows the live metadata and validates."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

EVERY_TYPE = [
    {"label": "Name", "type": "text", "options": {"required": True, "help_text": "Who"}},
    {"label": "Notes", "type": "long_text"},
    {"label": "Count", "type": "integer", "options": {"min": 0}},
    {"label": "Weight", "type": "decimal", "options": {"places": 2}},
    {"label": "Price", "type": "money", "options": {"currency": "USD"}},
    {"label": "Share", "type": "percent"},
    {"label": "Active", "type": "boolean", "options": {"default": True}},
    {"label": "Born", "type": "date"},
    {"label": "Seen", "type": "datetime"},
    {"label": "Stage", "type": "choice", "options": {"choices": [{"value": "new"}, {"value": "done"}]}},
    {"label": "Tags", "type": "multi_choice", "options": {"choices": [{"value": "a"}, {"value": "b"}]}},
    {"label": "Client", "type": "link", "options": {"target": "clients"}},
    {"label": "Items", "type": "lines", "options": {"fields": [
        {"label": "Item", "type": "text"}, {"label": "Qty", "type": "integer"}]}},
    {"label": "Email", "type": "email"},
    {"label": "Phone", "type": "phone"},
    {"label": "Site", "type": "url"},
    {"label": "Number", "type": "counter", "options": {"pattern": "INV-{YYYY}-{####}"}},
    {"label": "Manager", "type": "user"},
    {"label": "Contract", "type": "file"},
    {"label": "Photo", "type": "image"},
    {"label": "Doubled", "type": "formula", "options": {"expression": "count * 2"}},
]


def test_document_validates_and_covers_every_field_type(api, rt, clients_table):
    assert {f["type"] for f in EVERY_TYPE} == set(rt.registry.keys())
    assert validate(api.get("/openapi.json").get_json()) is None

    created = api.post("/tables", json={"label": "Everything «all»", "api_name": "everything", "fields": EVERY_TYPE})
    assert created.status_code == 201, created.get_json()
    doc = api.get("/openapi.json").get_json()
    validate(doc)

    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    for name in ("EverythingRecord", "EverythingInput", "EverythingPatch", "ClientsRecord", "ClientsInput"):
        assert name in schemas
    record = schemas["EverythingRecord"]["properties"]
    assert record["price"]["required"] == ["amount", "currency"]
    assert record["stage"]["enum"] == ["new", "done", None]
    assert record["items"]["items"] == {"$ref": "#/components/schemas/EverythingItemsRecord"}
    assert record["number"]["readOnly"] is True and record["name"]["description"] == "Who"
    new = schemas["EverythingInput"]
    assert new["required"] == ["name"] and new["additionalProperties"] is False
    assert "number" not in new["properties"]
    assert doc["paths"]["/tables/everything/records"]["get"]["parameters"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"

    api.delete("/tables/everything")
    doc = api.get("/openapi.json").get_json()
    validate(doc)
    assert "/tables/everything/records" not in doc["paths"] and "EverythingRecord" not in doc["components"]["schemas"]


def test_every_api_route_is_documented(app, api, clients_table):
    doc = api.get("/openapi.json").get_json()
    documented = {(path, method) for path, item in doc["paths"].items() for method in item
                  if method in ("get", "post", "patch", "delete", "put")}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        per_table = path.replace("{table}/records", f"{clients_table}/records")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            # record routes are documented per table; a few (kept documents) once for every table
            assert (per_table, method.lower()) in documented or (path, method.lower()) in documented, \
                (per_table, method)


def test_error_responses_use_the_envelope(api):
    doc = api.get("/openapi.json").get_json()
    assert doc["components"]["responses"]["NotFound"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    patch = doc["paths"]["/tables/{table}/fields/{field}"]["patch"]
    assert {"404", "409", "422"} <= set(patch["responses"])
    assert {p["name"] for p in patch["parameters"]} == {"force", "dry_run"}
