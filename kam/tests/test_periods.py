"""Quarter arithmetic and the ways people write a quarter (kam.periods)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kam import periods
from kam.periods import Quarter


def test_quarters_add_across_years():
    assert str(Quarter(2026, 4) + 1) == "2027Q1"
    assert str(Quarter(2026, 1) - 1) == "2025Q4"
    assert periods.shift_period("2026Q2", -6) == "2024Q4"
    assert periods.window_periods("2026Q1", 4) == ["2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    assert periods.period_index("2026Q3") - periods.period_index("2025Q3") == 4


@pytest.mark.parametrize(("day", "quarter", "start", "end"), [
    (date(2026, 1, 1), "2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 6, 30), "2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
    (date(2026, 12, 31), "2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
])
def test_the_quarter_of_a_day_and_its_bounds(day, quarter, start, end):
    assert periods.current_period(day) == quarter
    assert periods.period_bounds(quarter) == (start, end)


@pytest.mark.parametrize("written", ["2026Q2", "2026-Q2", "2026 q2", "Q2 2026", "q2-2026",
                                     " 2026Q2 "])
def test_the_ways_people_write_a_quarter(written):
    assert periods.read_quarter(written) == "2026Q2"


@pytest.mark.parametrize("bad", ["2026Q5", "26Q2", "2026-06", "Q2", "", "1999Q1"])
def test_other_forms_are_refused(bad):
    with pytest.raises(ValidationError):
        periods.validate_period(periods.read_quarter(bad))
    if bad != "1999Q1":
        with pytest.raises(ValueError):
            Quarter.parse(bad)
