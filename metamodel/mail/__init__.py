"""Outgoing mail: one module for reminders, mailings and documents.

    settings.py   SMTP server, sender, rate, the site's address (environment, then the admin pages)
    addresses.py  email addresses checked with email-validator
    transport.py  SMTP (smtplib): temporary and permanent failures
    outbox.py     the queue in the database; ``send_due`` with retries, backoff and a log
    mailings.py   mass mailings: audience, template, preview, throttled and resumable sending
    unsubscribe.py signed unsubscribe links

Import rule: part of ``cardfile.metamodel``; records are read through ``RecordService`` as
the acting user; nothing here knows about Flask or the scheduler.
"""

from .outbox import MailOutbox, queue
from .settings import MailSettings

__all__ = ["MailOutbox", "MailSettings", "queue"]
