"""When occurrences are due: offsets, time of day in the office's zone, yearly, digests."""

from __future__ import annotations

import datetime as dt

import pytest

from cardfile.metamodel.reminders.timing import Timing, anniversary, occurrence_key, offset_minutes, zone

UTC = dt.timezone.utc
CHISINAU = zone("Europe/Chisinau")


def at(*args, tz=UTC):
    return dt.datetime(*args, tzinfo=tz)


def test_offsets():
    assert offset_minutes({"amount": 15, "unit": "minutes", "direction": "before"}) == -15
    assert offset_minutes({"amount": 30, "unit": "days", "direction": "before"}) == -30 * 1440
    assert offset_minutes({"amount": 2, "unit": "hours", "direction": "after"}) == 120


def test_a_date_time_field_is_due_offset_before_its_value():
    t = Timing("datetime", -15)
    assert t.due(at(2026, 3, 2, 9, 0)) == at(2026, 3, 2, 8, 45)
    found = t.candidates(at(2026, 3, 2, 8, 44), at(2026, 3, 2, 8, 45))
    assert (found.low, found.high) == (at(2026, 3, 2, 8, 59), at(2026, 3, 2, 9, 0))


def test_a_date_field_fires_at_the_time_of_day_in_the_office_zone():
    t = Timing("date", -30 * 1440, dt.time(9, 0), tz=CHISINAU)
    due = t.due(dt.date(2026, 4, 30))
    assert due == at(2026, 3, 31, 9, 0, tz=CHISINAU) == at(2026, 3, 31, 6, 0)  # summer time (UTC+3)
    assert t.candidates(at(2026, 3, 31, 5, 58), at(2026, 3, 31, 5, 59)) is None  # most minutes: nothing
    found = t.candidates(at(2026, 3, 31, 5, 59), at(2026, 3, 31, 6, 0))
    assert found.kind == "dates" and found.days == (dt.date(2026, 4, 30),)


def test_a_long_window_after_downtime_covers_every_day():
    t = Timing("date", 0, dt.time(9, 0))
    found = t.candidates(at(2026, 1, 1, 12, 0), at(2026, 1, 4, 12, 0))
    assert found.days == (dt.date(2026, 1, 2), dt.date(2026, 1, 3), dt.date(2026, 1, 4))


def test_yearly_birthdays_and_the_29th_of_february():
    t = Timing("date", 0, dt.time(9, 0), yearly=True)
    found = t.candidates(at(2027, 2, 28, 8, 59), at(2027, 2, 28, 9, 0))
    assert found.kind == "month_days" and set(found.month_days) == {(2, 28), (2, 29)}
    assert anniversary(dt.date(2000, 2, 29), 2027) == dt.date(2027, 2, 28)
    assert anniversary(dt.date(2000, 2, 29), 2028) == dt.date(2028, 2, 29)
    assert t.occurrence(dt.date(1980, 5, 12), 2026) == dt.date(2026, 5, 12)


def test_digests_fire_daily():
    t = Timing("digest", 0, dt.time(9, 0), tz=CHISINAU)
    found = t.candidates(at(2026, 1, 5, 6, 59), at(2026, 1, 5, 7, 0))  # 9:00 in winter is 7:00 UTC
    assert found.kind == "days" and found.days == (dt.date(2026, 1, 5),)


def test_keys_and_zones():
    assert occurrence_key(at(2026, 3, 2, 9, 0)) == "2026-03-02T09:00:00Z"
    assert occurrence_key(dt.date(2026, 3, 2)) == "2026-03-02"
    with pytest.raises(ValueError):
        zone("Mars/Olympus")
