"""The customers' scheduled jobs: nightly re-scoring and visit-cadence reminders."""

from datetime import date, timedelta

import pytest

from customers import cadence
from customers.models import Customer, ScoringRun
from jobs.tests.helpers import notifications, run, run_twice
from kam.tenancy import tenant_context
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    MembershipFactory,
    PeriodFigureFactory,
    UserFactory,
)

DAY = date(2026, 5, 14)


@pytest.fixture
def people(tenant):
    return {
        "kam": MembershipFactory(tenant=tenant, role="manager",
                                 user=UserFactory(email="kam@alpha.example.com")).user,
        "exec": MembershipFactory(tenant=tenant, role="executive",
                                  user=UserFactory(email="exec@alpha.example.com")).user,
    }


@pytest.fixture
def portfolio(tenant, people):
    """Ten customers, all tier C so far, ranked by revenue: C9 will be A, C8 and C7 B.
    C8 has no owner."""
    customers = []
    for n in range(10):
        customer = CustomerFactory(tenant=tenant, code=f"C{n}", name=f"Carmaker {n}", tier="C",
                                   owner=None if n == 8 else people["kam"])
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                            revenue=(n + 1) * 1_000_000)
        customers.append(customer)
    return customers


def test_rescoring_tells_the_kam_and_the_executives_once(tenant, people, portfolio, mailoutbox):
    first, second, notes, mails = run_twice("rescoring", tenant, DAY, mailoutbox)

    assert first.status == "partial"  # C8 changed tier but has nobody to tell
    assert first.counts["tier_changes"] == 3
    assert first.counts["customers_scored"] == 10
    assert "Carmaker 8 moved from tier C to B, but has no owner" in first.problems[0]["message"]
    kam_notes = [n for n in notes if n.recipient == people["kam"]]
    assert sorted(n.text for n in kam_notes) == [
        "Carmaker 7 moved from tier C to B in the nightly re-scoring.",
        "Carmaker 9 moved from tier C to A in the nightly re-scoring.",
    ]
    assert all(n.url.startswith("/customers/") for n in kam_notes)
    [summary] = [n for n in notes if n.recipient == people["exec"]]
    assert summary.text == "Nightly re-scoring: 3 customers changed tier."
    assert summary.kind == "tier_changes"
    assert sorted(m.to[0] for m in mails) == ["exec@alpha.example.com",
                                              "kam@alpha.example.com", "kam@alpha.example.com"]
    assert first.counts["emails_sent"] == 3
    # The second night finds nothing new: a scoring run, but no change and no message.
    assert second.status == "ok"
    assert second.counts.get("tier_changes", 0) == 0
    with tenant_context(tenant):
        assert ScoringRun.objects.filter(trigger="schedule").count() == 2
        assert Customer.objects.get(code="C9").tier == "A"


def test_visit_cadence_reminds_the_kam_monthly_while_overdue(tenant, people, mailoutbox):
    with tenant_context(tenant):
        cadence.ensure_default_standards(tenant)
    served = CustomerFactory(tenant=tenant, name="Served Motors", tier="A", owner=people["kam"])
    InteractionFactory(tenant=tenant, customer=served, kind="executive_visit",
                       occurred_on=DAY - timedelta(days=10))
    InteractionFactory(tenant=tenant, customer=served, kind="business_review",
                       occurred_on=DAY - timedelta(days=100))
    CustomerFactory(tenant=tenant, name="Orphan Cars", tier="A", owner=None)
    CustomerFactory(tenant=tenant, name="Small Cars", tier="C", owner=people["kam"])

    first, _second, notes, mails = run_twice("visit-cadence", tenant, DAY, mailoutbox)

    texts = sorted(n.text for n in notes)
    assert texts == [
        "Business review with Served Motors is overdue: the last was on 3 Feb 2026, and "
        "tier A asks for one every 90 days.",
        "No business review with Small Cars on record: tier C asks for one every 365 days.",
        "No technical exchange with Served Motors on record: tier A asks for one every 60 "
        "days.",
    ]
    assert {n.kind for n in notes} == {"cadence_overdue"}
    assert len(mails) == 3
    assert first.status == "partial"
    assert first.problem_count == 1
    assert "Orphan Cars has 3 overdue visits or reviews but no owner" in (
        first.problems[0]["message"])
    # Next month the KAM hears again about what is still overdue.
    run("visit-cadence", tenant, DAY + timedelta(days=31))
    assert len(notifications(tenant)) == 6
