"""Unique values are checked against live records only (a partial unique index over
``deleted_at IS NULL``): a trashed record gives its value up, a revert can be followed by
the same import, and restoring a record whose value was taken since is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import ValidationFailed
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.storage import migrations
from cardfile.reports.imports import ImportOptions, run_import


@pytest.fixture
def codes(runtime, admin, make_table):
    make_table("Items", [("Code", "text", {"unique": True, "required": True}), ("Name", "text")],
               api_name="items")
    return runtime, admin


def live_codes(rt, admin) -> list[str]:
    return sorted(r["code"] for r in rt.records.list(admin, "items", ListQuery(per_page=500))["records"])


def test_a_trashed_record_gives_its_value_up_and_cannot_take_it_back(codes):
    rt, admin = codes
    first = rt.records.create(admin, "items", {"code": "A1", "name": "first"})
    with pytest.raises(ValidationFailed) as taken:
        rt.records.create(admin, "items", {"code": "A1"})
    assert "must be unique" in taken.value.errors["code"][0]
    rt.records.delete(admin, "items", first["id"])
    second = rt.records.create(admin, "items", {"code": "A1", "name": "second"})
    with pytest.raises(ValidationFailed) as refused:
        rt.records.restore(admin, "items", first["id"])
    assert "not in the trash has it now" in refused.value.errors["code"][0]
    rt.records.update(admin, "items", second["id"], {"code": "A2", "version": second["version"]})
    rt.records.restore(admin, "items", first["id"])
    assert live_codes(rt, admin) == ["A1", "A2"]
    rt.records.bulk_create(admin, "items", [{"code": "B1"}])
    rt.records.delete(admin, "items", rt.records.list(admin, "items", ListQuery(filters=[("code", "eq", "B1")]))
                      ["records"][0]["id"])
    assert rt.records.bulk_create(admin, "items", [{"code": "B1"}]) == {"created": 1}


def test_a_reverted_import_can_be_imported_again(codes, tmp_path):
    rt, admin = codes
    path = tmp_path / "items.csv"
    path.write_text("Code,Name\n" + "".join(f"C{i},item {i}\n" for i in range(500)), encoding="utf-8")
    first = run_import(rt, admin, "items", path, "items.csv", ImportOptions())
    assert first["created"] == 500
    again = run_import(rt, admin, "items", path, "items.csv", ImportOptions(dry_run=True))
    assert again["error_count"] == 500 and "must be unique" in again["errors"][0]["reason"]
    rt.records.revert_import(admin, first["import_id"])
    second = run_import(rt, admin, "items", path, "items.csv", ImportOptions())
    assert second["errors"] == [] and second["created"] == 500
    assert len(live_codes(rt, admin)) == 500


def test_a_field_becomes_unique_when_only_trashed_records_repeat_a_value(runtime, admin, make_table):
    make_table("Items", [("Code", "text")], api_name="items")
    ids = [runtime.records.create(admin, "items", {"code": c})["id"] for c in ("X", "X", "Y")]
    runtime.records.delete(admin, "items", ids[0])
    runtime.schema.update_field(admin, "items", "code", {"options": {"unique": True}})
    with pytest.raises(ValidationFailed):
        runtime.records.restore(admin, "items", ids[0])
    runtime.records.create(admin, "items", {"code": "Z"})


def test_revision_0010_makes_existing_unique_indexes_partial(codes, db):
    rt, admin = codes
    snap = rt.schema.snapshot()
    table = snap.table("items")
    name, column = f"uq_{table.id}_{table.field('code').id}", f"f_{table.field('code').id}"
    with rt.engine.begin() as conn:  # as revision 0009 left user tables: a whole unique index
        conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.exec_driver_sql(f"CREATE UNIQUE INDEX {name} ON t_{table.id} ({column})")
        conn.exec_driver_sql("DROP TABLE cf_package_applies")  # revision 0011 comes after
        conn.exec_driver_sql("UPDATE cf_alembic_version SET version_num = '0009_reminders_mail'")
    first = rt.records.create(admin, "items", {"code": "A1"})
    rt.records.delete(admin, "items", first["id"])
    sql = rt.schema.snapshot().sql_table(table)
    with pytest.raises(sa.exc.IntegrityError):  # the old index still counts the trashed record
        with rt.engine.begin() as conn:
            conn.execute(sa.insert(sql).values(version=1, created_at=sa.func.now(), updated_at=sa.func.now(),
                                               **{column: "A1"}))
    with rt.engine.begin() as conn:
        migrations.upgrade(conn)
        migrations.upgrade(conn)  # and only once
    with rt.engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        found = {i["name"]: i for i in sa.inspect(conn).get_indexes(f"t_{table.id}")}
    assert found[name]["unique"] and found[name]["column_names"] == [column]
    where = next(v for k, v in found[name]["dialect_options"].items() if k.endswith("_where"))
    assert "deleted_at IS NULL" in str(getattr(where, "text", where))
    assert rt.records.create(admin, "items", {"code": "A1"})["code"] == "A1"
    with pytest.raises(ValidationFailed):
        rt.records.create(admin, "items", {"code": "A1"})
