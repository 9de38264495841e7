"""One scheduler process for the mailing crash tests: runs the mailings and mail jobs once a
simulated minute (the clock starts at START and moves a minute per round) until the
mailing is done. With CRASH=point:n it kills itself (SIGKILL) at that point of the n-th
message: "sending" (marked sending, not yet given to the server) or "accepted" (the server
took it, not yet marked sent).

    python tests/mail/mailing_worker.py URL DATA_DIR SMTP_PORT START_ISO MAILING_ID
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import sys


def main(argv: list[str]) -> None:
    from sqlalchemy import select

    from cardfile.metamodel.jobs import Jobs
    from cardfile.metamodel.runtime import Settings, build_runtime
    from cardfile.metamodel.storage.messaging_tables import cf_mailings

    url, data_dir, port, start, mailing_id = argv
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="test-secret")
    settings = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="office@example.com",
                                   base_url="https://crm.example.com", mail_per_minute=100)
    rt = build_runtime(settings, migrate=False)
    now = dt.datetime.fromisoformat(start)
    jobs = Jobs(rt, "test-secret", clock=lambda: now)
    crash = os.environ.get("CRASH")
    if crash:
        point, _, nth = crash.partition(":")
        seen = {"count": 0}

        def hook(where, row):
            if where == point:
                seen["count"] += 1
                if seen["count"] == int(nth):
                    os.kill(os.getpid(), signal.SIGKILL)

        jobs.outbox.crash_hook = hook
    for _ in range(10_000):
        jobs.run("mailings", now)
        jobs.run("mail", now)
        with rt.engine.connect() as conn:
            state = conn.execute(select(cf_mailings.c.state).where(cf_mailings.c.id == int(mailing_id))).scalar_one()
        print(now.isoformat(), state, flush=True)
        if state == "done":
            break
        now += dt.timedelta(minutes=1)
    rt.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
