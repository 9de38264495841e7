"""When a reminder is due: pure date arithmetic, no database.

A rule reminds of a date or date-time field. Its **occurrence** is the value it reminds of
(for a yearly rule, that value's anniversary in one year); the occurrence is part of the
delivery's unique key, so an occurrence is delivered once, whatever edits come and go.

* date-time field, once:   due = value + offset (exact instants, UTC)
* date field, once:        due = (value at the rule's time of day, in the office's zone) + offset
* yearly (either type):    the anniversary of the value's date in a year, at the time of
                           day, + offset; 29 February falls on 28 February in other years
* digest:                  every day at the time of day (its occurrence is that day)

``candidates(rule, start, end)`` says which values can fall due within ``(start, end]``:
a range of date-times, a range of dates, or a set of month-days (yearly), and whether
anything can fall due at all (a date rule fires once a day: most minutes it cannot).
Offsets in days are counted on the calendar of the office's zone, so a reminder "1 day
before at 9:00" stays at 9:00 across a change to summer time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
UNITS = {"minutes": 1, "hours": 60, "days": 1440}
#: a reminder delivered this much after it was due is marked late (the scheduler was down)
LATE_AFTER = dt.timedelta(minutes=5)


@lru_cache(maxsize=32)
def zone(name: str | None) -> dt.tzinfo:
    """The office's time zone (``Settings.timezone``); an unknown name is a clear error."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r}; use a name such as Europe/Chisinau.") from None


@dataclass(frozen=True)
class Timing:
    """The timing part of a rule."""

    field_type: str              # "date" | "datetime" | "digest"
    offset_minutes: int = 0      # negative: before
    at: dt.time = dt.time(9, 0)  # time of day for dates, yearly rules and digests
    yearly: bool = False
    tz: dt.tzinfo = UTC

    @property
    def offset(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.offset_minutes)

    # --- one occurrence --------------------------------------------------------------
    def local_instant(self, day: dt.date) -> dt.datetime:
        """``day`` at the time of day in the office's zone, shifted by the offset, in UTC."""
        naive = dt.datetime.combine(day, self.at) + self.offset
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def due(self, occurrence) -> dt.datetime:
        """When the reminder of ``occurrence`` (a date, or an aware date-time) is due."""
        if isinstance(occurrence, dt.datetime):
            return (occurrence.astimezone(UTC) + self.offset) if not self.yearly else \
                self.local_instant(self.local_date(occurrence))
        return self.local_instant(occurrence)

    def local_date(self, value) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return value.astimezone(self.tz).date()
        return value

    def occurrence(self, value, year: int | None = None):
        """The occurrence of a field value: the value itself, or its anniversary in ``year``."""
        if not self.yearly:
            return value
        return anniversary(self.local_date(value), year)

    # --- a window ----------------------------------------------------------------------
    def days_due(self, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
        """Local days whose instant (time of day + offset) falls in ``(start, end]``."""
        first = (start.astimezone(self.tz).replace(tzinfo=None) - self.offset).date() - dt.timedelta(days=1)
        last = (end.astimezone(self.tz).replace(tzinfo=None) - self.offset).date() + dt.timedelta(days=1)
        days = []
        day = first
        while day <= last:
            if start < self.local_instant(day) <= end:
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def candidates(self, start: dt.datetime, end: dt.datetime) -> "Candidates | None":
        """What values can fall due in ``(start, end]``; None when nothing can."""
        if self.field_type == "datetime" and not self.yearly:
            return Candidates(kind="range", low=start - self.offset, high=end - self.offset)
        days = self.days_due(start, end)
        if not days:
            return None
        if self.field_type == "digest":
            return Candidates(kind="days", days=tuple(days))
        if not self.yearly:
            return Candidates(kind="dates", days=tuple(days))
        month_days = set()
        for day in days:
            month_days.add((day.month, day.day))
            if (day.month, day.day) == (2, 28) and not is_leap(day.year):
                month_days.add((2, 29))
        return Candidates(kind="month_days", days=tuple(days), month_days=tuple(sorted(month_days)))


@dataclass(frozen=True)
class Candidates:
    kind: str                                  # range | dates | month_days | days
    low: dt.datetime | None = None             # range: value in (low, high]
    high: dt.datetime | None = None
    days: tuple = ()                           # dates: values; month_days/days: local days due
    month_days: tuple = ()                     # yearly: (month, day) pairs


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def anniversary(value: dt.date, year: int) -> dt.date:
    """``value``'s month and day in ``year`` (29 February: the 28th in other years)."""
    if value.month == 2 and value.day == 29 and not is_leap(year):
        return dt.date(year, 2, 28)
    return dt.date(year, value.month, value.day)


def occurrence_key(occurrence) -> str:
    """The occurrence as the text of the delivery's unique key."""
    if isinstance(occurrence, dt.datetime):
        return occurrence.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return occurrence.isoformat()


def offset_minutes(offset: dict | None) -> int:
    """``{"amount": 15, "unit": "minutes", "direction": "before"}`` -> -15."""
    if not offset:
        return 0
    minutes = int(offset.get("amount", 0)) * UNITS[offset.get("unit", "minutes")]
    return -minutes if offset.get("direction", "before") == "before" else minutes


def parse_time(text: str | None) -> dt.time:
    if not text:
        return dt.time(9, 0)
    hours, _, minutes = str(text).partition(":")
    return dt.time(int(hours), int(minutes or 0))
