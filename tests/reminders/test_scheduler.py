"""The scheduler: one worker at a time (PostgreSQL advisory lock, SQLite lease), the jobs'
record, the APScheduler wiring, and the backup and restore commands."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from click.testing import CliRunner

from cardfile.metamodel.jobs import JobLock, Jobs
from cardfile.platform.cli import cli

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_one_holder_at_a_time(runtime):
    schema = runtime.settings.db_schema
    with JobLock(runtime.engine, "reminders", "a", NOW, schema) as first:
        assert first is True
        with JobLock(runtime.engine, "reminders", "b", NOW, schema) as second:
            assert second is False
        with JobLock(runtime.engine, "mail", "b", NOW, schema) as other_job:
            assert other_job is True
    with JobLock(runtime.engine, "reminders", "b", NOW, schema) as later:
        assert later is True


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_lease_left_by_a_dead_process_ends_by_itself(runtime):
    lock = JobLock(runtime.engine, "reminders", "dead", NOW)
    assert lock.__enter__() is True  # and never released: the process died
    with JobLock(runtime.engine, "reminders", "alive", NOW + dt.timedelta(minutes=5)) as held:
        assert held is False
    with JobLock(runtime.engine, "reminders", "alive", NOW + dt.timedelta(minutes=11)) as held:
        assert held is True


def test_a_job_run_is_recorded_and_skipped_while_another_holds_it(runtime, admin):
    jobs = Jobs(runtime, "secret", clock=lambda: NOW)
    assert jobs.run("reminders").rules == 0
    with JobLock(runtime.engine, "mail", "someone-else", NOW, runtime.settings.db_schema):
        assert jobs.run("mail") is None
    status = {j["name"]: j for j in jobs.status()}
    assert status["reminders"]["runs"] == 1 and status["reminders"]["last_finished_at"] == "2026-03-02T08:00:00Z"
    assert status["mail"]["runs"] == 0


def test_the_scheduler_has_every_job(settings):
    from cardfile.platform import scheduler

    assert set(scheduler.triggers(settings)) == {"reminders", "mailings", "mail", "backup", "trash"}
    assert "backup" not in scheduler.triggers(dataclasses.replace(settings, backup_keep=0))
    assert "trash" not in scheduler.triggers(dataclasses.replace(settings, trash_days=0))


def test_the_in_process_scheduler_starts_with_the_app_and_not_under_tests(settings):
    from cardfile.platform.app import create_app

    config = {**{f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}}
    app = create_app({**config, "TESTING": True})
    assert "cardfile.scheduler" not in app.extensions
    app.extensions["cardfile"].dispose()
    app = create_app({**config, "scheduler": "in-process"})
    try:
        scheduler = app.extensions["cardfile.scheduler"]
        assert scheduler.running and {j.id for j in scheduler.get_jobs()} == {"reminders", "mailings", "mail",
                                                                               "backup", "trash"}
    finally:
        app.extensions["cardfile.scheduler"].shutdown(wait=False)
        app.extensions["cardfile"].dispose()
    app = create_app({**config, "scheduler": "off"})
    assert "cardfile.scheduler" not in app.extensions
    app.extensions["cardfile"].dispose()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_backup_and_restore_commands(settings, runtime, admin):
    runtime.schema.create_table(admin, {"label": "Notes", "api_name": "notes",
                                        "fields": [{"label": "Text", "api_name": "text", "type": "text"}]})
    runtime.records.create(admin, "notes", {"text": "before"})
    env = {"CARDFILE_DATA_DIR": str(settings.data_dir), "CARDFILE_DATABASE_URL": settings.database_url,
           "CARDFILE_SECRET_KEY": "test-secret", "CARDFILE_BACKUP_KEEP": "2"}
    runner = CliRunner()
    made = runner.invoke(cli, ["backup"], env=env, catch_exceptions=False)
    assert made.exit_code == 0 and "Backup written" in made.output
    backup_file = made.output.split("Backup written: ")[1].split(" (")[0]
    runtime.records.create(admin, "notes", {"text": "after"})
    runtime.dispose()
    restored = runner.invoke(cli, ["restore", backup_file, "--yes"], env=env, catch_exceptions=False)
    assert restored.exit_code == 0, restored.output
    from cardfile.metamodel.runtime import build_runtime

    again = build_runtime(settings)
    try:
        assert [r["text"] for r in again.records.list(admin, "notes")["records"]] == ["before"]
    finally:
        again.dispose()
    listed = runner.invoke(cli, ["backup", "--list"], env=env, catch_exceptions=False)
    assert backup_file.rsplit("/", 1)[-1] in listed.output
    jobs = runner.invoke(cli, ["jobs"], env=env, catch_exceptions=False)
    assert "reminders" in jobs.output and jobs.exit_code == 0


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_backups_keep_the_newest(settings, runtime):
    from cardfile.metamodel.backup import list_backups, make_backup

    for minute in range(4):
        make_backup(dataclasses.replace(settings, backup_keep=2), NOW + dt.timedelta(minutes=minute))
    assert [b["name"] for b in list_backups(settings)] == ["cardfile-20260302-080300.db", "cardfile-20260302-080200.db"]


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_postgresql_backups_use_pg_dump(settings, runtime, admin):
    import shutil

    from cardfile.metamodel.backup import BackupFailed, make_backup

    if shutil.which("pg_dump") is None:
        with pytest.raises(BackupFailed, match="pg_dump is not installed"):
            make_backup(settings, NOW)
        return
    result = make_backup(settings, NOW)
    assert result["file"].endswith(".dump") and result["size"] > 0
