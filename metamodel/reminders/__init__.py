"""Reminders: rules as metadata, the scheduler's tick that delivers each occurrence once,
and the inbox.

    timing.py        when an occurrence is due (offsets, time of day, yearly, the office's zone)
    rules.py         RuleService: define, check (condition, recipients, placeholders), trash, packages
    placeholders.py  messages with {field} and {link.field}, rendered for one reader
    engine.py        ReminderEngine.tick(now): find, claim (unique key), deliver, in one commit
    inbox.py         Inbox: unread count, list, read, snooze

The query that finds due records lives with the record service (``records/due.py``);
recipients read records through ``RecordService`` as themselves. Import rule: part of
``cardfile.metamodel``; nothing here knows about Flask or the scheduler that calls ``tick``.
"""

from .engine import ReminderEngine, TickReport
from .inbox import Inbox
from .rules import RuleService

__all__ = ["Inbox", "ReminderEngine", "RuleService", "TickReport"]
