"""The Runtime: settings, engine, catalog, registries and services, built once and passed on.

Nothing below the platform reaches for globals; whoever needs the database or a service
receives the runtime (or the part it needs) as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from pathlib import Path

from sqlalchemy.engine import Engine

from .access import Access
from .catalog import Catalog
from .fieldtypes.registry import FieldTypeRegistry, default_registry
from .files import FileStore
from .groups import GroupService
from .records.service import RecordService
from .schema import SchemaService
from .security_log import SecurityLog
from .storage import migrations
from .storage.engine import make_engine
from .users import UserService


@dataclass
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None
    db_schema: str | None = None  # PostgreSQL schema (tests use one per run)
    secret_key: str | None = None
    max_upload_bytes: int = 25 * 1024 * 1024
    max_json_bytes: int = 2 * 1024 * 1024
    query_timeout: float | None = 10.0  # seconds a read statement may run (None: no limit)
    # scheduler, reminders and mail (docs/reminders.md, docs/mail.md)
    timezone: str = "UTC"               # the office's zone: "at 9:00", daily digests, backups
    scheduler: str = "in-process"       # "in-process", or "off" when `cardfile scheduler` runs it
    base_url: str | None = None         # e.g. https://crm.example.com: links in emails
    smtp_url: str | None = None         # smtp://user:password@host:587 (smtps://, smtp+starttls://)
    mail_from: str | None = None        # the sender of outgoing mail
    mail_per_minute: int = 60           # mailings send at most this many messages a minute
    backup_keep: int = 7                # nightly backups kept in <data>/backups (0: no nightly backup)
    trash_days: int = 30                # records in the trash this many days are deleted for good (0: kept)
    extra: dict = dc_field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{(Path(self.data_dir) / 'cardfile.db').resolve()}"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    registry: FieldTypeRegistry
    catalog: Catalog
    access: Access
    schema: SchemaService
    records: RecordService
    users: UserService
    files: FileStore
    groups: GroupService
    security: SecurityLog

    def dispose(self) -> None:
        self.records.side_count.close()
        self.engine.dispose()


def build_runtime(settings: Settings, registry: FieldTypeRegistry | None = None,
                  access: Access | None = None, migrate: bool = True) -> Runtime:
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url, schema=settings.db_schema,
                         query_timeout=settings.query_timeout)
    if migrate:
        try:
            with engine.begin() as conn:
                migrations.upgrade(conn)
        except BaseException:
            engine.dispose()  # a refused or failed migration leaves no connection behind
            raise
    registry = registry or default_registry()
    catalog = Catalog(registry)
    access = access or Access(engine, catalog, registry)
    return Runtime(
        settings=settings, engine=engine, registry=registry, catalog=catalog, access=access,
        schema=SchemaService(engine, catalog, registry, access),
        records=RecordService(engine, catalog, registry, access),
        users=UserService(engine, access),
        files=FileStore(engine, Path(settings.data_dir) / "files", access, settings.max_upload_bytes),
        groups=GroupService(engine, catalog, registry, access),
        security=SecurityLog(engine, access),
    )
