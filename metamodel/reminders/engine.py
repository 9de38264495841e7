"""The reminder tick: find what fell due since the last tick, deliver each occurrence once.

For every enabled rule, ``tick(now)`` looks at the window ``(checked_until, now]``:

1. **Find.** ``records.due.due_rows`` reads the records whose date can fall due in the window
   and that meet the condition (one range query on the date field's index; a date rule
   queries only when its time of day falls in the window).
2. **Prepare.** For each occurrence due in the window, the recipients (user fields, the
   owner, group members; active users only) are asked, each through the record service as
   themselves, for the records they may read; the message is rendered from what each may
   read (a placeholder they may not read renders empty, with a warning in the rule's log).
3. **Claim and deliver, in one transaction.** A row in ``cf_reminder_deliveries`` keyed by
   rule + record + occurrence (unique in the database) is inserted with ``ON CONFLICT DO
   NOTHING``; only when this transaction inserted it are the inbox items, the queued mails
   and the record's history entry written, and the rule's ``checked_until`` moves to
   ``now`` in the same commit. A second scheduler, a retried tick or a restart finds the
   key taken and does nothing; a crash before the commit leaves nothing behind, and the
   next tick covers the same window again.

So a reminder is never sent twice and never lost: after downtime, the window reaches back
to the last commit and what fell due meanwhile is delivered, marked late. Pending
occurrences are never stored ahead of time, so editing the date moves the reminder, a
record in the trash gets none, and a restored record gets its next one. A rule whose date
field was deleted or is no longer a date (or whose condition no longer checks) is not run:
its ``problem`` says why (shown in the designer) and its window moves on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field as dc_field

from sqlalchemy import insert, select, update

from ..catalog import Snapshot
from ..errors import CardfileError
from ..model import TableDef
from ..records import audit
from ..records.due import BATCH, due_rows
from ..records.query import ListQuery
from ..mail import settings as mail_settings
from ..mail.outbox import queue as queue_mail
from ..storage.inserts import insert_ignoring_duplicates
from ..storage.messaging_tables import cf_inbox, cf_reminder_deliveries, cf_reminder_log, cf_reminder_rules
from ..storage.platform_tables import cf_group_members, cf_users
from . import timing
from .placeholders import Renderer, display_of, plain
from .rules import live_rules, rule_timing

UTC = dt.timezone.utc
#: records asked of the record service per call when checking what a recipient may read
READ_CHUNK = 500
#: a digest lists at most this many records in the inbox item (the count says how many)
DIGEST_ITEMS = 200


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


@dataclass
class TickReport:
    rules: int = 0
    delivered: int = 0
    already: int = 0
    skipped: int = 0
    late: int = 0
    problems: list = dc_field(default_factory=list)

    def add(self, other: "TickReport") -> None:
        self.delivered += other.delivered
        self.already += other.already
        self.skipped += other.skipped
        self.late += other.late
        self.problems += other.problems


@dataclass
class Occurrence:
    record_id: int
    key: str
    due: dt.datetime
    occurrence: object
    users: set = dc_field(default_factory=set)


class ReminderEngine:
    def __init__(self, runtime, clock=utcnow):
        self.rt = runtime
        self.clock = clock
        self.tz = timing.zone(runtime.settings.timezone)

    # --- the tick --------------------------------------------------------------------
    def tick(self, now: dt.datetime | None = None) -> TickReport:
        now = now or self.clock()
        report = TickReport()
        self._member_cache = {}  # group members, read once per tick
        self._user_cache = {}    # recipients as actors, read once per tick
        self._idle = []          # rules with nothing to deliver: their window moves on in one commit
        with self.rt.engine.connect() as conn:  # rules, settings and the catalog in one go
            rules = live_rules(conn)
            self._base_url = mail_settings.load(conn, self.rt.settings).base_url if rules else ""
            snap = self.rt.catalog.current(conn) if rules else None
        for rule in rules:
            report.rules += 1
            try:
                report.add(self.run_rule(rule, snap, now))
            except CardfileError as exc:  # a definition gone bad: the rule stops with a reason
                self._set_problem(rule, exc.message, now)
                report.problems.append((rule["id"], exc.message))
        if self._idle:
            with self.rt.engine.begin() as conn:
                conn.execute(update(cf_reminder_rules).where(cf_reminder_rules.c.id.in_(self._idle),
                                                             cf_reminder_rules.c.checked_until < now)
                             .values(checked_until=now))
        return report

    def run_rule(self, rule, snap: Snapshot, now: dt.datetime) -> TickReport:
        report = TickReport()
        start = rule["checked_until"]
        if start is None:
            self._advance(rule["id"], now)
            return report
        if start >= now:
            return report
        definition = rule["definition"] or {}
        table, field, problem = self._resolve(snap, rule, definition)
        if problem:
            self._set_problem(rule, problem, now)
            report.problems.append((rule["id"], problem))
            return report
        if rule["problem"]:
            self._clear_problem(rule, now)
        when = rule_timing(definition, field.type if field is not None else "digest", self.tz)
        paths = [r["field"] for r in definition.get("recipients") or [] if r.get("type") == "field"]
        if field is not None and when.offset_minutes < 0 and not when.yearly:
            report.add(self._entered_late(rule, definition, snap, table, field, when, paths, start, now))
        candidates = when.candidates(start, now)
        if candidates is None:
            self._idle.append(rule["id"])
            return report
        today = now.astimezone(self.tz).date()
        if definition.get("kind") == "digest":
            day = candidates.days[-1]
            return self._digest(rule, definition, snap, table, paths, day, when, start, now)
        after = None
        while True:
            with self.rt.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
                rows = due_rows(conn, snap, self.rt.registry, table, field, candidates,
                                definition.get("condition"), paths, today=today, now=now, after=after,
                                limit=BATCH)
            occurrences = self._occurrences(rows, definition, when, candidates, start, now)
            last = len(rows) < BATCH
            report.add(self._deliver(rule, definition, snap, table, occurrences, now, advance=last))
            if last:
                return report
            after = rows[-1]["key"]

    def _entered_late(self, rule, definition: dict, snap: Snapshot, table: TableDef, field, when: timing.Timing,
                      paths: list[str], start: dt.datetime, now: dt.datetime) -> TickReport:
        """A "before" reminder whose moment had already passed when its record was entered or
        changed (an event typed in 5 minutes before it starts, a condition that came true late)
        is delivered once, marked late, while the date itself is still ahead of that change;
        a date already past when it was entered gets none. Reads only the records changed
        since the last tick whose date lies within the offset after it."""
        ahead = dt.timedelta(minutes=-when.offset_minutes)
        if field.type == "datetime":
            candidates = timing.Candidates(kind="range", low=start, high=start + ahead)
        else:
            days = dataclasses.replace(when, offset_minutes=0).days_due(start, start + ahead)
            if not days:
                return TickReport()
            candidates = timing.Candidates(kind="dates", days=tuple(days))
        today = now.astimezone(self.tz).date()
        occurrences, after = [], None
        while True:
            with self.rt.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
                rows = due_rows(conn, snap, self.rt.registry, table, field, candidates, definition.get("condition"),
                                paths, today=today, now=now, after=after, limit=BATCH, changed_after=start)
            for row in rows:
                if row["value"] is None:
                    continue
                due = when.due(row["value"])
                changed = row["updated_at"] if row["updated_at"].tzinfo else row["updated_at"].replace(tzinfo=UTC)
                if due <= start and due - when.offset > changed:
                    occurrences.append(Occurrence(row["id"], timing.occurrence_key(row["value"]), due, row["value"],
                                                  self._recipients_of(row, definition)))
            if len(rows) < BATCH:
                break
            after = rows[-1]["key"]
        return self._deliver(rule, definition, snap, table, occurrences, now, advance=False) \
            if occurrences else TickReport()

    def _occurrences(self, rows: list[dict], definition: dict, when: timing.Timing, candidates,
                     start: dt.datetime, now: dt.datetime) -> list[Occurrence]:
        out = []
        for row in rows:
            value = row["value"]
            if value is None:
                continue
            if when.yearly:
                local = when.local_date(value)
                found = [timing.anniversary(local, day.year) for day in candidates.days]
                occurrences = sorted({o for o in found if o in candidates.days})
            else:
                occurrences = [value]
            for occurrence in occurrences:
                due = when.due(occurrence)
                if not start < due <= now:
                    continue
                out.append(Occurrence(row["id"], timing.occurrence_key(occurrence), due, occurrence,
                                      self._recipients_of(row, definition)))
        return out

    def _recipients_of(self, row: dict, definition: dict) -> set:
        users = set()
        for r in definition.get("recipients") or []:
            if r.get("type") == "owner" and row.get("owner") is not None:
                users.add(row["owner"])
            elif r.get("type") == "field":
                uid = (row.get("users") or {}).get(r["field"])
                if uid is not None:
                    users.add(uid)
            elif r.get("type") == "group":
                users.update(self._members(r.get("group_id")))
        return users

    def _members(self, group_id) -> list[int]:
        cache = getattr(self, "_member_cache", None)
        if cache is None:
            cache = self._member_cache = {}
        if group_id not in cache:
            with self.rt.engine.connect() as conn:
                cache[group_id] = [r[0] for r in conn.execute(
                    select(cf_group_members.c.user_id).where(cf_group_members.c.group_id == group_id))]
        return cache[group_id]

    # --- delivering --------------------------------------------------------------------
    def _deliver(self, rule, definition: dict, snap: Snapshot, table: TableDef, occurrences: list[Occurrence],
                 now: dt.datetime, advance: bool) -> TickReport:
        report = TickReport()
        occurrences = self._not_yet_delivered(rule["id"], occurrences)
        users = self._users({u for o in occurrences for u in o.users})
        by_user: dict[int, list[int]] = {}
        for o in occurrences:
            for uid in o.users:
                if uid in users:
                    by_user.setdefault(uid, []).append(o.record_id)
        readable = {uid: self._readable(users[uid]["actor"], table, ids) for uid, ids in by_user.items()}
        renderers = {uid: Renderer(self.rt.records, snap, users[uid]["actor"], self.tz) for uid in by_user}
        channels = definition.get("channels") or ["inbox"]
        logs: list[dict] = []
        prepared = []
        for o in occurrences:
            items = []
            for uid in sorted(o.users):
                user = users.get(uid)
                record = readable.get(uid, {}).get(o.record_id)
                if user is None:
                    continue
                if record is None:
                    logs.append(_log(rule["id"], now, "warning", f"{user['display']} may not read record "
                                     f"#{o.record_id}: no reminder for them.", o.record_id, uid))
                    continue
                extra = {"record": display_of(table, record, self.tz), "rule": rule["name"],
                         "date": self._when_text(o.occurrence)}
                rendered = renderers[uid].render(definition.get("message") or "", table, record, extra)
                if rendered.hidden:
                    logs.append(_log(rule["id"], now, "warning",
                                     f"{', '.join('{' + h + '}' for h in rendered.hidden)} left empty for "
                                     f"{user['display']}: they may not read it.", o.record_id, uid))
                items.append((uid, user, rendered.text or extra["record"], extra["record"]))
            prepared.append((o, items))
        if not prepared and not logs:
            if advance:
                self._idle.append(rule["id"])
            return report
        with self.rt.engine.begin() as conn:
            for o, items in prepared:
                late = now - o.due > timing.LATE_AFTER
                delivery_id = insert_ignoring_duplicates(conn, cf_reminder_deliveries, dict(
                    rule_id=rule["id"], record_id=o.record_id, occurrence=o.key, due_at=o.due, delivered_at=now,
                    late=late, state="delivered" if items else "skipped", recipients=[i[0] for i in items]))
                if delivery_id is None:
                    report.already += 1
                    continue
                if not items:
                    report.skipped += 1
                    continue
                report.delivered += 1
                report.late += int(late)
                for uid, user, body, shown in items:
                    if "inbox" in channels:
                        conn.execute(insert(cf_inbox).values(
                            user_id=uid, delivery_id=delivery_id, rule_id=rule["id"], table_id=table.id,
                            record_id=o.record_id, title=rule["name"][:300], body=body, items=None, due_at=o.due,
                            late=late, created_at=now))
                    if "email" in channels and user["email"]:
                        self._queue_mail(conn, f"reminder:{delivery_id}:{uid}", user["email"],
                                         f"{rule['name']}: {shown}", body, table, o.record_id, now)
                audit.record(conn, table.id, o.record_id, "reminder", None, {"_reminder": {
                    "rule": rule["name"], "rule_id": rule["id"], "date": o.key, "late": late,
                    "to": [i[1]["display"] for i in items]}}, None, now)
            if logs:
                conn.execute(insert(cf_reminder_log), logs)
            if advance:
                self._advance(rule["id"], now, conn)
        return report

    def _digest(self, rule, definition: dict, snap: Snapshot, table: TableDef, paths: list[str], day: dt.date,
                when: timing.Timing, start: dt.datetime, now: dt.datetime) -> TickReport:
        """One inbox item per recipient listing the records (they may read) that meet the condition."""
        report = TickReport()
        due = when.due(day)
        key = timing.occurrence_key(day)
        if self._not_yet_delivered(rule["id"], [Occurrence(0, key, due, day)]) == []:
            self._advance(rule["id"], now)
            report.already += 1
            return report
        rows, after = [], None
        while True:
            with self.rt.engine.connect().execution_options(cf_readonly=True) as conn, conn.begin():
                batch = due_rows(conn, snap, self.rt.registry, table, None, None, definition.get("condition"),
                                 paths, today=day, now=now, after=after, limit=BATCH)
            rows += batch
            if len(batch) < BATCH:
                break
            after = batch[-1]["key"]
        by_user: dict[int, list[int]] = {}
        for row in rows:
            for uid in self._recipients_of(row, definition):
                by_user.setdefault(uid, []).append(row["id"])
        users = self._users(set(by_user))
        channels = definition.get("channels") or ["inbox"]
        prepared = []
        for uid, ids in sorted(by_user.items()):
            user = users.get(uid)
            if user is None:
                continue
            readable = self._readable(user["actor"], table, ids)
            if not readable:
                continue
            items = [{"id": rid, "display": display_of(table, readable[rid], self.tz)} for rid in sorted(readable)]
            extra = {"rule": rule["name"], "date": day.isoformat(), "count": str(len(items))}
            body = Renderer(self.rt.records, snap, user["actor"], self.tz).render(
                definition.get("message") or "", table, {}, extra).text or \
                f"{rule['name']}: {len(items)}"
            prepared.append((uid, user, body, items))
        late = now - due > timing.LATE_AFTER
        with self.rt.engine.begin() as conn:
            delivery_id = insert_ignoring_duplicates(conn, cf_reminder_deliveries, dict(
                rule_id=rule["id"], record_id=0, occurrence=key, due_at=due, delivered_at=now, late=late,
                state="delivered" if prepared else "skipped", recipients=[p[0] for p in prepared]))
            if delivery_id is None:
                report.already += 1
            else:
                report.delivered += 1 if prepared else 0
                report.skipped += 0 if prepared else 1
                for uid, user, body, items in prepared:
                    if "inbox" in channels:
                        conn.execute(insert(cf_inbox).values(
                            user_id=uid, delivery_id=delivery_id, rule_id=rule["id"], table_id=table.id,
                            record_id=None, title=rule["name"][:300], body=body, items=items[:DIGEST_ITEMS],
                            due_at=due, late=late, created_at=now))
                    if "email" in channels and user["email"]:
                        lines = [body, ""] + [f"- {i['display']}" + (f"  {self._link(table, i['id'])}"
                                                                    if self._link(table, i["id"]) else "")
                                              for i in items[:DIGEST_ITEMS]]
                        self._queue_mail(conn, f"reminder:{delivery_id}:{uid}", user["email"],
                                         f"{rule['name']} ({len(items)})", "\n".join(lines), None, None, now)
            self._advance(rule["id"], now, conn)
        return report

    # --- helpers ------------------------------------------------------------------------
    def _not_yet_delivered(self, rule_id: int, occurrences: list[Occurrence]) -> list[Occurrence]:
        """Leave out occurrences already delivered (a cheap pre-check; the unique key decides)."""
        if not occurrences:
            return []
        ids = sorted({o.record_id for o in occurrences})
        taken = set()
        with self.rt.engine.connect() as conn:
            for i in range(0, len(ids), 900):
                taken.update(conn.execute(select(cf_reminder_deliveries.c.record_id, cf_reminder_deliveries.c.occurrence)
                                          .where(cf_reminder_deliveries.c.rule_id == rule_id,
                                                 cf_reminder_deliveries.c.record_id.in_(ids[i:i + 900]))).all())
        return [o for o in occurrences if (o.record_id, o.key) not in taken]

    def _users(self, ids: set) -> dict[int, dict]:
        """Active users among ``ids``: their actor (as the access rules see them), name, email."""
        out = {}
        if not ids:
            return out
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(cf_users.c.id, cf_users.c.email, cf_users.c.is_active)
                                .where(cf_users.c.id.in_(sorted(ids)))).mappings().all()
        for row in rows:
            if not row["is_active"]:
                continue
            cache = getattr(self, "_user_cache", None)
            if cache is None:
                cache = self._user_cache = {}
            if row["id"] not in cache:
                cache[row["id"]] = self.rt.users.get(row["id"])
            actor = cache[row["id"]]
            if actor is None or not actor.is_active:
                continue
            out[row["id"]] = {"actor": actor, "display": actor.display, "email": row["email"]}
        return out

    def _readable(self, actor, table: TableDef, ids: list[int]) -> dict[int, dict]:
        """The records among ``ids`` that ``actor`` may read, as they may read them."""
        out: dict[int, dict] = {}
        unique = sorted(set(ids))
        for i in range(0, len(unique), READ_CHUNK):
            chunk = unique[i:i + READ_CHUNK]
            try:
                result = self.rt.records.list(actor, table.api_name, ListQuery(
                    filters=[("id", "in", ",".join(map(str, chunk)))], per_page=READ_CHUNK))
            except CardfileError:  # no read right on the table at all
                return {}
            out.update({r["id"]: r for r in result["records"]})
        return out

    def _queue_mail(self, conn, key: str, to: str, subject: str, body: str, table: TableDef | None,
                    record_id: int | None, now: dt.datetime) -> None:
        link = self._link(table, record_id) if table is not None and record_id else None
        text = body + (f"\n\n{link}" if link else "")
        queue_mail(conn, now, to, subject, text, key=key, source="reminder", priority=0)

    def _link(self, table: TableDef | None, record_id) -> str | None:
        base = getattr(self, "_base_url", "") or ""
        if not base or table is None:
            return None
        return f"{base}/t/{table.api_name}/{record_id}"

    def _when_text(self, occurrence) -> str:
        if isinstance(occurrence, dt.datetime):
            return occurrence.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return occurrence.isoformat()

    def _resolve(self, snap: Snapshot, rule, definition: dict):
        """(table, date field, problem): why the rule cannot run now, or None."""
        table = snap.tables.get(rule["table_id"])
        if table is None or not table.live:
            return None, None, "Its table is in the trash."
        if definition.get("kind") == "digest":
            return table, None, None
        field = table.field_by_id(definition.get("field_id"))
        if field is None:
            return table, None, "Its date field no longer exists."
        if not field.live:
            return table, None, f"Its date field {field.label!r} is in the trash."
        if field.type not in ("date", "datetime"):
            return table, None, f"Its field {field.label!r} is no longer a date (it is {field.type})."
        return table, field, None

    def _advance(self, rule_id: int, now: dt.datetime, conn=None) -> None:
        if conn is None:
            with self.rt.engine.begin() as own:
                return self._advance(rule_id, now, own)
        conn.execute(update(cf_reminder_rules).where(cf_reminder_rules.c.id == rule_id,
                                                     cf_reminder_rules.c.checked_until < now)
                     .values(checked_until=now))
        return None

    def _set_problem(self, rule, problem: str, now: dt.datetime) -> None:
        with self.rt.engine.begin() as conn:
            if rule["problem"] != problem:
                conn.execute(insert(cf_reminder_log).values(**_log(rule["id"], now, "error",
                                                                   f"Stopped: {problem}", None, None)))
            conn.execute(update(cf_reminder_rules).where(cf_reminder_rules.c.id == rule["id"])
                         .values(problem=problem))
            self._advance(rule["id"], now, conn)

    def _clear_problem(self, rule, now: dt.datetime) -> None:
        with self.rt.engine.begin() as conn:
            conn.execute(update(cf_reminder_rules).where(cf_reminder_rules.c.id == rule["id"]).values(problem=None))
            conn.execute(insert(cf_reminder_log).values(**_log(rule["id"], now, "info", "Runs again.", None, None)))


def _log(rule_id: int, at: dt.datetime, level: str, message: str, record_id, user_id) -> dict:
    return dict(rule_id=rule_id, at=at, level=level, message=message, record_id=record_id, user_id=user_id)


__all__ = ["ReminderEngine", "TickReport", "plain"]
