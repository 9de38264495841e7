"""The platform tables of reminders, the inbox, outgoing mail, mailings and scheduled jobs
(revision 0009_reminders_mail). They belong to ``platform_tables.metadata``, which imports
this module, so the migration test compares them like every other ``cf_`` table.

    cf_reminder_rules        a rule: table, date field, offset, repeat, condition, recipients,
                             message, channels; ``checked_until`` is how far the scheduler got
    cf_reminder_deliveries   one row per rule + record + occurrence, unique: the exactly-once key
    cf_reminder_log          what a rule did not do, and why (hidden placeholders, no reader)
    cf_inbox                 one row per delivered reminder and recipient
    cf_mail_outbox           every outgoing message, sent by the scheduler with retries
    cf_mail_log              each attempt to send a message
    cf_mailings              a mass mailing: table, audience, template, state
    cf_mailing_recipients    one row per record of the audience, unique per mailing
    cf_unsubscribes          records (and addresses) that opted out of mailings
    cf_jobs                  scheduled jobs: who holds the lease (SQLite), last run, last error
"""

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint,
)

from .platform_tables import metadata
from .sqltypes import UtcDateTime

BIG_ID = BigInteger().with_variant(Integer, "sqlite")

cf_reminder_rules = Table(
    "cf_reminder_rules", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("definition", JSON, nullable=False),       # field, offset, at, repeat, condition, recipients, …
    Column("enabled", Boolean, nullable=False, default=True),
    Column("problem", Text, nullable=True),            # why the scheduler cannot run it (field deleted, …)
    Column("checked_until", UtcDateTime, nullable=True),  # occurrences due up to here are handled
    Column("package", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", Integer, nullable=True),
    Column("deleted_at", UtcDateTime, nullable=True),
    Index("ix_cf_reminder_rules_table", "table_id"),
)

cf_reminder_deliveries = Table(
    "cf_reminder_deliveries", metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("rule_id", Integer, ForeignKey("cf_reminder_rules.id"), nullable=False),
    Column("record_id", BigInteger, nullable=False),     # 0 for a digest
    Column("occurrence", String(40), nullable=False),    # the date (or date-time) reminded of
    Column("due_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=False),
    Column("late", Boolean, nullable=False, default=False),
    Column("state", String(20), nullable=False),         # delivered | skipped
    Column("recipients", JSON, nullable=False),          # user ids reached
    UniqueConstraint("rule_id", "record_id", "occurrence", name="uq_cf_reminder_deliveries_key"),
)

cf_reminder_log = Table(
    "cf_reminder_log", metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("rule_id", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("level", String(10), nullable=False),         # info | warning | error
    Column("message", Text, nullable=False),
    Column("record_id", BigInteger, nullable=True),
    Column("user_id", Integer, nullable=True),
    Index("ix_cf_reminder_log_rule", "rule_id", "at"),
)

cf_inbox = Table(
    "cf_inbox", metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("user_id", Integer, ForeignKey("cf_users.id"), nullable=False),
    Column("delivery_id", BigInteger, nullable=True),
    Column("rule_id", Integer, nullable=True),
    Column("table_id", Integer, nullable=True),
    Column("record_id", BigInteger, nullable=True),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("items", JSON, nullable=True),                # a digest's records: [{id, display}]
    Column("due_at", UtcDateTime, nullable=True),
    Column("late", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime, nullable=True),
    Column("snoozed_until", UtcDateTime, nullable=True),
    UniqueConstraint("delivery_id", "user_id", name="uq_cf_inbox_delivery_user"),
    Index("ix_cf_inbox_user", "user_id", "read_at"),
)

cf_mail_outbox = Table(
    "cf_mail_outbox", metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("key", String(200), nullable=True, unique=True),  # queued once per key (idempotent)
    Column("to_addr", String(320), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=True),
    Column("headers", JSON, nullable=True),
    Column("source", String(20), nullable=False),        # reminder | mailing | test | document
    Column("mailing_id", Integer, nullable=True),
    Column("priority", Integer, nullable=False, default=0),
    Column("state", String(12), nullable=False),         # queued claimed sending sent failed unknown cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("holder", String(100), nullable=True),        # the worker that claimed it
    Column("last_error", Text, nullable=True),
    Column("message_id", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Index("ix_cf_mail_outbox_due", "state", "next_attempt_at"),
    Index("ix_cf_mail_outbox_mailing", "mailing_id"),
)

cf_mail_log = Table(
    "cf_mail_log", metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("outbox_id", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(20), nullable=False),         # sent | retry | failed | unknown | resend
    Column("detail", Text, nullable=True),
    Index("ix_cf_mail_log_outbox", "outbox_id"),
)

cf_mailings = Table(
    "cf_mailings", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=True),
    Column("email_field", String(64), nullable=False),
    Column("audience", JSON, nullable=False),            # {"view": id} or {"filters", "where", "search"}
    Column("state", String(12), nullable=False),         # draft | sending | paused | done | cancelled
    Column("problem", Text, nullable=True),              # why it was paused
    Column("total", Integer, nullable=True),
    Column("package", String(64), nullable=True),
    Column("created_by", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("deleted_at", UtcDateTime, nullable=True),
    Index("ix_cf_mailings_table", "table_id"),
)

cf_mailing_recipients = Table(
    "cf_mailing_recipients", metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("mailing_id", Integer, ForeignKey("cf_mailings.id"), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("email", String(320), nullable=True),
    Column("state", String(12), nullable=False),         # pending | queued | sent | skipped | failed | unknown
    Column("reason", Text, nullable=True),
    Column("outbox_id", BigInteger, nullable=True),
    Column("at", UtcDateTime, nullable=True),
    UniqueConstraint("mailing_id", "record_id", name="uq_cf_mailing_recipients_record"),
    Index("ix_cf_mailing_recipients_state", "mailing_id", "state", "position"),
    Index("ix_cf_mailing_recipients_outbox", "outbox_id"),
)

cf_unsubscribes = Table(
    "cf_unsubscribes", metadata,
    Column("id", Integer, primary_key=True),
    Column("table_id", Integer, nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("email", String(320), nullable=True),
    Column("mailing_id", Integer, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    UniqueConstraint("table_id", "record_id", name="uq_cf_unsubscribes_record"),
)

cf_jobs = Table(
    "cf_jobs", metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(100), nullable=True),        # the worker holding the lease (SQLite)
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_started_at", UtcDateTime, nullable=True),
    Column("last_finished_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("runs", Integer, nullable=False, default=0),
)
