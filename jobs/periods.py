"""The periods scheduled jobs run once in: a day, an ISO week, a fortnight, a month.

A period is named by its first day. Jobs use it to decide whether a tenant still needs
a run (`jobs.registry.Job.is_due`) and in de-duplication keys ("once per fortnight").
"""

from datetime import date, timedelta

DAILY = "daily"
WEEKLY = "weekly"
FORTNIGHTLY = "fortnightly"
MONTHLY = "monthly"
CADENCES = (DAILY, WEEKLY, FORTNIGHTLY, MONTHLY)

# Fortnights are counted from a Monday, so each one starts on a Monday and they never
# straddle a year boundary oddly (ISO week numbers would: 2026 has 53 weeks).
FORTNIGHT_EPOCH = date(2024, 1, 1)


def period_start(cadence, day):
    """The first day of the period of `cadence` that holds `day`."""
    if cadence == DAILY:
        return day
    if cadence == WEEKLY:
        return day - timedelta(days=day.weekday())
    if cadence == FORTNIGHTLY:
        return FORTNIGHT_EPOCH + timedelta(days=14 * ((day - FORTNIGHT_EPOCH).days // 14))
    if cadence == MONTHLY:
        return day.replace(day=1)
    raise ValueError(f"Unknown cadence {cadence!r}")


def quarter_of(day):
    return (day.month - 1) // 3 + 1


def quarter_start(day):
    return date(day.year, 3 * (quarter_of(day) - 1) + 1, 1)


def quarter_end(day):
    start = quarter_start(day)
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def previous_month(day):
    """(first day, last day) of the month before `day`'s."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def blocks_since(start, day, days):
    """How many whole `days`-long blocks lie between `start` and `day` (0 in the first):
    reminders that repeat every `days` days key on it."""
    return max((day - start).days, 0) // days
