"""One scheduler process for the exactly-once tests.

The test process owns the clock: it writes the simulated minute into CLOCK_FILE; this
process ticks the reminder job each time the minute moves and prints the minute it
finished. ``end`` in the file stops it.

    python tests/reminders/worker.py URL SCHEMA DATA_DIR START_ISO CLOCK_FILE LOCK(0|1)
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from cardfile.metamodel.jobs import Jobs
    from cardfile.metamodel.runtime import Settings, build_runtime

    url, schema, data_dir, start, clock_file, lock = argv
    settings = Settings(data_dir=data_dir, database_url=url, db_schema=schema or None, secret_key="test-secret")
    rt = build_runtime(settings, migrate=False)
    begin = dt.datetime.fromisoformat(start)
    jobs = Jobs(rt, "test-secret", clock=lambda: begin, use_lock=lock == "1")
    clock, last = Path(clock_file), 0
    print("ready", flush=True)
    while True:
        text = clock.read_text().strip()
        if text == "end":
            break
        minute = int(text or 0)
        if minute <= last:
            time.sleep(0.001)  # waiting for the test to move the clock
            continue
        jobs.run("reminders", begin + dt.timedelta(minutes=minute))
        last = minute
        print(minute, flush=True)
    rt.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
