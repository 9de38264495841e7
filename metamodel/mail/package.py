"""Mailing drafts in configuration packages: ``mailings.yaml`` next to ``package.yaml``.

    mailings:
      - table: clients
        name: New price list
        email_field: email
        audience: {where: 'status == "active"'}
        subject: "New prices for {name}"
        text: "Dear {name}, …"

Each entry becomes a **draft** owned by whoever applies the package (nothing is sent until
someone with the mail right presses Start on it); a draft of that name on that table is
left as it is, so edits made here are kept. Checked against ``mailings.schema.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
from sqlalchemy import select

from ..packages.loader import Problem, raise_problems, read_document
from ..storage.messaging_tables import cf_mailings

FILE_NAMES = ("mailings.yaml", "mailings.yml", "mailings.json")
SCHEMA = Path(__file__).with_name("mailings.schema.json")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def load_mailings(root: Path, package_name: str = "package") -> list[dict] | None:
    for name in FILE_NAMES:
        path = Path(root) / name
        if path.is_file():
            document = read_document(path, name)
            validator = jsonschema.Draft202012Validator(schema())
            problems = [Problem(name, "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                                                     for p in error.absolute_path), error.message)
                        for error in validator.iter_errors(document)]
            raise_problems(problems, f"Package {package_name!r}")
            return document["mailings"]
    return None


def apply_mailings(runtime, actor, pkg, secret: str) -> dict | None:
    """Create the package's mailing drafts that do not exist yet; None when it has none."""
    drafts = load_mailings(pkg.root, pkg.name)
    if drafts is None:
        return None
    from .mailings import MailingService

    service = MailingService(runtime, secret)
    snap = runtime.schema.snapshot()
    counts = {"created": 0, "kept": 0}
    with runtime.engine.connect() as conn:
        existing = {(row.table_id, row.name) for row in conn.execute(
            select(cf_mailings.c.table_id, cf_mailings.c.name).where(cf_mailings.c.deleted_at.is_(None)))}
    for spec in drafts:
        table = snap.table(spec["table"])
        if (table.id, spec["name"]) in existing:
            counts["kept"] += 1
            continue
        service.create(actor, {**spec, "audience": spec.get("audience") or {"filters": []}})
        counts["created"] += 1
    return counts
