"""One transaction under many services: a runtime whose engine hands out one connection.

Applying a package goes through the schema, group, layout, view, report, template and
reminder services, and each of them opens its own ``engine.begin()``. ``transactional``
builds a runtime over a single open connection instead: ``begin()`` becomes a savepoint,
``connect()`` returns the same connection and closing it does nothing, so everything those
services write commits or rolls back together with the caller's transaction (PostgreSQL and
SQLite both roll back DDL).
"""

from __future__ import annotations

from contextlib import contextmanager

from ..access import Access
from ..catalog import Catalog
from ..files import FileStore
from ..groups import GroupService
from ..records.service import RecordService
from ..schema import SchemaService
from ..security_log import SecurityLog
from ..users import UserService


class _Connection:
    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def begin(self):
        return self._conn.begin_nested()

    def execution_options(self, **_options):
        return self

    def commit(self) -> None:  # the caller's transaction decides
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False


class _Engine:
    def __init__(self, engine, conn):
        self._engine = engine
        self._conn = conn
        self._shared = _Connection(conn)

    def __getattr__(self, name):
        return getattr(self._engine, name)

    @contextmanager
    def begin(self):
        with self._conn.begin_nested():
            yield self._shared

    def connect(self):
        return self._shared

    def dispose(self) -> None:
        pass


def transactional(runtime, conn):
    """A copy of ``runtime`` whose services all work inside ``conn``'s transaction."""
    from ..runtime import Runtime

    engine = _Engine(runtime.engine, conn)
    registry = runtime.registry
    catalog = Catalog(registry)  # its snapshots may hold what is rolled back: never shared
    access = Access(engine, catalog, registry)
    settings = runtime.settings
    records = RecordService(engine, catalog, registry, access)
    records.side_count.enabled = False  # it counts on another thread's connection: here, inline
    return Runtime(
        settings=settings, engine=engine, registry=registry, catalog=catalog, access=access,
        schema=SchemaService(engine, catalog, registry, access),
        records=records,
        users=UserService(engine, access),
        files=FileStore(engine, runtime.files.root, access, settings.max_upload_bytes),
        groups=GroupService(engine, catalog, registry, access),
        security=SecurityLog(engine, access),
    )
