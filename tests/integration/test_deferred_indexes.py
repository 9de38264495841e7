"""A large bulk create on SQLite builds the table's plain indexes at the end, and a failed one
leaves them as they were; PostgreSQL keeps its indexes throughout."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.records import bulk
from cardfile.metamodel.records.query import ListQuery


@pytest.fixture
def items(runtime, admin, make_table, monkeypatch):
    monkeypatch.setattr(bulk, "DEFER_INDEXES_AFTER", 100)
    make_table("Groups", [("Name", "text")], api_name="groups")
    groups = [r["id"] for r in [runtime.records.create(admin, "groups", {"name": n}) for n in "ABC"]]
    make_table("Items", [
        ("Code", "text", {"unique": True}), ("Price", "decimal", {"indexed": True}),
        ("Group", "link", {"target": "groups"}),
    ], api_name="items")
    return groups


def rows(groups, n, start=0):
    return [{"code": f"C{i}", "price": str(i % 97), "group": groups[i % 3]} for i in range(start, start + n)]


def index_sql(runtime) -> dict:
    table = runtime.schema.snapshot().sql_table(runtime.schema.snapshot().table("items"))
    with runtime.engine.connect() as conn:
        inspected = sa.inspect(conn).get_indexes(table.name)
    return {i["name"]: (tuple(i["column_names"]), bool(i["unique"])) for i in inspected}


def index_ddl(statements) -> list[str]:
    """The index statements (up to their column list) among the logged ``statements``."""
    return [sql.split("(")[0].strip() for _, sql in statements
            if sql.lstrip().upper().startswith(("CREATE INDEX", "DROP INDEX", "CREATE UNIQUE INDEX"))]


def test_a_large_load_builds_plain_indexes_at_the_end(runtime, admin, items, statements, db):
    before = index_sql(runtime)
    assert runtime.records.bulk_create(admin, "items", rows(items, 450), batch_size=50)["created"] == 450
    ddl = index_ddl(statements)
    assert index_sql(runtime) == before
    if db[0].startswith("sqlite"):
        dropped = [s for s in ddl if s.startswith("DROP INDEX")]
        created = [s for s in ddl if s.startswith("CREATE INDEX")]
        assert len(dropped) == len(created) == 3  # price, group, owner; the unique code stays
        assert not any("uq" in s for s in ddl)
    else:
        assert ddl == []
    found = runtime.records.list(admin, "items", ListQuery(filters=[("price", "eq", "5")], sort=["code"]))
    assert found["total"] == 5 and found["records"][0]["code"] == "C102"


def test_a_table_larger_than_the_load_keeps_its_indexes(runtime, admin, items, statements):
    runtime.records.bulk_create(admin, "items", rows(items, 300), batch_size=50)
    statements.clear()
    runtime.records.bulk_create(admin, "items", rows(items, 200, start=300), batch_size=50)
    assert index_ddl(statements) == []  # 200 new rows do not outgrow 300 old ones


def test_a_failed_load_writes_nothing_and_keeps_the_indexes(runtime, admin, items):
    before = index_sql(runtime)
    bad = rows(items, 400)
    bad[350]["price"] = "not a number"
    with pytest.raises(ValidationFailed) as info:
        runtime.records.bulk_create(admin, "items", bad, batch_size=50)
    assert "row 351" in info.value.message
    clash = rows(items, 400)
    clash[380]["code"] = "C3"  # a duplicate the unique index refuses after the others were dropped
    with pytest.raises(ValidationFailed) as info:
        runtime.records.bulk_create(admin, "items", clash, batch_size=50)
    assert "code" in str(info.value.details)
    assert index_sql(runtime) == before
    assert runtime.records.list(admin, "items", ListQuery())["total"] == 0
