"""Mail settings: the SMTP server, the sender, the mailing rate and the site's address.

Defaults come from the environment (``CARDFILE_SMTP_URL``, ``CARDFILE_MAIL_FROM``,
``CARDFILE_MAIL_PER_MINUTE``, ``CARDFILE_BASE_URL``); what an administrator saves in the
admin pages is kept in ``cf_meta`` (key ``mail_settings``) and wins. The password is never
shown back: an empty password field on the page keeps the stored one.

``CARDFILE_SMTP_URL`` is ``smtp://user:password@host:port`` (plain), ``smtp+starttls://…``
(STARTTLS, port 587 by default) or ``smtps://…`` (TLS from the start, port 465).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from urllib.parse import unquote, urlsplit

from sqlalchemy import insert, select, update

from ..errors import InvalidDefinition
from ..storage.platform_tables import cf_meta

META_KEY = "mail_settings"
SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 25
    security: str = "none"
    username: str = ""
    password: str = ""
    from_addr: str = ""
    per_minute: int = 60
    base_url: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_addr)

    def public(self) -> dict:
        """What the admin page shows: everything but the password."""
        data = asdict(self)
        data["password_set"] = bool(data.pop("password"))
        return data


def from_url(url: str | None) -> dict:
    if not url:
        return {}
    parts = urlsplit(url)
    security = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "ssl"}.get(parts.scheme)
    if security is None:
        raise ValueError(f"CARDFILE_SMTP_URL starts with smtp://, smtp+starttls:// or smtps://, not {parts.scheme}://")
    return {"host": parts.hostname or "", "port": parts.port or DEFAULT_PORTS[security], "security": security,
            "username": unquote(parts.username or ""), "password": unquote(parts.password or "")}


def defaults(settings) -> MailSettings:
    """The environment's settings (the Runtime's ``Settings``)."""
    values = from_url(settings.smtp_url)
    return MailSettings(**values, from_addr=settings.mail_from or "", per_minute=int(settings.mail_per_minute or 60),
                        base_url=(settings.base_url or "").rstrip("/"))


def load(conn, settings) -> MailSettings:
    base = defaults(settings)
    raw = conn.execute(select(cf_meta.c.value).where(cf_meta.c.key == META_KEY)).scalar()
    if not raw:
        return base
    saved = json.loads(raw)
    return replace(base, **{k: v for k, v in saved.items() if k in base.__dataclass_fields__ and v not in (None, "")})


def save(conn, settings, changes: dict) -> MailSettings:
    """Check and store what the admin page sent (an empty password keeps the stored one)."""
    current = load(conn, settings)
    values = {}
    for key in ("host", "username", "from_addr", "base_url", "security"):
        if key in changes:
            values[key] = str(changes[key] or "").strip()
    if changes.get("password"):
        values["password"] = str(changes["password"])
    if values.get("security", current.security) not in SECURITY:
        raise InvalidDefinition(f"security is one of: {', '.join(SECURITY)}.", {"field": "security"})
    for key, low, high in (("port", 1, 65535), ("per_minute", 1, 100000)):
        if key in changes and changes[key] not in (None, ""):
            try:
                number = int(changes[key])
            except (TypeError, ValueError):
                number = None
            if number is None or not low <= number <= high:
                raise InvalidDefinition(f"{key} is a whole number from {low} to {high}.", {"field": key})
            values[key] = number
    if values.get("from_addr"):
        from .addresses import normalized

        if normalized(values["from_addr"]) is None:
            raise InvalidDefinition(f"{values['from_addr']!r} is not an email address.", {"field": "from_addr"})
    if values.get("base_url") and not values["base_url"].startswith(("http://", "https://")):
        raise InvalidDefinition("The site's address starts with https:// (or http://).", {"field": "base_url"})
    values["base_url"] = values.get("base_url", current.base_url).rstrip("/")
    merged = replace(current, **values)
    stored = {k: v for k, v in asdict(merged).items()}
    text = json.dumps(stored)
    if conn.execute(select(cf_meta.c.key).where(cf_meta.c.key == META_KEY)).first() is None:
        conn.execute(insert(cf_meta).values(key=META_KEY, value=text))
    else:
        conn.execute(update(cf_meta).where(cf_meta.c.key == META_KEY).values(value=text))
    return merged
