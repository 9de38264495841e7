"""Contract: ``ftype.parser(field)(raw)`` is ``ftype.parse(raw, field)`` for every type.

The bulk paths (bulk creates, imports) parse through the compiled ``parser``; its fast
paths must give the very same value — same type, same digits, same time zone — or the
very same error message, for any input. Checked on a fixed list of awkward inputs and on
generated ones, for every registered type under several option sets.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from cardfile.metamodel.fieldtypes.base import FieldValueError
from cardfile.metamodel.fieldtypes.registry import default_registry
from cardfile.metamodel.model import FieldDef

REGISTRY = default_registry()
UTC = dt.timezone.utc
PLUS3 = dt.timezone(dt.timedelta(hours=3))

#: Option sets per type: the defaults, bounds, patterns, places, odd choices.
VARIANTS = {
    "text": [{}, {"max_length": 5}, {"pattern": "[A-Z][a-z]*", "pattern_message": "Capitalised"}],
    "long_text": [{}, {"max_length": 8}],
    "integer": [{}, {"min": -1000, "max": 1000}, {"min": 0}, {"min": 1.5, "max": 99.5}],
    "decimal": [{}, {"places": 3}, {"places": 0, "min": "-5", "max": "5"}, {"places": 8}],
    "money": [{}, {"currency": "USD"}, {"places": 0, "min": 0, "max": 100}, {"currency": "usd"}],
    "percent": [{}, {"places": 1, "max": 100}],
    "boolean": [{}],
    "date": [{}, {"min": "2024-01-01", "max": "2024-12-31"}],
    "datetime": [{}],
    "choice": [{"choices": [{"value": "new", "label": "New"}, {"value": "Done"}, {"value": " padded "},
                            {"value": "5"}]}],
    "multi_choice": [{"choices": [{"value": "red"}, {"value": "green"}]}],
    "link": [{"target_id": 1}],
    "user": [{}],
    "email": [{}],
    "phone": [{}, {"region": "GB"}],
    "url": [{}],
    "counter": [{"pattern": "C-{####}"}],
    "file": [{}, {"max_size": 10}],
    "image": [{}],
    "lines": [{"fields": []}],
    "formula": [{"expression": "1"}],
}

AWKWARD = [
    None, "", "   ", "\t\n", True, False, 0, 1, -1, 7, 2**62, 2**63, -(2**63), 2**70, 1.5, -0.0, float("nan"),
    Decimal("0"), Decimal("-0"), Decimal("1.5"), Decimal("1.50"), Decimal("1.555"), Decimal("12.3456789"),
    Decimal("1E+2"), Decimal("1E-9"), Decimal("NaN"), Decimal("Infinity"), Decimal("1E+20"), Decimal("99.5"),
    "12", " 12 ", "-7", "+7", "1_000", "1__0", "1,5", "1.234,56", "1 234", "٣", "1e3", "1E+20", "nan", "inf",
    "abc", "Abc", "Abcdefgh", "a\nb", "nul\x00", "x" * 300, " padded ", "padded", "new", " new", "New", "NEW",
    "Done", "done", "5", "yes", "да", "Yes", " yes", "✓", "off", "maybe",
    "user@Example.COM", " user@example.com ", "a@b.co", "ü@example.com", "x@-bad.com", ("l" * 65) + "@example.com",
    "+44 20 7946 0958", "020 7946 0958", "example.com", "https://example.com/a b", "12.50 EUR", "12.5USD",
    dt.date(2024, 6, 1), dt.date(2023, 12, 31), dt.date(2025, 1, 1), dt.datetime(2024, 6, 1, 12, 30),
    dt.datetime(2024, 6, 1, 12, 30, 0, 5, tzinfo=UTC), dt.datetime(2024, 6, 1, 12, tzinfo=PLUS3),
    "2024-06-01", "01.06.2024", "2024-06-01T12:00:00Z", "2024-06-01T12:00:00+03:00",
    {"id": 3}, {"id": "4"}, {"amount": "2.5"}, {"amount": Decimal("2.5"), "currency": "gbp"}, {"amount": None},
    {"sha256": "a" * 64, "name": "x.png", "size": 20}, [], ["red"], ["red", "blue"], "red, green", (1,), object(),
]


def fields():
    for key in REGISTRY.keys():
        for n, options in enumerate(VARIANTS[key]):
            ftype = REGISTRY.get(key)
            yield pytest.param(key, FieldDef(id=9, table_id=4, api_name=f"f_{key}", label=key, type=key,
                                             options=ftype.normalize_options(dict(options))),
                               id=f"{key}-{n}")


def outcome(parse, raw):
    """What a parse gives, comparable across calls: the value with its type and exact text
    (``Decimal('1.50')`` is not ``Decimal('1.5')``, an aware time is not a naive one), or
    the error message."""
    try:
        value = parse(raw)
    except FieldValueError as exc:
        return ("error", exc.message)
    return ("value", type(value), repr(value))


def test_every_registered_type_has_variants():
    assert sorted(VARIANTS) == sorted(REGISTRY.keys())


@pytest.mark.parametrize("key,field", list(fields()))
def test_parser_gives_what_parse_gives(key, field):
    ftype = REGISTRY.get(key)
    fast = ftype.parser(field)
    differences = []
    for raw in AWKWARD:
        want, got = outcome(lambda r: ftype.parse(r, field), raw), outcome(fast, raw)
        if want != got:
            differences.append(f"{raw!r}: parse {want}, parser {got}")
    assert differences == []


@pytest.mark.parametrize("key,field", [p for p in fields() if p.values[0] in (
    "text", "integer", "decimal", "money", "percent", "boolean", "date", "datetime", "choice", "link", "email")])
@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2000, max_value=2000),
    st.decimals(places=None), st.decimals(min_value=-10, max_value=10, places=3),
    st.text(max_size=12), st.from_regex(r"\s?[-+]?\d{1,22}([.,]\d{0,9})?\s?", fullmatch=True),
    st.dates(), st.datetimes(timezones=st.sampled_from([None, UTC, PLUS3])),
    st.sampled_from(["new", "Done", " padded ", "yes", "no", "Да", "user@example.com", "A@B.CD"]),
))
def test_parser_gives_what_parse_gives_for_generated_input(key, field, raw):
    ftype = REGISTRY.get(key)
    assert outcome(ftype.parser(field), raw) == outcome(lambda r: ftype.parse(r, field), raw)


# --- encoders: input straight to the stored columns (bulk creates on SQLite) ------------

def sqlite_converters(ftype, field) -> list:
    """The bulk insert's converters (``fast_bind`` over SQLAlchemy's processors) for the
    field's columns on SQLite."""
    from sqlalchemy import Column, Integer, MetaData, Table, insert
    from sqlalchemy.dialects import sqlite
    from cardfile.metamodel.storage.sqltypes import fast_bind
    dialect = sqlite.dialect()
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), *ftype.columns(field))
    keys = [c.name for c in ftype.columns(field)]
    processors = insert(table).compile(dialect=dialect, column_keys=keys)._bind_processors
    return [None if processors.get(k) is None else fast_bind(table.c[k].type, dialect, processors[k]) for k in keys]


def encoded(encode, raws):
    try:
        columns = encode(raws)
    except FieldValueError:
        return "error"
    return [[(type(v), repr(v)) for v in column] for column in columns]


def parsed_then_converted(ftype, field, converters, raws):
    """What the encoder must give: parse, the type's columns, the driver's converters."""
    try:
        values = [ftype.parse(raw, field) for raw in raws]
    except FieldValueError:
        return "error"
    columns = ftype.db_columns(values, field)
    return [[(type(v), repr(v)) for v in (column if convert is None else
                                            [None if x is None else convert(x) for x in column])]
            for column, convert in zip(columns, converters)]


def encoded_fields():
    for param in fields():
        key, field = param.values
        ftype = REGISTRY.get(key)
        if ftype.has_column and not ftype.read_only and ftype.encoder(
                field, "sqlite", sqlite_converters(ftype, field)) is not None:
            yield param


def test_the_types_with_encoders_are_the_decimal_ones_on_sqlite_only():
    assert {p.values[0] for p in encoded_fields()} == {"decimal", "money", "percent"}
    for key, field in (p.values for p in encoded_fields()):
        ftype = REGISTRY.get(key)
        assert ftype.encoder(field, "postgresql", sqlite_converters(ftype, field)) is None


@pytest.mark.parametrize("key,field", list(encoded_fields()))
def test_encoder_gives_what_parse_and_the_converters_give(key, field):
    ftype = REGISTRY.get(key)
    converters = sqlite_converters(ftype, field)
    encode = ftype.encoder(field, "sqlite", converters)
    places = ftype.places(field)
    edge = Decimal(10) ** (18 - places)  # the first value too large, and the last one that fits
    edges = [edge, -edge, edge - Decimal(1).scaleb(-places), -edge + Decimal(1).scaleb(-places), int(edge), -int(edge)]
    differences = [raw for raw in AWKWARD + edges
                   if encoded(encode, [raw]) != parsed_then_converted(ftype, field, converters, [raw])]
    assert differences == []
    valid = [raw for raw in AWKWARD if parsed_then_converted(ftype, field, converters, [raw]) != "error"]
    assert len(valid) > 5
    assert encoded(encode, valid) == parsed_then_converted(ftype, field, converters, valid)  # a mixed column
    assert encoded(encode, AWKWARD) == "error"


@pytest.mark.parametrize("key,field", list(encoded_fields()))
@settings(max_examples=200, deadline=None)
@given(raws=st.lists(st.one_of(
    st.none(), st.integers(), st.integers(min_value=-2000, max_value=2000), st.decimals(places=None),
    st.decimals(min_value=-10, max_value=10, places=3), st.decimals(min_value=-10**6, max_value=10**6, places=2),
    st.from_regex(r"[-+]?\d{1,20}([.,]\d{0,9})?", fullmatch=True)), max_size=8))
def test_encoder_gives_what_parse_and_the_converters_give_for_generated_columns(key, field, raws):
    ftype = REGISTRY.get(key)
    converters = sqlite_converters(ftype, field)
    assert encoded(ftype.encoder(field, "sqlite", converters), raws) == parsed_then_converted(
        ftype, field, converters, raws)
