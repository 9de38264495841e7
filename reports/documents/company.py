"""The company's own details, printed on documents (``company.*`` in templates).

Kept as one JSON document in ``cf_meta`` (key ``company``): name, tax ID, address, bank,
bank code, account, director, chief accountant, phone, email, website, and two images
from the file store (``logo``, ``stamp``: ``{"sha256", "name"}``). Everyone signed in may
read them (they are printed on every invoice); administrators change them.
"""

from __future__ import annotations

import json

from sqlalchemy import insert, select, update

from cardfile.metamodel.errors import InvalidDefinition, ValidationFailed
from cardfile.metamodel.storage.platform_tables import cf_files, cf_meta

KEY = "company"
TEXTS = ("name", "tax_id", "registration", "address", "bank", "bank_code", "account", "director",
         "accountant", "phone", "email", "website")
IMAGES = ("logo", "stamp")
MAX_TEXT = 1000


class CompanySettings:
    def __init__(self, runtime):
        self.rt = runtime

    def get(self, actor=None) -> dict:
        if actor is not None:
            self.rt.access.require_active(actor)
        with self.rt.engine.connect() as conn:
            raw = conn.execute(select(cf_meta.c.value).where(cf_meta.c.key == KEY)).scalar()
        stored = json.loads(raw) if raw else {}
        out = {k: stored.get(k) or "" for k in TEXTS}
        out.update({k: stored.get(k) for k in IMAGES})
        return out

    def update(self, actor, data: dict) -> dict:
        self.rt.access.check_admin(actor)
        if not isinstance(data, dict):
            raise InvalidDefinition("Company details are an object of texts.", {})
        unknown = set(data) - set(TEXTS) - set(IMAGES)
        if unknown:
            raise InvalidDefinition(f"Unknown company detail(s): {', '.join(sorted(unknown))}.",
                                    {"keys": sorted(unknown), "known": [*TEXTS, *IMAGES]})
        current = self.get()
        errors = {}
        for key in TEXTS:
            if key in data:
                value = data[key]
                if value is not None and not isinstance(value, str):
                    errors[key] = ["expected text"]
                elif value and len(value) > MAX_TEXT:
                    errors[key] = [f"at most {MAX_TEXT} characters"]
                else:
                    current[key] = (value or "").strip()
        with self.rt.engine.begin() as conn:
            for key in IMAGES:
                if key not in data:
                    continue
                value = data[key]
                if value in (None, "", {}):
                    current[key] = None
                    continue
                sha = value.get("sha256") if isinstance(value, dict) else None
                found = conn.execute(select(cf_files.c.content_type).where(cf_files.c.sha256 == str(sha))).scalar() \
                    if isinstance(sha, str) else None
                if found is None or not found.startswith("image/"):
                    errors[key] = ["upload an image (PNG, JPEG, GIF or WebP) first and give its sha256"]
                    continue
                current[key] = {"sha256": sha, "name": str(value.get("name") or key)[:255]}
            if errors:
                raise ValidationFailed(errors)
            text = json.dumps(current, ensure_ascii=False)
            if conn.execute(select(cf_meta.c.key).where(cf_meta.c.key == KEY)).first() is None:
                conn.execute(insert(cf_meta).values(key=KEY, value=text))
            else:
                conn.execute(update(cf_meta).where(cf_meta.c.key == KEY).values(value=text))
        return current
