"""The scheduler: APScheduler 3 running the jobs of ``cardfile.metamodel.jobs``.

By default it runs inside the app process (one office PC: ``cardfile serve`` or
``run-local``). With several app processes (gunicorn workers), set
``CARDFILE_SCHEDULER=off`` on them and run ``cardfile scheduler`` as one process of its
own. Either way each job takes a database lock first (PostgreSQL advisory lock; SQLite
lease), so even two schedulers by mistake never do a job at once.

    reminders   every minute        mailings   every minute
    mail        every 30 seconds    backup     nightly at 02:30 in the office's zone
                                               (when CARDFILE_BACKUP_KEEP > 0)
    trash       nightly at 03:15: records in the trash longer than CARDFILE_TRASH_DAYS
                days (default 30; 0 keeps them) are deleted for good

Jobs are kept in memory (nothing to pickle); a missed run is coalesced into one, and the
jobs themselves catch up from the database (a reminder due while nothing ran is delivered,
marked late).
"""

from __future__ import annotations

import atexit
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from cardfile.metamodel.jobs import Jobs
from cardfile.metamodel.reminders.timing import zone

EXTENSION = "cardfile.scheduler"
log = logging.getLogger("cardfile.scheduler")


def triggers(settings) -> dict:
    """Job name -> APScheduler trigger."""
    tz = zone(settings.timezone)
    out = {"reminders": IntervalTrigger(minutes=1), "mailings": IntervalTrigger(minutes=1),
           "mail": IntervalTrigger(seconds=30)}
    if settings.backup_keep and settings.backup_keep > 0:
        out["backup"] = CronTrigger(hour=2, minute=30, timezone=tz)
    if settings.trash_days and settings.trash_days > 0:
        out["trash"] = CronTrigger(hour=3, minute=15, timezone=tz)
    return out


def _run(jobs: Jobs, name: str) -> None:
    try:
        jobs.run(name)
    except Exception:  # noqa: BLE001 - logged, recorded in cf_jobs, tried again at the next run
        log.exception("job %s failed", name)


def build(runtime, secret: str, blocking: bool = False):
    """A scheduler (not started) with every job."""
    jobs = Jobs(runtime, secret)
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=zone(runtime.settings.timezone))
    for name, trigger in triggers(runtime.settings).items():
        scheduler.add_job(_run, trigger, args=[jobs, name], id=name, name=name, max_instances=1, coalesce=True,
                          misfire_grace_time=600)
    return scheduler, jobs


def init_app(app) -> None:
    """Start the in-process scheduler unless the settings turn it off (or under tests)."""
    runtime = app.extensions["cardfile"]
    mode = (runtime.settings.scheduler or "in-process").lower()
    if mode not in ("in-process", "off"):
        raise ValueError(f"CARDFILE_SCHEDULER is in-process or off, not {mode!r}.")
    if mode == "off" or app.testing or app.config.get("CARDFILE_NO_SCHEDULER"):
        return
    scheduler, _jobs = build(runtime, app.config["SECRET_KEY"])
    scheduler.start()
    app.extensions[EXTENSION] = scheduler
    atexit.register(lambda: scheduler.shutdown(wait=False) if scheduler.running else None)
