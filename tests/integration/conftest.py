"""Every test here creates users on a fresh database: hash their passwords cheaply."""

import dataclasses
import threading

import pytest
from sqlalchemy import event

from cardfile.metamodel.runtime import build_runtime


@pytest.fixture(autouse=True)
def _cheap_password_hashes(fast_password_hashing):
    yield


@pytest.fixture
def statements(runtime):
    """(thread name, SQL) of every statement the runtime's engine runs while the test does."""
    seen: list[tuple[str, str]] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append((threading.current_thread().name, statement))

    event.listen(runtime.engine, "before_cursor_execute", record)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", record)


@pytest.fixture
def runtime_with_limit(settings):
    """``runtime_with_limit(seconds)``: a runtime whose reads run under that time limit."""
    made = []

    def make(seconds: float):
        made.append(build_runtime(dataclasses.replace(settings, query_timeout=seconds)))
        return made[-1]

    yield make
    for rt in made:
        rt.dispose()
