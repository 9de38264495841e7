"""Exactly once, for real: two scheduler processes on one PostgreSQL database tick through a
simulated day with 10,000 reminders; one of them is killed (SIGKILL) half-way.
Every reminder is delivered once — counted in the deliveries, the inbox and the history —
none twice, none lost. Run with the lock (one scheduler works at a time) and without it
(both race, and the unique key alone decides)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from cardfile.metamodel.reminders import RuleService
from cardfile.metamodel.storage.messaging_tables import cf_inbox, cf_reminder_deliveries
from cardfile.metamodel.storage.platform_tables import cf_audit

UTC = dt.timezone.utc
DAY = dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
REMINDERS = 10_000
WORKER = Path(__file__).with_name("worker.py")
ROOT = Path(__file__).resolve().parents[2]


def spawn(settings, clock_file: Path, lock: bool) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent)}
    worker = subprocess.Popen([sys.executable, str(WORKER), settings.database_url, settings.db_schema or "",
                               str(settings.data_dir), DAY.isoformat(), str(clock_file), "1" if lock else "0"],
                              stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))
    assert worker.stdout.readline().strip() == "ready"
    return worker


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
@pytest.mark.parametrize("lock", [True, False], ids=["with-lock", "racing"])
def test_two_schedulers_one_killed_deliver_every_reminder_once(runtime, admin, settings, lock):
    runtime.schema.create_table(admin, {"label": "Events", "api_name": "events", "fields": [
        {"label": "Subject", "api_name": "subject", "type": "text"},
        {"label": "Starts at", "api_name": "starts_at", "type": "datetime"},
        {"label": "Responsible", "api_name": "responsible", "type": "user"}]})
    runtime.groups.create(admin, "staff")
    runtime.groups.set_permission(admin, "staff", "events", {"actions": ["read"]})
    users = [runtime.users.create(f"u{i}", "password-123", actor=admin) for i in range(4)]
    for user in users:
        runtime.groups.add_member(admin, "staff", user.username)
    rng = random.Random(17)
    runtime.records.bulk_create(admin, "events", [
        {"subject": f"event {i}", "responsible": rng.choice(users).id,
         "starts_at": (DAY + dt.timedelta(minutes=15, seconds=rng.randint(1, 86_400 - 900))).isoformat()}
        for i in range(REMINDERS)])
    RuleService(runtime, clock=lambda: DAY).create(admin, {
        "table": "events", "name": "Soon", "field": "starts_at",
        "offset": {"amount": 15, "unit": "minutes", "direction": "before"},
        "recipients": [{"type": "field", "field": "responsible"}], "message": "{subject}"})

    clock_file = Path(settings.data_dir) / "clock"
    clock_file.write_text("0")
    first, second = spawn(settings, clock_file, lock), spawn(settings, clock_file, lock)
    for minute in range(1, 1441):  # the simulated day: both tick each minute, racing
        clock_file.write_text(str(minute))
        if minute == 700:  # kill -9 the first while it works on this minute
            time.sleep(rng.random() / 50)
            os.kill(first.pid, signal.SIGKILL)
            first.communicate(timeout=60)
        alive = [second] if minute >= 700 else [first, second]
        for worker in alive:
            assert int(worker.stdout.readline()) == minute
    clock_file.write_text("end")
    second.communicate(timeout=60)
    assert second.returncode == 0 and first.returncode == -signal.SIGKILL

    with runtime.engine.connect() as conn:
        delivered = conn.execute(sa.select(sa.func.count()).select_from(cf_reminder_deliveries)).scalar_one()
        distinct = conn.execute(sa.select(sa.func.count(sa.distinct(cf_reminder_deliveries.c.record_id)))).scalar_one()
        inbox = conn.execute(sa.select(sa.func.count()).select_from(cf_inbox)).scalar_one()
        inbox_records = conn.execute(sa.select(sa.func.count(sa.distinct(cf_inbox.c.record_id)))).scalar_one()
        history = conn.execute(sa.select(sa.func.count()).select_from(cf_audit)
                               .where(cf_audit.c.action == "reminder")).scalar_one()
        late = conn.execute(sa.select(sa.func.count()).select_from(cf_reminder_deliveries)
                            .where(cf_reminder_deliveries.c.late.is_(True))).scalar_one()
    print(f"\n{'lock' if lock else 'race'}: {delivered} delivered ({distinct} records), {inbox} inbox items "
          f"({inbox_records} records), {history} history entries")
    assert delivered == distinct == inbox == inbox_records == history == REMINDERS
    assert late == 0  # the survivor picked up within the minute
