"""``cardfile db copy``: the customer-accounting sample with its demo data goes SQLite ->
PostgreSQL -> SQLite through the very commands docs/deploy.md shows (and PostgreSQL ->
another PostgreSQL schema); every record reads the
same through the record service, ids and counters continue after the copied numbers, the
copied users sign in with their passwords, and a destination that holds tables is refused."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from cardfile.metamodel.errors import CardfileError
from cardfile.metamodel.records.query import ListQuery
from cardfile.metamodel.runtime import Settings, build_runtime

DOC = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")


def doc_copy_commands() -> list[list[str]]:
    """The `cardfile db copy` lines of the doc's code blocks, as arguments."""
    blocks = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", DOC, flags=re.S))
    return [shlex.split(line.split("cardfile ", 1)[1].split("#", 1)[0])
            for line in blocks.splitlines() if re.search(r"(^|/)cardfile db copy ", line.strip())]


def _drop(engine, schema: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def all_records(rt, actor) -> dict:
    found = {}
    for table in rt.schema.list_tables(actor):
        name, page, rows = table["api_name"], 1, []
        while True:
            part = rt.records.list(actor, name, ListQuery(sort=["id"], page=page, per_page=500))
            rows += part["records"]
            if len(rows) >= part["total"] or not part["records"]:
                break
            page += 1
        found[name] = rows
    return found


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_sqlite_to_postgresql_and_back(db, tmp_path, harness, request):
    pg_url, schema = db
    env = harness.env(tmp_path)
    out = harness.cli(env, tmp_path, "init", "--sample", "customer-accounting", "--demo")
    admin_password = re.search(r"password:\s+(\S+)", out).group(1)
    harness.cli(env, tmp_path, "user", "add", "sam", "--password", "sam-secret-1")
    old = f"sqlite:///{tmp_path / 'var' / 'cardfile.db'}"
    new = f"{pg_url}?options=-csearch_path%3D{schema}"
    back = f"sqlite:///{tmp_path / 'back.db'}"

    to_pg, to_sqlite = doc_copy_commands()
    substitute = {"$OLD": old, "$NEW": new, "sqlite:////tmp/cardfile-copy.db": back}
    for command in (to_pg, to_sqlite):
        printed = harness.cli(env, tmp_path, *[substitute.get(arg, arg) for arg in command])
        assert "row counts and checksums match the source" in printed
        assert re.search(r"t_\d+\s+\d+ rows\s+sha256 [0-9a-f]{16}\s+ok", printed)
        assert "MISMATCH" not in printed

    # PostgreSQL to PostgreSQL, into another schema named with --dst-schema
    second = f"{schema}_b"
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{second}"')
    request.addfinalizer(lambda: _drop(engine, second))
    printed = harness.cli(env, tmp_path, "db", "copy", pg_url, pg_url, "--src-schema", schema, "--dst-schema", second)
    assert "row counts and checksums match the source" in printed

    again = subprocess.run([*harness.cli_command, "db", "copy", old, new], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "is not empty" in again.stderr and "nothing was changed" in again.stderr
    missing = subprocess.run([*harness.cli_command, "db", "copy", f"sqlite:///{tmp_path / 'none.db'}", back],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "There is no SQLite file" in missing.stderr
    assert not (tmp_path / "none.db").exists()

    runtimes = [build_runtime(Settings(data_dir=tmp_path / "var", database_url=old)),
                build_runtime(Settings(data_dir=tmp_path / "var", database_url=pg_url, db_schema=schema)),
                build_runtime(Settings(data_dir=tmp_path / "var", database_url=back)),
                build_runtime(Settings(data_dir=tmp_path / "var", database_url=pg_url, db_schema=second))]
    try:
        admins = [rt.users.authenticate("admin", admin_password) for rt in runtimes]
        source, *copies = [all_records(rt, actor) for rt, actor in zip(runtimes, admins)]
        assert sum(len(rows) for rows in source.values()) > 500
        for copy in copies:
            assert copy == source

        for rt in runtimes[1:]:  # the copied users sign in with their own passwords
            assert rt.users.authenticate("sam", "sam-secret-1").username == "sam"
            with pytest.raises(CardfileError):
                rt.users.authenticate("sam", "wrong-password")

        # the same new invoice on each base: the same next id and the same next number
        client = source["clients"][0]["id"]
        made = [rt.records.create(actor, "invoices", {"client": client})
                for rt, actor in zip(runtimes, admins)]
        top_id = max(r["id"] for r in source["invoices"])
        numbers = sorted(r["number"] for r in source["invoices"] if r["number"])
        assert made[0]["id"] > top_id and made[0]["number"] not in numbers
        for record in made[1:]:
            assert (record["id"], record["number"]) == (made[0]["id"], made[0]["number"])
        assert made[0]["number"] > max(n for n in numbers if n[:8] == made[0]["number"][:8])
    finally:
        for rt in runtimes:
            rt.dispose()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
def test_a_copy_that_does_not_match_its_source_is_refused_and_rolled_back(settings, db, tmp_path, monkeypatch):
    """A copy that loses a row on the way (a fault between copying and checking) fails the
    checksum: COPY_MISMATCH names the table, and the destination is left empty."""
    from cardfile.metamodel import dbcopy

    rt = build_runtime(settings)
    try:
        boss = rt.users.create("boss", "boss-password", is_admin=True, bootstrap=True)
        rt.schema.create_table(boss, {"label": "Notes", "api_name": "notes",
                                      "fields": [{"label": "Text", "type": "text"}]})
        rt.records.bulk_create(boss, "notes", [{"text": f"note {i}"} for i in range(5)])
    finally:
        rt.dispose()
    src_url, src_schema = db
    copy_rows = dbcopy._copy_rows

    def lossy(s_conn, d_conn, table, batch):
        copy_rows(s_conn, d_conn, table, batch)
        if table.name.startswith("t_"):  # the user's table loses its last row
            d_conn.execute(table.delete().where(table.c.id == sa.select(sa.func.max(table.c.id)).scalar_subquery()))

    monkeypatch.setattr(dbcopy, "_copy_rows", lossy)
    target = tmp_path / "copy.db"
    with pytest.raises(dbcopy.CopyMismatch) as info:
        dbcopy.copy_base(src_url, f"sqlite:///{target}", src_schema=src_schema)
    assert info.value.code == "COPY_MISMATCH"
    assert [t for t in info.value.details["tables"] if t.startswith("t_")] == info.value.details["tables"] != []
    assert "rolled back" in info.value.message
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        assert sa.inspect(engine).get_table_names() == []  # nothing of the copy stayed
    finally:
        engine.dispose()
