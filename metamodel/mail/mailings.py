"""Mass mailings: a message to every record of a saved view or filter that has an address.

A mailing belongs to a table and is written by someone with the table's ``mail`` right::

    {"table": "clients", "name": "New price list", "email_field": "email",
     "audience": {"view": 3}               # a saved list view, or
                 {"filters": [["category", "eq", "2"]], "where": "...", "search": "..."},
     "subject": "New prices for {name}", "text": "Dear {name}, …", "html": "<p>Dear {name}</p>…"}

Subject and bodies use the placeholders of reminders (``{name}``, ``{client.name}``,
``{record}``) plus ``{unsubscribe}`` (the link; added at the end when the text has none).

**Preview** renders it for one record of the audience as its author reads it. **Start**
freezes the audience: one row per record in ``cf_mailing_recipients`` (unique per mailing
and record), read through the record service as the author, in list order. Records with
no address or an invalid one, or that opted out (``cf_unsubscribes``, or a ticked boolean
field ``unsubscribed``), are ``skipped`` with the reason. **Sending** is the scheduler's
job (``run``): each minute it queues at most the mail settings' messages per minute for
all mailings together, rendering each message as the author reads the record then, and
marks the recipient ``queued`` in the same commit as the outbox row (whose key is the
mailing and record); the outbox sends it and marks the recipient ``sent`` (or ``failed``).
A crash at any point resumes where the last commit left off: nobody is queued twice.
The recipient rows are the mailing's log, one entry per recipient.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
from typing import Any

from sqlalchemy import func, insert, select, update

from ..actors import Actor
from ..errors import AccessDenied, BadQuery, CardfileError, InvalidDefinition, NotFound
from ..formulas.filters import where_filter
from ..ids import as_id
from ..model import TableDef
from ..records.query import ListQuery
from ..reminders.placeholders import Renderer, check_template, display_of
from ..storage.messaging_tables import cf_mail_outbox, cf_mailing_recipients, cf_mailings
from ..views import ViewService
from . import settings as mail_settings
from .addresses import normalized
from .outbox import queue
from .unsubscribe import make_token, unsubscribed_ids

UTC = dt.timezone.utc
KEYS = {"table", "name", "email_field", "audience", "subject", "text", "html"}
STATES = ("draft", "sending", "paused", "done", "cancelled")
NAMES = ("record", "unsubscribe")
MAX_TEXT = 200_000
READ_CHUNK = 500


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def _ts(value):
    return None if value is None else value.isoformat().replace("+00:00", "Z")


class MailingNotFound(NotFound):
    code = "MAILING_NOT_FOUND"

    def __init__(self, mailing_id):
        super().__init__(f"No mailing #{mailing_id}.", {"mailing": mailing_id})


class MailingService:
    def __init__(self, runtime, secret: str, clock=utcnow):
        self.rt = runtime
        self.secret = secret
        self.clock = clock

    # --- reading ---------------------------------------------------------------------
    def list(self, actor: Actor) -> list[dict]:
        view = self.rt.access.view(actor)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(cf_mailings).where(cf_mailings.c.deleted_at.is_(None))
                                .order_by(cf_mailings.c.id.desc())).mappings().all()
            counts = self._counts(conn, [r["id"] for r in rows])
        out = []
        for row in rows:
            table = view.snap.tables.get(row["table_id"])
            if table is not None and table.live and view.allows(table, "mail"):
                out.append(self.describe(row, table, counts.get(row["id"], {})))
        return out

    def get(self, actor: Actor, mailing_id) -> dict:
        row, table = self._mine(actor, mailing_id)
        with self.rt.engine.connect() as conn:
            counts = self._counts(conn, [row["id"]])
        return self.describe(row, table, counts.get(row["id"], {}))

    def describe(self, row, table: TableDef, counts: dict) -> dict:
        return {"id": row["id"], "table": table.api_name, "name": row["name"], "email_field": row["email_field"],
                "audience": row["audience"], "subject": row["subject"], "text": row["text"], "html": row["html"],
                "state": row["state"], "problem": row["problem"], "total": row["total"],
                "counts": {s: counts.get(s, 0) for s in ("pending", "queued", "sent", "skipped", "failed", "unknown")},
                "created_by": row["created_by"], "created_at": _ts(row["created_at"]),
                "started_at": _ts(row["started_at"]), "finished_at": _ts(row["finished_at"])}

    def recipients(self, actor: Actor, mailing_id, state: str | None = None, page: int = 1,
                   per_page: int = 100) -> dict:
        """The mailing's log: one entry per recipient (record, address, state, reason, when)."""
        row, table = self._mine(actor, mailing_id)
        if page < 1 or not 1 <= per_page <= 500:
            raise BadQuery("page must be ≥ 1 and per_page between 1 and 500.", {})
        where = [cf_mailing_recipients.c.mailing_id == row["id"]]
        if state:
            where.append(cf_mailing_recipients.c.state == state)
        with self.rt.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(cf_mailing_recipients).where(*where)).scalar_one()
            rows = conn.execute(select(cf_mailing_recipients).where(*where).order_by(cf_mailing_recipients.c.position)
                                .offset((page - 1) * per_page).limit(per_page)).mappings().all()
        return {"recipients": [{"record": r["record_id"], "email": r["email"], "state": r["state"],
                                "reason": r["reason"], "at": _ts(r["at"])} for r in rows],
                "total": total, "page": page, "per_page": per_page}

    # --- writing ---------------------------------------------------------------------
    def create(self, actor: Actor, spec: dict) -> dict:
        if not isinstance(spec, dict):
            raise InvalidDefinition("A mailing is a JSON object.", {})
        table = self._mail_table(actor, spec.get("table"))
        values = self._checked(actor, table, spec)
        now = self.clock()
        with self.rt.engine.begin() as conn:
            mailing_id = conn.execute(insert(cf_mailings).values(
                table_id=table.id, state="draft", created_by=actor.id, created_at=now, updated_at=now,
                **values).returning(cf_mailings.c.id)).scalar_one()
        return self.get(actor, mailing_id)

    def update(self, actor: Actor, mailing_id, changes: dict) -> dict:
        row, table = self._mine(actor, mailing_id)
        if not isinstance(changes, dict):
            raise InvalidDefinition("Send the changes as a JSON object.", {})
        if row["state"] not in ("draft", "paused"):
            raise InvalidDefinition(f"A mailing that is {row['state']} cannot be changed.", {"state": row["state"]})
        if "table" in changes and changes["table"] != table.api_name:
            raise InvalidDefinition("A mailing stays on its table.", {"field": "table"})
        if row["state"] == "paused" and {"audience", "email_field"} & set(changes):
            raise InvalidDefinition("The audience of a started mailing is fixed.", {"field": "audience"})
        merged = {k: row[k] for k in ("name", "email_field", "audience", "subject", "text", "html")}
        merged.update({k: v for k, v in changes.items() if k != "table"})
        values = self._checked(actor, table, merged)
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mailings).where(cf_mailings.c.id == row["id"])
                         .values(**values, updated_at=self.clock()))
        return self.get(actor, row["id"])

    def delete(self, actor: Actor, mailing_id) -> dict:
        row, _ = self._mine(actor, mailing_id)
        if row["state"] == "sending":
            raise InvalidDefinition("Pause or cancel the mailing first.", {"state": row["state"]})
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mailings).where(cf_mailings.c.id == row["id"]).values(deleted_at=self.clock()))
        return {"id": row["id"], "trashed": True}

    def _checked(self, actor: Actor, table: TableDef, spec: dict) -> dict[str, Any]:
        unknown = sorted(set(spec) - KEYS - {"id", "state", "problem", "total", "counts", "created_by",
                                             "created_at", "started_at", "finished_at"})
        if unknown:
            raise InvalidDefinition(f"Unknown key(s) in the mailing: {', '.join(unknown)}.", {"unknown": unknown})
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidDefinition("A mailing needs a name (up to 200 characters).", {"field": "name"})
        readable = self.rt.access.view(actor).readable
        email_field = spec.get("email_field")
        field = next((f for f in readable(table) if f.api_name == email_field), None)
        if field is None or field.type not in ("email", "text"):
            choices = [f.api_name for f in readable(table) if f.type in ("email", "text")]
            raise InvalidDefinition(f"email_field names the field with the address: one of {', '.join(choices)}."
                                    if choices else f"email_field: {table.label!r} has no email field.",
                                    {"field": "email_field", "allowed": choices})
        audience = self._audience(actor, table, spec.get("audience"))
        snap = self.rt.schema.snapshot()
        texts = {}
        for key, required in (("subject", True), ("text", True), ("html", False)):
            value = spec.get(key)
            if value is None and not required:
                texts[key] = None
                continue
            if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
                raise InvalidDefinition(f"{key} is text" + (" (not empty)" if required else "") + ".", {"field": key})
            check_template(value, snap, table, NAMES, what=f"The {key}", readable=readable)
            texts[key] = value
        return {"name": name.strip(), "email_field": email_field, "audience": audience, **texts}

    def _audience(self, actor: Actor, table: TableDef, audience) -> dict:
        if not isinstance(audience, dict) or not (set(audience) <= {"view", "filters", "where", "search"}):
            raise InvalidDefinition("audience is {\"view\": id} or {\"filters\": […], \"where\": …, \"search\": …}.",
                                    {"field": "audience"})
        if "view" in audience:
            if set(audience) != {"view"} or as_id(audience["view"]) is None:
                raise InvalidDefinition("audience.view is the id of a saved view of the table.",
                                        {"field": "audience.view"})
            self._views().get_view(actor, table.api_name, as_id(audience["view"]))
            return {"view": as_id(audience["view"])}
        filters = audience.get("filters") or []
        if not isinstance(filters, list) or any(not isinstance(f, list) or not 2 <= len(f) <= 3 or
                                                not all(isinstance(x, str) for x in f) for f in filters):
            raise InvalidDefinition("audience.filters is a list of [field, operator, value].",
                                    {"field": "audience.filters"})
        for key in ("where", "search"):
            if audience.get(key) is not None and not isinstance(audience[key], str):
                raise InvalidDefinition(f"audience.{key} is text.", {"field": f"audience.{key}"})
        out = {"filters": filters, "where": audience.get("where") or None, "search": audience.get("search") or None}
        # a filter that cannot be read is refused now, not when the mailing starts
        self.rt.records.list(actor, table.api_name, self._query(actor, table, out, per_page=1))
        return out

    def _views(self) -> ViewService:
        return ViewService(self.rt.engine, self.rt.catalog, self.rt.access)

    def _query(self, actor: Actor, table: TableDef, audience: dict, per_page: int = 50) -> ListQuery:
        if "view" in audience:
            definition = self._views().get_view(actor, table.api_name, audience["view"])["definition"]
        else:
            definition = audience
        filters = [tuple(f) if len(f) == 3 else (f[0], f[1], "") for f in definition.get("filters") or []]
        where = definition.get("where")
        return ListQuery(filters=filters, search=definition.get("search") or None, sort=definition.get("sort") or [],
                         per_page=per_page, where=where_filter(where, self.rt.registry, me=actor) if where else None)

    # --- preview ---------------------------------------------------------------------
    def preview(self, actor: Actor, mailing_id=None, spec: dict | None = None, record_id=None) -> dict:
        """The message for one record (the first of the audience unless named), as the author
        would send it now; nothing is saved."""
        if mailing_id is not None:
            row, table = self._mine(actor, mailing_id)
            values = {k: row[k] for k in ("name", "email_field", "audience", "subject", "text", "html")}
            mid = row["id"]
        else:
            table = self._mail_table(actor, (spec or {}).get("table"))
            values = self._checked(actor, table, {k: v for k, v in (spec or {}).items() if k != "table"} |
                                   {"name": (spec or {}).get("name") or "preview"})
            mid = 0
        q = self._query(actor, table, values["audience"], per_page=1)
        total = self.rt.records.list(actor, table.api_name, q)["total"]
        if record_id is not None:
            record = self.rt.records.get(actor, table.api_name, record_id)
        else:
            found = self.rt.records.list(actor, table.api_name, q)["records"]
            if not found:
                return {"total": total, "record": None, "email": None, "skip": "The audience is empty.",
                        "subject": "", "text": "", "html": None}
            record = found[0]
        settings = self._settings()
        message = self._render(actor, table, values, record, mid, settings)
        return {"total": total, "record": {"id": record["id"], "display": display_of(table, record)},
                **message}

    # --- sending ---------------------------------------------------------------------
    def start(self, actor: Actor, mailing_id) -> dict:
        """Freeze the audience and hand the mailing to the scheduler."""
        row, table = self._mine(actor, mailing_id)
        if row["state"] != "draft":
            raise InvalidDefinition(f"Only a draft mailing can be started (this one is {row['state']}).",
                                    {"state": row["state"]})
        settings = self._settings()
        if not settings.base_url:
            raise InvalidDefinition("Unsubscribe links need the site's address: set it in Administration → Mail "
                                    "(or CARDFILE_BASE_URL).", {"field": "base_url"})
        q = self._query(actor, table, row["audience"], per_page=1000)
        stream = self.rt.records.iter_rows(actor, table.api_name, q, action="mail")
        now = self.clock()
        flag = table.field("unsubscribed")
        flag = flag.api_name if flag is not None and flag.type == "boolean" else None
        position = 0
        with self.rt.engine.begin() as conn:
            for batch in stream.batches():
                ids = [r["id"] for r in batch]
                opted_out = unsubscribed_ids(conn, table.id, ids)
                entries = []
                for record in batch:
                    position += 1
                    raw = record.get(row["email_field"])
                    address = normalized(raw)
                    reason = None
                    if not raw:
                        reason = "no email address"
                    elif address is None:
                        reason = f"not an email address: {str(raw)[:100]}"
                    elif record["id"] in opted_out or (flag and record.get(flag)):
                        reason = "unsubscribed"
                    entries.append(dict(mailing_id=row["id"], record_id=record["id"], position=position,
                                        email=address or (str(raw)[:320] if raw else None),
                                        state="skipped" if reason else "pending", reason=reason,
                                        at=now if reason else None))
                if entries:
                    conn.execute(insert(cf_mailing_recipients), entries)
            done = conn.execute(update(cf_mailings).where(cf_mailings.c.id == row["id"],
                                                          cf_mailings.c.state == "draft")
                                .values(state="sending", total=position, started_at=now, updated_at=now,
                                        problem=None)).rowcount
            if not done:
                raise InvalidDefinition("The mailing was started meanwhile.", {})
        return self.get(actor, row["id"])

    def pause(self, actor: Actor, mailing_id) -> dict:
        return self._set_state(actor, mailing_id, ("sending",), "paused")

    def resume(self, actor: Actor, mailing_id) -> dict:
        return self._set_state(actor, mailing_id, ("paused",), "sending")

    def cancel(self, actor: Actor, mailing_id) -> dict:
        """Stop for good: recipients not yet queued are skipped (queued messages still go)."""
        result = self._set_state(actor, mailing_id, ("sending", "paused", "draft"), "cancelled")
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mailing_recipients).where(cf_mailing_recipients.c.mailing_id == result["id"],
                                                             cf_mailing_recipients.c.state == "pending")
                         .values(state="skipped", reason="the mailing was cancelled", at=self.clock()))
        return self.get(actor, result["id"])

    def _set_state(self, actor: Actor, mailing_id, allowed: tuple, state: str) -> dict:
        row, _ = self._mine(actor, mailing_id)
        if row["state"] not in allowed:
            raise InvalidDefinition(f"A mailing that is {row['state']} cannot become {state}.",
                                    {"state": row["state"]})
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_mailings).where(cf_mailings.c.id == row["id"])
                         .values(state=state, problem=None, updated_at=self.clock()))
        return self.get(actor, row["id"])

    def run(self, now: dt.datetime | None = None) -> dict:
        """The scheduler's job: queue the next messages within the rate; finish mailings."""
        now = now or self.clock()
        report = {"queued": 0, "skipped": 0, "finished": 0}
        settings = self._settings()
        with self.rt.engine.connect() as conn:
            mailings = conn.execute(select(cf_mailings).where(cf_mailings.c.state == "sending",
                                                              cf_mailings.c.deleted_at.is_(None))
                                    .order_by(cf_mailings.c.id)).mappings().all()
            recent = conn.execute(select(func.count()).select_from(cf_mail_outbox).where(
                cf_mail_outbox.c.source == "mailing",
                cf_mail_outbox.c.created_at > now - dt.timedelta(minutes=1))).scalar_one()
        budget = max(0, settings.per_minute - recent)
        for row in mailings:
            if budget > 0:
                queued, skipped = self._queue_batch(row, settings, now, budget)
                budget -= queued
                report["queued"] += queued
                report["skipped"] += skipped
            report["finished"] += self._finish_if_done(row, now)
        return report

    def _queue_batch(self, row, settings, now: dt.datetime, budget: int) -> tuple[int, int]:
        snap = self.rt.schema.snapshot()
        table = snap.tables.get(row["table_id"])
        author = self.rt.users.get(row["created_by"]) if row["created_by"] else None
        problem = None
        if table is None or not table.live:
            problem = "Its table is in the trash."
        elif author is None or not author.is_active:
            problem = "Its author's account is disabled."
        else:
            view = self.rt.access.view(author)
            if not view.allows(table, "mail") or not view.allows(table, "read"):
                problem = f"Its author may no longer send mailings to {table.label!r}."
        if problem:
            with self.rt.engine.begin() as conn:
                conn.execute(update(cf_mailings).where(cf_mailings.c.id == row["id"])
                             .values(state="paused", problem=problem, updated_at=now))
            return 0, 0
        with self.rt.engine.connect() as conn:
            pending = conn.execute(select(cf_mailing_recipients.c.record_id).where(
                cf_mailing_recipients.c.mailing_id == row["id"], cf_mailing_recipients.c.state == "pending")
                .order_by(cf_mailing_recipients.c.position).limit(budget)).scalars().all()
        if not pending:
            return 0, 0
        records = {}
        for i in range(0, len(pending), READ_CHUNK):
            chunk = pending[i:i + READ_CHUNK]
            result = self.rt.records.list(author, table.api_name, ListQuery(
                filters=[("id", "in", ",".join(map(str, chunk)))], per_page=READ_CHUNK))
            records.update({r["id"]: r for r in result["records"]})
        values = {k: row[k] for k in ("subject", "text", "html", "email_field")}
        flag = table.field("unsubscribed")
        with self.rt.engine.connect() as conn:
            opted_out = unsubscribed_ids(conn, table.id, pending)
        outcomes = []  # rendered before the write transaction (which must only write)
        for record_id in pending:
            record = records.get(record_id)
            address = normalized(record.get(row["email_field"])) if record is not None else None
            reason = None
            if record is None:
                reason = "no longer in the author's reach (deleted, or out of their access)"
            elif address is None:
                reason = "no valid email address"
            elif record_id in opted_out or (flag is not None and flag.type == "boolean" and record.get("unsubscribed")):
                reason = "unsubscribed"
            message = None if reason else self._render(author, table, values, record, row["id"], settings, address,
                                                       snap)
            outcomes.append((record_id, address, reason, message))
        queued = skipped = 0
        with self.rt.engine.begin() as conn:
            for record_id, address, reason, message in outcomes:
                if reason:
                    conn.execute(update(cf_mailing_recipients).where(
                        cf_mailing_recipients.c.mailing_id == row["id"], cf_mailing_recipients.c.record_id == record_id,
                        cf_mailing_recipients.c.state == "pending").values(state="skipped", reason=reason, at=now))
                    skipped += 1
                    continue
                key = f"mailing:{row['id']}:{record_id}"
                outbox_id = queue(conn, now, address, message["subject"], message["text"], html=message["html"],
                                  key=key, source="mailing", priority=1, mailing_id=row["id"],
                                  headers=message["headers"])
                if outbox_id is None:  # queued before (a run that stopped before marking it): find it
                    outbox_id = conn.execute(select(cf_mail_outbox.c.id).where(cf_mail_outbox.c.key == key)).scalar_one()
                conn.execute(update(cf_mailing_recipients).where(
                    cf_mailing_recipients.c.mailing_id == row["id"], cf_mailing_recipients.c.record_id == record_id,
                    cf_mailing_recipients.c.state == "pending").values(state="queued", email=address,
                                                                       outbox_id=outbox_id, at=now))
                queued += 1
        return queued, skipped

    def _finish_if_done(self, row, now: dt.datetime) -> int:
        with self.rt.engine.begin() as conn:
            open_ = conn.execute(select(func.count()).select_from(cf_mailing_recipients).where(
                cf_mailing_recipients.c.mailing_id == row["id"],
                cf_mailing_recipients.c.state.in_(("pending", "queued")))).scalar_one()
            if open_:
                return 0
            return conn.execute(update(cf_mailings).where(cf_mailings.c.id == row["id"],
                                                          cf_mailings.c.state == "sending")
                                .values(state="done", finished_at=now, updated_at=now)).rowcount

    # --- rendering ---------------------------------------------------------------------
    def _render(self, actor: Actor, table: TableDef, values: dict, record: dict, mailing_id: int,
                settings, address: str | None = None, snap=None) -> dict:
        link = f"{settings.base_url}/unsubscribe/{make_token(self.secret, table.id, record['id'], mailing_id)}" \
            if settings.base_url else ""
        extra = {"record": display_of(table, record), "unsubscribe": link}
        renderer = Renderer(self.rt.records, snap or self.rt.schema.snapshot(), actor)
        subject = renderer.render(values["subject"], table, record, extra).text.replace("\n", " ")
        text = renderer.render(values["text"], table, record, extra).text
        if link and "{unsubscribe}" not in values["text"]:
            text += f"\n\n--\nTo stop receiving these messages: {link}"
        html = None
        if values.get("html"):
            html = renderer.render(values["html"], table, record,
                                   {**extra, "unsubscribe": html_lib.escape(link)}, escape=html_lib.escape).text
            if link and "{unsubscribe}" not in values["html"]:
                html += f'<p style="font-size:small;color:#666"><a href="{html_lib.escape(link)}">Unsubscribe</a></p>'
        headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} \
            if link else None
        raw = record.get(values["email_field"])
        skip = None
        if normalized(raw) is None:
            skip = "no valid email address"
        return {"subject": subject, "text": text, "html": html, "headers": headers,
                "email": address or normalized(raw) or raw, "skip": skip}

    # --- internals ------------------------------------------------------------------
    def _settings(self):
        with self.rt.engine.connect() as conn:
            return mail_settings.load(conn, self.rt.settings)

    def _mail_table(self, actor: Actor, table_name) -> TableDef:
        if not isinstance(table_name, str):
            raise InvalidDefinition("Say which table the mailing goes to: \"table\".", {"field": "table"})
        view = self.rt.access.view(actor)
        table = view.snap.table(table_name)
        view.check(table, "read")
        view.check(table, "mail")
        return table

    def _mine(self, actor: Actor, mailing_id):
        mid = as_id(mailing_id)
        if mid is None:
            raise MailingNotFound(mailing_id)
        with self.rt.engine.connect() as conn:
            row = conn.execute(select(cf_mailings).where(cf_mailings.c.id == mid,
                                                         cf_mailings.c.deleted_at.is_(None))).mappings().first()
        if row is None:
            raise MailingNotFound(mailing_id)
        view = self.rt.access.view(actor)
        table = view.snap.tables.get(row["table_id"])
        if table is None or not table.live or not view.allows(table, "read"):
            raise MailingNotFound(mailing_id)
        if not view.allows(table, "mail"):
            raise AccessDenied(f"You may not send mailings to {table.label!r}.",
                               {"table": table.api_name, "action": "mail"})
        return row, table

    @staticmethod
    def _counts(conn, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        out: dict[int, dict] = {}
        rows = conn.execute(select(cf_mailing_recipients.c.mailing_id, cf_mailing_recipients.c.state, func.count())
                            .where(cf_mailing_recipients.c.mailing_id.in_(ids))
                            .group_by(cf_mailing_recipients.c.mailing_id, cf_mailing_recipients.c.state)).all()
        for mid, state, count in rows:
            out.setdefault(mid, {})[state] = count
        return out


__all__ = ["MailingService", "MailingNotFound", "CardfileError"]
