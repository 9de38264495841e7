"""The `cardfile` command line, run through click's CliRunner on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import sys
import types

import pytest
from click.testing import CliRunner

from cardfile.metamodel.runtime import build_runtime
from cardfile.platform.cli import cli


@pytest.fixture
def run(settings):
    """``run("user", "list", input=…)`` -> click Result, with the test database in the environment."""
    base = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
            "CARDFILE_DB_SCHEMA": settings.db_schema or "", "CARDFILE_SECRET_KEY": "test-secret"}
    runner = CliRunner()

    def invoke(*args, input=None, env=None):
        return runner.invoke(cli, list(args), env={**base, **(env or {})}, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def served(monkeypatch):
    """Replace the production and the development server; returns the recorded calls."""
    from cardfile.platform import server

    calls = {}

    def run(binds, workers, threads=4, **kwargs):
        calls["run"] = (binds, workers, threads)

    def run_dev(host, port, reload=True):
        calls["dev"] = (host, port, reload)

    monkeypatch.setattr(server, "run", run)
    monkeypatch.setattr(server, "run_dev", run_dev)
    monkeypatch.setattr(server, "gunicorn_available", lambda: True)
    return calls


def password_from(output: str) -> str:
    return re.search(r"password:\s+(\S+)", output).group(1)


def test_commands_need_an_initialised_database(run):
    for args in (["user", "list"], ["token", "list"], ["serve"], ["demo", "load"],
                 ["config", "apply", "customer-accounting"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.output.startswith("Error: Cardfile is not initialised in "), result.output
        assert "run `cardfile init` first" in result.output and "Traceback" not in result.output


def test_init_with_sample_and_demo(run, settings):
    result = run("init", "--sample", "customer-accounting", "--demo", "--admin", "boss")
    assert result.exit_code == 0, result.output
    assert "configuration:  Customer accounting 1.2.0 (15 tables)" in result.output
    assert re.search(r"demo data:\s+\d+ records \(seed 2026\)", result.output)
    assert "administrator:  boss" in result.output
    password = password_from(result.output)
    assert result.output.count(password) == 1
    assert (settings.data_dir / "secret_key").exists() is False  # the environment provides the key
    rt = build_runtime(settings)
    try:
        assert rt.users.authenticate("boss", password).is_admin
        assert rt.records.list(rt.users.by_username("boss"), "clients")["total"] == 40
    finally:
        rt.dispose()

    again = run("init")
    assert again.exit_code == 1
    assert again.output.startswith("Error: Cardfile is already initialised in ")
    assert "nothing was changed" in again.output

    listed = run("user", "list")
    assert listed.exit_code == 0 and re.search(r"^1\s+boss\s+Administrator\s+yes\s+yes\s+2\d{3}-\d\d-\d\d \d\d:\d\d$",
                                                      listed.output, re.M)


def test_init_empty_and_bad_options(run, settings, tmp_path):
    assert run("init", "--demo").exit_code == 2  # --demo needs --sample
    bad = run("init", "--sample", str(tmp_path / "nowhere"))
    assert bad.exit_code == 1 and "Error: No configuration package at" in bad.output
    assert "password" not in bad.output
    result = run("init")
    assert result.exit_code == 0 and "administrator:  admin" in result.output
    assert "configuration" not in result.output
    assert run("config", "apply", "customer-accounting", "--dry-run").exit_code == 0


def test_users(run):
    run("init")
    added = run("user", "add", "anna", "--name", "Anna Berg", "--email", "anna@example.com", "--password", "anna-secret")
    assert added.exit_code == 0 and added.output == "User anna created (#2).\n"
    prompted = run("user", "add", "ben", "--admin", input="ben-secret1\nben-secret1\n")
    assert prompted.exit_code == 0 and "User ben created (#3, administrator)." in prompted.output
    assert "ben-secret1" not in prompted.output

    duplicate = run("user", "add", "anna", "--password", "another-one")
    assert duplicate.exit_code == 1 and duplicate.output == "Error: User 'anna' already exists.\n"
    short = run("user", "add", "carl", "--password", "short")
    assert short.exit_code == 1 and "at least 8 characters" in short.output

    changed = run("user", "passwd", "anna", input="new-password\nnew-password\n")
    assert changed.exit_code == 0 and "Password of anna changed." in changed.output
    assert run("user", "passwd", "nobody", "--password", "whatever-1").output == "Error: No user 'nobody'.\n"

    listed = json.loads(run("user", "list", "--json").output)
    assert [(u["username"], u["is_admin"], u["name"]) for u in listed] == [
        ("admin", True, "Administrator"), ("anna", False, "Anna Berg"), ("ben", True, "")]


def test_tokens(run, settings):
    run("init")
    run("user", "add", "anna", "--password", "anna-secret")
    created = run("token", "create", "anna", "--name", "accounting export")
    assert created.exit_code == 0
    secret = created.output.splitlines()[1]
    assert created.output.startswith("Token #1 (accounting export) for anna:") and secret.startswith("cf_")
    rt = build_runtime(settings)
    try:
        assert rt.users.actor_for_token(secret).username == "anna"
    finally:
        rt.dispose()
    listed = run("token", "list")
    assert "accounting export" in listed.output and "active" in listed.output and secret not in listed.output
    assert "(none)" in run("token", "list", "--user", "admin").output
    assert run("token", "list", "--user", "zed").output == "Error: No user 'zed'.\n"
    assert run("token", "create", "zed").output == "Error: No user 'zed'.\n"

    revoked = run("token", "revoke", "1")
    assert revoked.exit_code == 0 and revoked.output == "Token #1 revoked.\n"
    assert "revoked" in run("token", "list", "--user", "anna").output
    missing = run("token", "revoke", "99")
    assert missing.exit_code == 1 and missing.output == "Error: No token #99.\n"
    assert run("token", "revoke", "abc").exit_code == 2


def test_config_validate(run, tmp_path):
    ok = run("config", "validate", "customer-accounting")
    assert ok.exit_code == 0
    assert re.match(r"OK: customer-accounting \d+\.\d+\.\d+ \(Customer accounting\): \d+ tables, ", ok.output)
    root = tmp_path / "broken"
    (root / "tables").mkdir(parents=True)
    (root / "package.yaml").write_text("name: broken\nversion: '1'\ntitle: Broken\ntables: [things]\n")
    (root / "tables" / "things.yaml").write_text(
        "api_name: things\nlabel: Things\nfields:\n  - {api_name: size, label: Size, type: sizes}\n")
    bad = run("config", "validate", str(root))
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: Package 'broken' is not valid (1 problem(s)):\n")
    assert "  tables/things.yaml: $.fields[0].type: unknown field type 'sizes'" in bad.output
    assert run("config", "validate", "no-such-sample").exit_code == 1


def test_config_apply(run, tmp_path):
    run("init")
    root = tmp_path / "mini"
    (root / "tables").mkdir(parents=True)
    (root / "package.yaml").write_text("name: mini\nversion: '1'\ntitle: Mini\n")
    (root / "tables" / "things.yaml").write_text(
        "api_name: things\nlabel: Things\nfields:\n  - {api_name: size, label: Size, type: text}\n")
    dry = run("config", "apply", str(root), "--dry-run")
    assert dry.exit_code == 0
    assert dry.output == "  create table things (1 fields)\nDry run: 1 change(s) would be applied; nothing was changed.\n"
    applied = run("config", "apply", str(root))
    assert applied.output == "  create table things (1 fields)\nmini 1: 1 change(s) applied.\n"
    assert run("config", "apply", str(root)).output == "mini 1: nothing to change (0 changes).\n"

    (root / "tables" / "things.yaml").write_text(
        "api_name: things\nlabel: Things\nfields:\n  - {api_name: size, label: Size, type: integer}\n")
    assert _add_thing(run, tmp_path) == 0
    refused = run("config", "apply", str(root))
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: Package 'mini' has destructive changes; nothing was changed:")
    assert "1 value(s) would be lost" in refused.output
    dry = run("config", "apply", str(root), "--dry-run")
    assert "Destructive changes need --allow-destructive." in dry.output
    forced = run("config", "apply", str(root), "--allow-destructive")
    assert forced.exit_code == 0 and "1 change(s) applied" in forced.output


def _add_thing(run, tmp_path) -> int:
    """A record that will not survive text -> integer, loaded as demo data of a one-row package."""
    root = tmp_path / "rows"
    (root / "tables").mkdir(parents=True)
    (root / "package.yaml").write_text("name: rows\nversion: '1'\ntitle: Rows\n")
    (root / "tables" / "things.yaml").write_text(
        "api_name: things\nlabel: Things\nfields:\n  - {api_name: size, label: Size, type: text}\n")
    (root / "demo.yaml").write_text("tables:\n  - table: things\n    rows: [{size: large}]\n")
    return run("demo", "load", "--package", str(root)).exit_code


def test_demo_load(run, tmp_path):
    run("init", "--sample", "customer-accounting")
    loaded = run("demo", "load", "--seed", "5")
    assert loaded.exit_code == 0, loaded.output
    assert "  clients: 40\n" in loaded.output and "(seed 5)." in loaded.output
    again = run("demo", "load")
    assert again.exit_code == 1
    assert again.output == "Error: Demo data goes into empty tables only; 'Client categories' already has 5 record(s).\n"


def test_demo_load_needs_a_package(run):
    run("init")
    result = run("demo", "load")
    assert result.exit_code == 1
    assert result.output == "Error: Say which package's demo data to load with --package (applied: none).\n"


def test_serve(run, served):
    from cardfile.platform.server import default_workers

    run("init")
    result = run("serve", "--port", "5123")
    assert result.exit_code == 0, result.output
    workers = default_workers()
    assert result.output == (f"Cardfile is running at http://127.0.0.1:5123/  ({workers} worker(s); "
                             "press Ctrl+C to stop)\n")
    assert served["run"] == (["127.0.0.1:5123"], workers, 4)
    assert 1 <= workers <= 8
    bound = run("serve", "--bind", "0.0.0.0:8000", "--bind", "unix:/run/cardfile.sock", "--workers", "3",
                "--threads", "2")
    assert bound.exit_code == 0, bound.output
    assert served["run"] == (["0.0.0.0:8000", "unix:/run/cardfile.sock"], 3, 2)
    assert "http://0.0.0.0:8000/, unix:/run/cardfile.sock" in bound.output
    from_env = run("serve", "--port", "5126", env={"CARDFILE_WORKERS": "2", "CARDFILE_THREADS": "1"})
    assert from_env.exit_code == 0, from_env.output
    assert served["run"] == (["127.0.0.1:5126"], 2, 1)
    dev = run("serve", "--dev", "--port", "5125")
    assert dev.exit_code == 0 and served["dev"] == ("127.0.0.1", 5125, True)
    assert "development server" in dev.output
    assert run("serve", "--port", "0").exit_code == 2
    assert run("serve", "--workers", "0").exit_code == 2
    assert run("serve", "--dev", "--bind", "127.0.0.1:1").exit_code == 2


def test_run_local_initialises_once_then_serves(run, served):
    first = run("run-local", "--port", "5124")
    assert first.exit_code == 0, first.output
    assert "configuration:  Customer accounting 1.2.0 (15 tables)" in first.output
    assert "demo data:" in first.output
    password = password_from(first.output)
    assert first.output.index(password) < first.output.index("http://127.0.0.1:5124/")
    second = run("run-local", "--port", "5124", "--host", "0.0.0.0")
    assert second.exit_code == 0
    assert second.output.startswith("Using the existing installation in ")
    assert password not in second.output and "http://0.0.0.0:5124/" in second.output
    assert served["run"][0] == ["0.0.0.0:5124"]  # the production server


def test_unreachable_database_is_an_error_not_a_traceback(tmp_path):
    env = {"CARDFILE_DATA_DIR": str(tmp_path), "CARDFILE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "CARDFILE_DB_SCHEMA": ""}
    result = CliRunner().invoke(cli, ["user", "list"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Cannot use the database:")
