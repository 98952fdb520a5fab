"""Calendar periods: quarters ("2026Q3") and the periods scheduled jobs run once in (a
day, an ISO week, a fortnight, a month). The one place of calendar arithmetic.

Quarters are stored as text, "2026Q3", which sorts as time does. `Quarter` does the
arithmetic; `read_quarter` reads the ways people write one (2026-Q3, 2026 Q3, Q3 2026,
any case) for imports and the API; `validate_period` is the models' validator of the
stored form.

A job period is named by its first day. Jobs use it to decide whether a tenant still
needs a run (`jobs.registry.Job.is_due`) and in de-duplication keys ("once per
fortnight").
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PERIOD_RE = re.compile(r"^(?P<year>\d{4})Q(?P<quarter>[1-4])$")
# 2026Q2, 2026-Q2, 2026 Q2, Q2 2026, q2-2026: year and quarter either way round.
_WRITTEN_FORMS = re.compile(
    r"(?P<year>\d{4})\s*-?\s*Q(?P<quarter>[1-4])|Q(?P<quarter_first>[1-4])\s*-?\s*"
    r"(?P<year_last>\d{4})", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1–4

    @classmethod
    def of(cls, day):
        """The quarter `day` falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text):
        """The quarter of the stored form "2026Q3"; ValueError for anything else."""
        match = PERIOD_RE.match(text or "")
        if match is None:
            raise ValueError(f"not a quarter: {text!r}")
        return cls(int(match["year"]), int(match["quarter"]))

    @classmethod
    def from_index(cls, index):
        return cls(index // 4, index % 4 + 1)

    @property
    def index(self):
        """Quarters since year 0: consecutive quarters differ by one."""
        return self.year * 4 + self.number - 1

    def __add__(self, quarters):
        return Quarter.from_index(self.index + quarters)

    def __sub__(self, quarters):
        return Quarter.from_index(self.index - quarters)

    def __str__(self):
        return f"{self.year}Q{self.number}"

    @property
    def start(self):
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self):
        return (self + 1).start - timedelta(days=1)


def current_period(day):
    """The quarter of `day` as stored, e.g. "2026Q4"."""
    return str(Quarter.of(day))


def shift_period(period, quarters):
    """`period` moved by `quarters` (negative: back)."""
    return str(Quarter.parse(period) + quarters)


def period_index(period):
    return Quarter.parse(period).index


def window_periods(latest, quarters):
    """The `quarters` quarters ending with `latest`, oldest first."""
    end = Quarter.parse(latest)
    return [str(end - back) for back in range(quarters - 1, -1, -1)]


def period_bounds(period):
    """First and last day of a quarter like "2026Q3"."""
    quarter = Quarter.parse(period)
    return quarter.start, quarter.end


def read_quarter(value):
    """A quarter as it is stored ("2026Q2") from the ways people write it; anything else
    comes back stripped and upper-cased, for `validate_period` to refuse."""
    text = str(value or "").strip()
    match = _WRITTEN_FORMS.fullmatch(text)
    if match is None:
        return text.upper()
    return f"{match['year'] or match['year_last']}Q{match['quarter'] or match['quarter_first']}"


def validate_period(value):
    match = PERIOD_RE.match(value or "")
    if not match or not 2000 <= int(match["year"]) <= 2100:
        raise ValidationError(
            _("Enter a quarter like 2026Q3 (year, the letter Q, quarter 1–4)."), code="period"
        )


# --- the periods of scheduled jobs ----------------------------------------------------------

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


def previous_month(day):
    """(first day, last day) of the month before `day`'s."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def blocks_since(start, day, days):
    """How many whole `days`-long blocks lie between `start` and `day` (0 in the first):
    reminders that repeat every `days` days key on it."""
    return max((day - start).days, 0) // days
