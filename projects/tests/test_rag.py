"""The RAG rules of the brief, on fixed dates (never the wall clock)."""

from datetime import date, timedelta

import pytest

from projects import rag
from projects.rag import Rag, RagPolicy, judge

ON = date(2026, 5, 1)
D = timedelta


@pytest.mark.parametrize(("planned", "forecast", "actual", "status", "expected"), [
    # done: green on time, else judged like a forecast
    (ON - D(10), None, ON - D(12), "done", Rag.GREEN),
    (ON - D(10), None, ON - D(10), "done", Rag.GREEN),
    (ON - D(10), None, ON - D(3), "done", Rag.AMBER),
    (ON - D(20), None, ON - D(2), "done", Rag.RED),
    # open, forecast on or before planned, not due soon
    (ON + D(30), None, None, "not_started", Rag.GREEN),
    (ON + D(30), ON + D(25), None, "in_progress", Rag.GREEN),
    # amber: forecast late within tolerance (7), boundary included
    (ON + D(30), ON + D(31), None, "in_progress", Rag.AMBER),
    (ON + D(30), ON + D(37), None, "in_progress", Rag.AMBER),
    # red: forecast beyond tolerance
    (ON + D(30), ON + D(38), None, "in_progress", Rag.RED),
    # amber: due within 14 days and not started (boundary 14 included, 15 not)
    (ON + D(14), None, None, "not_started", Rag.AMBER),
    (ON + D(15), None, None, "not_started", Rag.GREEN),
    (ON + D(14), None, None, "in_progress", Rag.GREEN),
    (ON, None, None, "not_started", Rag.AMBER),  # due today: not yet past
    # red: past the planned date and not done
    (ON - D(1), None, None, "in_progress", Rag.RED),
    (ON - D(1), ON + D(3), None, "in_progress", Rag.RED),
])
def test_milestone_colour(planned, forecast, actual, status, expected):
    verdict = judge(planned=planned, forecast=forecast, actual=actual, status=status, on=ON)
    assert verdict.rag == expected
    assert verdict.reason


def test_tolerance_and_window_are_settings():
    tight = RagPolicy(tolerance_days=2, due_soon_days=30)
    assert judge(planned=ON + D(40), forecast=ON + D(43), on=ON, status="in_progress",
                 policy=tight).rag == Rag.RED
    assert judge(planned=ON + D(25), on=ON, policy=tight).rag == Rag.AMBER
    assert judge(planned=ON + D(25), on=ON).rag == Rag.GREEN


def test_reason_says_why():
    verdict = judge(planned=ON + D(30), forecast=ON + D(40), on=ON, status="in_progress")
    assert "10" in verdict.reason and "7" in verdict.reason


class M:
    def __init__(self, planned, status="not_started", forecast=None, actual=None):
        self.planned_date, self.status = planned, status
        self.forecast_date, self.actual_date = forecast, actual


def test_programme_takes_worst_open_milestone():
    milestones = [
        M(ON - D(30), "done", actual=ON - D(1)),  # done late (red) but not open: ignored
        M(ON + D(60)),  # green
        M(ON + D(90), "in_progress", forecast=ON + D(93)),  # amber
    ]
    assert rag.programme_rag(milestones, ON) == Rag.AMBER
    milestones.append(M(ON - D(2), "in_progress"))
    assert rag.programme_rag(milestones, ON) == Rag.RED


def test_programme_without_open_milestones_has_no_colour():
    assert rag.programme_rag([M(ON - D(5), "done", actual=ON - D(5))], ON) is None
    assert rag.programme_rag([], ON) is None
    assert rag.programme_rag([M(ON - D(5))], ON, is_open=False) is None


def test_worst():
    assert rag.worst(["green", None, "amber"]) == Rag.AMBER
    assert rag.worst([]) is None
