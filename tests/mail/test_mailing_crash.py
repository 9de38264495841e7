"""A mailing of 1,000 recipients, sent through a real SMTP server (aiosmtpd), killed with
SIGKILL half-way and resumed by a new process: every recipient gets the message once, and
nobody twice. Killed at the worst moments on purpose — after the server accepted a message
but before it was marked sent, and after it was marked "sending" but before the server got
it — and once at a moment chosen by the operating system's scheduler."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from cardfile.metamodel.mail import MailOutbox
from cardfile.metamodel.mail.mailings import MailingService
from cardfile.metamodel.storage.messaging_tables import cf_mail_outbox, cf_mailing_recipients

UTC = dt.timezone.utc
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
RECIPIENTS = 1000
WORKER = Path(__file__).with_name("mailing_worker.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mailing(mail_runtime, boss, clock):
    rt = mail_runtime
    rt.schema.create_table(boss, {"label": "Clients", "api_name": "clients", "fields": [
        {"label": "Name", "api_name": "name", "type": "text"},
        {"label": "Email", "api_name": "email", "type": "email"}]})
    rt.records.bulk_create(boss, "clients", [{"name": f"Client {i}", "email": f"c{i}@example.com"}
                                             for i in range(RECIPIENTS)])
    service = MailingService(rt, "test-secret", clock=clock)
    draft = service.create(boss, {"table": "clients", "name": "New price list", "email_field": "email",
                                  "audience": {"filters": []}, "subject": "Prices for {name}",
                                  "text": "Dear {name}, our new prices are attached."})
    return service.start(boss, draft["id"])


def run_worker(settings, port: int, start: dt.datetime, mailing_id: int, crash: str | None = None,
               kill_after: int | None = None, box=None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent)}
    env.pop("CRASH", None)
    if crash:
        env["CRASH"] = crash
    worker = subprocess.Popen([sys.executable, str(WORKER), settings.database_url, str(settings.data_dir), str(port),
                               start.isoformat(), str(mailing_id)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, cwd=str(ROOT))
    if kill_after is not None:  # kill -9 from outside, whenever the server has this many
        while len(box.messages) < kill_after and worker.poll() is None:
            time.sleep(0.001)
        os.kill(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=600)
    return worker


def received(box) -> collections.Counter:
    return collections.Counter(m["To"] for m in box.messages)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("crash", ["accepted:500", "sending:500", "outside"])
def test_a_killed_mailing_resumes_without_sending_anyone_twice(mail_runtime, settings, smtp_server, boss, mailing,
                                                                crash):
    first = run_worker(settings, smtp_server.port, START, mailing["id"],
                       crash=None if crash == "outside" else crash,
                       kill_after=500 if crash == "outside" else None, box=smtp_server)
    assert first.returncode == -signal.SIGKILL
    halfway = len(smtp_server.messages)
    assert 0 < halfway < RECIPIENTS
    second = run_worker(settings, smtp_server.port, START + dt.timedelta(minutes=30), mailing["id"])
    assert second.returncode == 0, second.stderr

    counts = received(smtp_server)
    assert max(counts.values()) == 1, [a for a, n in counts.items() if n > 1]  # nobody twice
    with mail_runtime.engine.connect() as conn:
        states = dict(conn.execute(sa.select(cf_mailing_recipients.c.state, sa.func.count())
                                   .group_by(cf_mailing_recipients.c.state)).all())
        unknown = conn.execute(sa.select(cf_mail_outbox.c.id, cf_mail_outbox.c.to_addr)
                               .where(cf_mail_outbox.c.state == "unknown")).all()
    assert len(unknown) <= 1 and states.get("sent", 0) + len(unknown) == RECIPIENTS
    if crash == "accepted:500":  # the server had it: the one in doubt is not sent again
        assert len(counts) == RECIPIENTS and unknown[0][1] in counts
    if crash == "sending:500":  # the server never got it: an administrator sends it again
        assert len(counts) == RECIPIENTS - 1 and unknown[0][1] not in counts
    later = MailOutbox(mail_runtime, clock=lambda: START + dt.timedelta(hours=2))
    for outbox_id, address in unknown:
        if address not in counts:  # it never arrived: sending it again duplicates nothing
            later.resend(boss, outbox_id)
    later.send_due()
    counts = received(smtp_server)
    assert len(counts) == RECIPIENTS and max(counts.values()) == 1
    print(f"\n{crash}: killed after {halfway} received; in doubt {len(unknown)}; "
          f"{len(counts)} delivered, 0 duplicates")
