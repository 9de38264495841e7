"""Contract tests: every registered field type keeps the field-type contract.

Pure checks (options schema, parsing of empty input, text/plain consistency, value schema)
run per type without a database; the storage checks build one table with a field of every
type and walk it on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import random

import jsonschema
import pytest
import sqlalchemy as sa

from cardfile.metamodel.fieldtypes.base import FieldValueError
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.model import FieldDef
from cardfile.metamodel.records.query import ListQuery

REGISTRY = default_registry()
ALL_KEYS = REGISTRY.keys()

#: Options that make a usable field of each type (a new type must add its entry here).
SAMPLE_OPTIONS = {
    "text": {"max_length": 60},
    "long_text": {},
    "integer": {"min": -1000, "max": 1000},
    "decimal": {"places": 3},
    "money": {"currency": "USD"},
    "percent": {},
    "boolean": {},
    "date": {},
    "datetime": {},
    "choice": {"choices": [{"value": "new", "label": "New"}, {"value": "done", "label": "Done"}]},
    "multi_choice": {"choices": [{"value": "red"}, {"value": "green"}, {"value": "blue"}]},
    "link": {"target": "targets"},
    "lines": {"fields": [{"label": "Item", "type": "text"}]},
    "email": {},
    "phone": {},
    "url": {},
    "counter": {"pattern": "C-{####}"},
    "user": {},
    "file": {},
    "image": {},
    "formula": {"expression": 'upper("abc")'},
}

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def probe(key: str) -> FieldDef:
    options = dict(SAMPLE_OPTIONS[key])
    options.pop("target", None)
    options.pop("fields", None)
    if key == "link":
        options["target_id"] = 1
    return FieldDef(id=7, table_id=3, api_name=f"f_{key}", label=key, type=key,
                    options=REGISTRY.get(key).normalize_options(options))


def test_every_registered_type_has_sample_options():
    assert sorted(SAMPLE_OPTIONS) == sorted(ALL_KEYS)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_identity_and_options_schema(key):
    ftype = REGISTRY.get(key)
    assert ftype.key == key and ftype.label
    schema = ftype.options_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    options = {k: v for k, v in SAMPLE_OPTIONS[key].items() if k not in ("target", "fields")}
    if key == "link":
        options["target_id"] = 1
    jsonschema.validate(options, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**options, "no_such_option": 1}, schema)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_value_schema_is_valid_json_schema(key):
    schema = REGISTRY.get(key).json_schema(probe(key))
    jsonschema.Draft202012Validator.check_schema(schema)
    if key != "lines":
        jsonschema.validate(None, schema)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_parse_of_empty_input(key):
    ftype, field = REGISTRY.get(key), probe(key)
    expected = [] if key == "lines" else None
    assert ftype.parse(None, field) == expected
    if key != "lines":
        assert ftype.parse("", field) is None
        assert ftype.parse("   ", field) is None


#: Types whose values come from the database (or the service): no random value of their own.
DB_VALUED = {"link", "user", "file", "image", "counter", "lines", "formula"}
SELF_VALUED = [k for k in ALL_KEYS if k not in DB_VALUED]


@pytest.mark.parametrize("key", ALL_KEYS)
def test_random_value_exists_unless_the_database_provides_it(key):
    value = REGISTRY.get(key).random_value(probe(key), random.Random(1))
    assert (value is None) == (key in DB_VALUED)


@pytest.mark.parametrize("key", [k for k in ALL_KEYS if REGISTRY.get(k).has_column])
def test_empty_values_have_no_text(key):
    ftype, field = REGISTRY.get(key), probe(key)
    assert ftype.to_text(None, field) is None
    assert ftype.display(None, field) == ""
    assert ftype.to_json(None, field) is None


@pytest.mark.parametrize("key", SELF_VALUED)
@pytest.mark.parametrize("seed", [4, 5, 6])
def test_text_plain_and_display_agree(key, seed):
    ftype, field = REGISTRY.get(key), probe(key)
    value = ftype.random_value(field, random.Random(seed))
    text = ftype.to_text(value, field)
    assert isinstance(text, str) and text
    assert ftype.display(value, field)
    plain = ftype.to_plain(value, field)
    assert plain is not None
    # text of a value parses back to the same value (what a retype into text and back does)
    assert ftype.parse(text, field) == value, (key, value, text)


@pytest.mark.parametrize("key", SELF_VALUED)
def test_parse_is_idempotent(key):
    ftype, field = REGISTRY.get(key), probe(key)
    value = ftype.random_value(field, random.Random(9))
    assert ftype.parse(value, field) == value
    assert ftype.parse(ftype.to_json(value, field), field) == value


@pytest.mark.parametrize("key", [k for k in ALL_KEYS if REGISTRY.get(k).has_column])
def test_parse_rejects_garbage_with_a_message(key):
    ftype, field = REGISTRY.get(key), probe(key)
    garbage = {"text": "line\nbreak", "long_text": object(), "integer": "12.5", "decimal": "1.2345",
               "money": {"amount": "x"}, "percent": "abc", "boolean": "maybe", "date": "31.02.2025",
               "datetime": "yesterday", "choice": "nope", "multi_choice": ["red", "nope"],
               "link": "abc", "email": "not-an-email", "phone": "call me", "url": "ftp://x y",
               "counter": "x" * 81, "user": -3, "file": {"sha256": "xyz"},
               "image": {"sha256": "a" * 64, "content_type": "text/plain"},
               "formula": {"not": "a result"}}[key]
    with pytest.raises(FieldValueError) as info:
        ftype.parse(garbage, field)
    assert info.value.message


# --- on the database ----------------------------------------------------------------

@pytest.fixture
def every_type(runtime, admin, make_table):
    """A table with one field of every registered type, plus a link target."""
    make_table("Targets", [("Name", "text")], api_name="targets")
    runtime.records.create(admin, "targets", {"name": "Target one"})
    fields = [(f"F {key}", key, SAMPLE_OPTIONS[key]) for key in ALL_KEYS]
    name = make_table("Every type", fields, api_name="every_type")
    table = runtime.schema.snapshot().table(name)
    return name, {f.type: f for f in table.fields}


def db_value(runtime, admin, key, field, rng):
    """A valid value for ``field``: the type's random value, or one that needs the database."""
    value = REGISTRY.get(key).random_value(field, rng)
    if value is not None:
        return value
    if key == "link":
        return runtime.records.list(admin, "targets")["records"][0]["id"]
    if key == "user":
        return admin.id
    if key in ("file", "image"):
        return runtime.files.put(admin, io.BytesIO(PNG), "dot.png", "image/png")
    if key == "lines":
        return [{"item": "first"}, {"item": "second"}]
    return None  # counters are assigned by the service


def test_random_values_round_trip_through_the_database(runtime, admin, every_type):
    name, fields = every_type
    rng = random.Random(20260101)
    data = {f.api_name: db_value(runtime, admin, key, f, rng) for key, f in fields.items()}
    data = {k: v for k, v in data.items() if v is not None}
    created = runtime.records.create(admin, name, data)
    got = runtime.records.get(admin, name, created["id"])
    assert json.loads(json.dumps(got)) == got  # JSON-ready
    problems = []
    for key, f in fields.items():
        ftype = REGISTRY.get(key)
        out = got[f.api_name]
        try:
            jsonschema.validate(out, ftype.json_schema(f))
        except jsonschema.ValidationError as exc:
            problems.append(f"{key}: output {out!r} does not match its schema: {exc.message}")
        if key in data and key not in ("lines",):
            expected = ftype.to_json(ftype.parse(data[f.api_name], f), f)
            shown = out["id"] if key in ("link", "user") else out
            if shown != expected:
                problems.append(f"{key}: sent {data[f.api_name]!r}, got back {out!r}")
    assert got[fields["counter"].api_name] == "C-0001"
    assert [line["item"] for line in got[fields["lines"].api_name]] == ["first", "second"]
    assert problems == []


def test_every_filter_operator_compiles_and_runs(runtime, admin, every_type):
    name, fields = every_type
    rng = random.Random(7)
    data = {f.api_name: db_value(runtime, admin, key, f, rng) for key, f in fields.items()}
    rec = runtime.records.create(admin, name, {k: v for k, v in data.items() if v is not None})
    runtime.records.create(admin, name, {})
    problems = []
    for key, f in fields.items():
        ftype = REGISTRY.get(key)
        sample = rec[f.api_name]
        if isinstance(sample, dict) and "id" in sample and key in ("link", "user"):
            sample = sample["id"]
        for op in ftype.filter_operators:
            value = ("" if op in ("is_empty", "is_not_empty") else
                     [sample] if op in ("in", "not_in") and key != "multi_choice" else
                     sample[0] if key == "multi_choice" else sample)
            try:
                page = runtime.records.list(admin, name, ListQuery(filters=[(f.api_name, op, value)]))
            except Exception as exc:  # noqa: BLE001 - collect every failure with its operator
                problems.append(f"{key} {op}: {type(exc).__name__}: {exc}")
                continue
            ids = {r["id"] for r in page["records"]}
            if op in ("eq", "in", "has", "is_not_empty", "gte", "lte") and rec["id"] not in ids:
                problems.append(f"{key} {op} {value!r}: the matching record was not found")
            if op in ("ne", "not_in", "has_not", "is_empty", "lt", "gt") and rec["id"] in ids:
                problems.append(f"{key} {op} {value!r}: the record matched but should not")
    assert problems == []


def test_every_sortable_type_sorts_on_the_database(runtime, admin, every_type):
    name, fields = every_type
    rng = random.Random(11)
    for _ in range(3):
        data = {f.api_name: db_value(runtime, admin, key, f, rng) for key, f in fields.items()}
        runtime.records.create(admin, name, {k: v for k, v in data.items() if v is not None})
    for key, f in fields.items():
        if REGISTRY.get(key).sortable:
            for direction in ("", "-"):
                page = runtime.records.list(admin, name, ListQuery(sort=[direction + f.api_name]))
                assert page["total"] == 3, key


def test_columns_use_physical_names_only(runtime, every_type):
    name, fields = every_type
    snap = runtime.schema.snapshot()
    table = snap.table(name)
    with runtime.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns(f"t_{table.id}")}
    for key, f in fields.items():
        for column in REGISTRY.get(key).columns(f):
            assert column.name.startswith(f"f_{f.id}")
            assert column.name in columns
    assert not any(f.api_name in columns for f in fields.values())
