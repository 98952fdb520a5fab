"""The daily milestone reminders and the escalation of red programmes; `rag.red_since`."""

from datetime import UTC, date, datetime, timedelta

import pytest

from jobs.tests.helpers import notifications, run, run_twice
from projects import rag
from projects.models import Milestone
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    MilestoneChangeFactory,
    MilestoneFactory,
    ProgrammeFactory,
    ProgrammeSettingsFactory,
    RegionFactory,
    UserFactory,
)

DAY = date(2026, 5, 14)


def milestone(planned, forecast=None, status="not_started", actual=None):
    return Milestone(planned_date=planned, forecast_date=forecast, status=status,
                     actual_date=actual)


@pytest.mark.parametrize(("m", "forecast_set_on", "since"), [
    (milestone(date(2026, 5, 1)), None, date(2026, 5, 2)),  # past the customer date
    (milestone(date(2026, 6, 1), forecast=date(2026, 7, 1)), date(2026, 4, 20),
     date(2026, 4, 20)),  # forecast beyond the tolerance since it was set
    (milestone(date(2026, 6, 1), forecast=date(2026, 7, 1)), None, DAY),  # set: unknown
    (milestone(date(2026, 5, 1), forecast=date(2026, 7, 1)), date(2026, 3, 1),
     date(2026, 3, 1)),  # both: the earlier
    (milestone(date(2026, 6, 1), forecast=date(2026, 6, 5)), None, None),  # amber
    (milestone(date(2026, 5, 1), status="done", actual=date(2026, 5, 9)), None, None),
])
def test_red_since(m, forecast_set_on, since):
    assert rag.red_since(m, DAY, forecast_set_on=forecast_set_on) == since


@pytest.fixture
def people(tenant):
    def member(email, role="member"):
        return MembershipFactory(tenant=tenant, role=role, user=UserFactory(email=email)).user

    return {"owner": member("owner@alpha.example.com"), "pm": member("pm@alpha.example.com"),
            "leader": member("vp@alpha.example.com", "executive")}


@pytest.fixture
def programme(tenant, people):
    region = RegionFactory(tenant=tenant, name="East", leader=people["leader"])
    customer = CustomerFactory(tenant=tenant, name="East Motors", region=region)
    return ProgrammeFactory(tenant=tenant, customer=customer, code="EM-1", name="Door panels",
                            project_manager=people["pm"])


def test_due_soon_and_overdue_milestones_remind_their_people_once(tenant, people, programme,
                                                                   mailoutbox):
    MilestoneFactory(tenant=tenant, programme=programme, kind="design_freeze",
                     planned_date=DAY + timedelta(days=5), owner=people["owner"])
    MilestoneFactory(tenant=tenant, programme=programme, kind="t0",
                     planned_date=DAY - timedelta(days=3), owner=people["owner"])
    MilestoneFactory(tenant=tenant, programme=programme, kind="ots",
                     planned_date=DAY + timedelta(days=30), owner=people["owner"])
    orphan = ProgrammeFactory(tenant=tenant, code="OR-1", project_manager=None,
                              customer=programme.customer)
    MilestoneFactory(tenant=tenant, programme=orphan, kind="kick_off",
                     planned_date=DAY + timedelta(days=2), owner=None)

    first, _second, notes, mails = run_twice("milestone-reminders", tenant, DAY, mailoutbox)

    by_person = {(n.recipient.email, n.kind): n.text for n in notes}
    assert by_person == {
        ("owner@alpha.example.com", "milestone_due"):
            "Milestone Design freeze of EM-1 (East Motors) is due on 19 May 2026, in 5 days.",
        ("owner@alpha.example.com", "milestone_overdue"):
            "Milestone T0 tool trial of EM-1 (East Motors) is overdue: the customer date was "
            "11 May 2026, 3 days ago.",
        ("pm@alpha.example.com", "milestone_overdue"):
            "Milestone T0 tool trial of EM-1 (East Motors) is overdue: the customer date was "
            "11 May 2026, 3 days ago.",
    }
    assert len(mails) == 3
    assert first.counts["due_soon"] == 2 and first.counts["overdue"] == 1
    assert first.status == "partial"
    assert "OR-1 · Kick-off has no owner and its programme no project manager" in (
        first.problems[0]["message"])
    # The overdue reminder comes back a week later; the due-soon one does not.
    run("milestone-reminders", tenant, DAY + timedelta(days=1))
    assert len(notifications(tenant)) == 3
    run("milestone-reminders", tenant, DAY + timedelta(days=7))
    t0 = [n for n in notifications(tenant, kind="milestone_overdue") if "T0" in n.text]
    assert len(t0) == 4


def test_a_programme_red_for_the_escalation_days_goes_to_the_region_leader(
        tenant, people, programme, mailoutbox):
    ProgrammeSettingsFactory(tenant=tenant, escalation_days=10)
    late = MilestoneFactory(tenant=tenant, programme=programme, kind="t1",
                            planned_date=date(2026, 6, 30), forecast_date=date(2026, 8, 1),
                            owner=people["owner"])
    # The forecast went beyond the tolerance on 2026-05-01 (slip history; noon in Shanghai).
    MilestoneChangeFactory(tenant=tenant, milestone=late, field="forecast_date",
                           old_value="", new_value="2026-08-01",
                           changed_at=datetime(2026, 5, 1, 4, tzinfo=UTC))

    early = run("milestone-reminders", tenant, date(2026, 5, 10))  # red 9 days: not yet
    assert early.counts.get("escalated", 0) == 0
    first, _second, notes, _mails = run_twice("milestone-reminders", tenant,
                                              date(2026, 5, 11), mailoutbox)
    [escalation] = [n for n in notes if n.kind == "programme_escalation"]
    assert escalation.recipient == people["leader"]
    assert escalation.text == ("Programme EM-1 · Door panels (East Motors) has been red since "
                               "1 May 2026 (10 days): please step in.")
    assert escalation.url == f"/programmes/{programme.pk}/"
    assert first.counts["escalated"] == 1


def test_no_region_leader_is_a_problem_of_the_run(tenant, people, mailoutbox):
    customer = CustomerFactory(tenant=tenant, name="Lone Cars", region=None)
    lone = ProgrammeFactory(tenant=tenant, customer=customer, code="LC-1",
                            project_manager=people["pm"])
    MilestoneFactory(tenant=tenant, programme=lone, kind="t2",
                     planned_date=DAY - timedelta(days=30), owner=people["owner"])

    result = run("milestone-reminders", tenant, DAY)

    assert result.status == "partial"
    assert any("no region leader" in p["message"] for p in result.problems)
    assert not notifications(tenant, kind="programme_escalation")
    # The milestone reminders themselves still went out.
    assert len(notifications(tenant, kind="milestone_overdue")) == 2
