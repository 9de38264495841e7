"""Reminders, the inbox, outgoing mail, mailings and scheduled jobs.

``cf_reminder_rules`` (reminder rules as metadata, with how far the scheduler got),
``cf_reminder_deliveries`` (unique per rule + record + occurrence: a reminder is delivered
once), ``cf_reminder_log``, ``cf_inbox``; ``cf_mail_outbox`` and ``cf_mail_log`` (mail
queued in the database, sent with retries); ``cf_mailings``, ``cf_mailing_recipients``
(unique per mailing and record: a resumed mailing sends nobody twice), ``cf_unsubscribes``;
``cf_jobs`` (scheduled jobs: lease, last run, last error).

Revision ID: 0009_reminders_mail
"""
import sqlalchemy as sa
from alembic import op

from cardfile.metamodel.storage.sqltypes import UtcDateTime

revision = "0009_reminders_mail"
down_revision = "0008_access_sessions_uploads"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade():
    op.create_table(
        "cf_reminder_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("problem", sa.Text, nullable=True),
        sa.Column("checked_until", UtcDateTime, nullable=True),
        sa.Column("package", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.Integer, nullable=True),
        sa.Column("deleted_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_cf_reminder_rules_table", "cf_reminder_rules", ["table_id"])
    op.create_table(
        "cf_reminder_deliveries",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("cf_reminder_rules.id"), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("occurrence", sa.String(40), nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("delivered_at", UtcDateTime, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.UniqueConstraint("rule_id", "record_id", "occurrence", name="uq_cf_reminder_deliveries_key"),
    )
    op.create_table(
        "cf_reminder_log",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("rule_id", sa.Integer, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=True),
        sa.Column("user_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_cf_reminder_log_rule", "cf_reminder_log", ["rule_id", "at"])
    op.create_table(
        "cf_inbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("cf_users.id"), nullable=False),
        sa.Column("delivery_id", sa.BigInteger, nullable=True),
        sa.Column("rule_id", sa.Integer, nullable=True),
        sa.Column("table_id", sa.Integer, nullable=True),
        sa.Column("record_id", sa.BigInteger, nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("items", sa.JSON, nullable=True),
        sa.Column("due_at", UtcDateTime, nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("read_at", UtcDateTime, nullable=True),
        sa.Column("snoozed_until", UtcDateTime, nullable=True),
        sa.UniqueConstraint("delivery_id", "user_id", name="uq_cf_inbox_delivery_user"),
    )
    op.create_index("ix_cf_inbox_user", "cf_inbox", ["user_id", "read_at"])
    op.create_table(
        "cf_mail_outbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("key", sa.String(200), nullable=True, unique=True),
        sa.Column("to_addr", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=True),
        sa.Column("headers", sa.JSON, nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("mailing_id", sa.Integer, nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_cf_mail_outbox_due", "cf_mail_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_cf_mail_outbox_mailing", "cf_mail_outbox", ["mailing_id"])
    op.create_table(
        "cf_mail_log",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("outbox_id", sa.BigInteger, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_cf_mail_log_outbox", "cf_mail_log", ["outbox_id"])
    op.create_table(
        "cf_mailings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=True),
        sa.Column("email_field", sa.String(64), nullable=False),
        sa.Column("audience", sa.JSON, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("problem", sa.Text, nullable=True),
        sa.Column("total", sa.Integer, nullable=True),
        sa.Column("package", sa.String(64), nullable=True),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=True),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("deleted_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_cf_mailings_table", "cf_mailings", ["table_id"])
    op.create_table(
        "cf_mailing_recipients",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("mailing_id", sa.Integer, sa.ForeignKey("cf_mailings.id"), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("outbox_id", sa.BigInteger, nullable=True),
        sa.Column("at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("mailing_id", "record_id", name="uq_cf_mailing_recipients_record"),
    )
    op.create_index("ix_cf_mailing_recipients_state", "cf_mailing_recipients", ["mailing_id", "state", "position"])
    op.create_index("ix_cf_mailing_recipients_outbox", "cf_mailing_recipients", ["outbox_id"])
    op.create_table(
        "cf_unsubscribes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("mailing_id", sa.Integer, nullable=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("table_id", "record_id", name="uq_cf_unsubscribes_record"),
    )
    op.create_table(
        "cf_jobs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("last_started_at", UtcDateTime, nullable=True),
        sa.Column("last_finished_at", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("runs", sa.Integer, nullable=False),
    )
