"""The monthly management report: what it holds, who gets it, in which language, once."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from jobs.models import ManagementReport
from jobs.tests.helpers import run, run_twice
from kam.tenancy import tenant_context
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    MembershipFactory,
    MilestoneFactory,
    OplItemFactory,
    ProgrammeFactory,
    ResponseFactory,
    ScoringRunFactory,
    SurveyFactory,
    TierAssessmentFactory,
    UserFactory,
)

DAY = date(2026, 5, 1)  # the report for April 2026


@pytest.fixture
def executives(tenant):
    return {
        "en": MembershipFactory(tenant=tenant, role="executive", user=UserFactory(
            email="ceo@alpha.example.com", language="en")).user,
        "zh": MembershipFactory(tenant=tenant, role="executive", user=UserFactory(
            email="vp@alpha.example.com", language="zh-hans")).user,
    }


@pytest.fixture
def month_of_work(tenant):
    alpha = CustomerFactory(tenant=tenant, name="Alpha Motors", tier="A")
    OplItemFactory(tenant=tenant, customer=alpha, title="Opened in April",
                   opened_on=date(2026, 4, 3), due_date=date(2026, 4, 20))
    OplItemFactory(tenant=tenant, customer=alpha, title="Closed in April", status="done",
                   opened_on=date(2026, 3, 1), closed_on=date(2026, 4, 28),
                   due_date=date(2026, 4, 30))
    programme = ProgrammeFactory(tenant=tenant, customer=alpha, code="AM-7", name="Seats")
    MilestoneFactory(tenant=tenant, programme=programme, planned_date=date(2026, 4, 15))
    run_ = ScoringRunFactory(tenant=tenant, started_at=datetime(2026, 4, 10, 18, tzinfo=UTC))
    TierAssessmentFactory(tenant=tenant, run=run_, customer=alpha, previous_tier="B", tier="A")
    for year, quarter, score in ((2026, 1, 3), (2026, 2, 5)):
        campaign = CampaignFactory(tenant=tenant, year=year, quarter=quarter, status="closed")
        survey = SurveyFactory(tenant=tenant, campaign=campaign, customer=alpha)
        AnswerFactory(tenant=tenant, response=ResponseFactory(tenant=tenant, survey=survey),
                      score=score)
    return alpha


def test_the_report_is_written_once_and_e_mailed_to_each_executive_in_their_language(
        tenant, executives, month_of_work, mailoutbox):
    first, _second, notes, mails = run_twice("management-report", tenant, DAY, mailoutbox)

    assert first.counts["reports"] == 1
    with tenant_context(tenant):
        report = ManagementReport.objects.get()
    assert report.period_start == date(2026, 4, 1)
    data = report.data
    assert data["opl"]["opened"] == 1 and data["opl"]["closed"] == 1
    assert data["opl"]["overdue"] == 1
    assert data["opl"]["top_overdue"][0]["title"] == "Opened in April"
    assert data["rag"]["counts"]["red"] == 1
    assert data["rag"]["red"][0]["code"] == "AM-7"
    assert data["tiers"] == [{"customer": "Alpha Motors", "from": "B", "to": "A",
                              "url": f"/customers/{month_of_work.pk}/"}]
    satisfaction = data["satisfaction"]
    assert satisfaction["campaign"] == "2026Q2" and satisfaction["previous"] == "2026Q1"
    assert satisfaction["movers_up"][0]["customer"] == "Alpha Motors"
    assert satisfaction["movers_up"][0]["trend"] == 50.0

    assert {n.recipient.email for n in notes} == {"ceo@alpha.example.com",
                                                  "vp@alpha.example.com"}
    assert all(n.url == reverse("report_detail", args=[report.pk]) for n in notes)
    by_to = {m.to[0]: m for m in mails}
    english, chinese = by_to["ceo@alpha.example.com"], by_to["vp@alpha.example.com"]
    assert english.subject == "KAM management report, April 2026"
    assert "Alpha Motors: B → A" in english.body
    assert "AM-7 Seats (Alpha Motors)" in english.body
    html, mimetype = english.alternatives[0]
    assert mimetype == "text/html" and "<h2" in html and "Opened in April" in html
    assert f"http://127.0.0.1:8000/reports/{report.pk}/" in english.body
    # Written in the reader's language (the month at least: Django's own formats).
    assert "2026年4月" in chinese.subject and "2026年4月" in chinese.body


def test_without_executives_the_report_is_kept_and_the_run_says_so(tenant, month_of_work):
    result = run("management-report", tenant, DAY)
    assert result.status == "partial"
    assert "Nobody has the executive role" in result.problems[0]["message"]
    with tenant_context(tenant):
        assert ManagementReport.objects.count() == 1


def test_a_later_run_in_the_month_does_not_rewrite_the_report(tenant, executives,
                                                              month_of_work):
    run("management-report", tenant, DAY)
    with tenant_context(tenant):
        before = ManagementReport.objects.get().data
        OplItemFactory(tenant=tenant, customer=month_of_work, opened_on=date(2026, 4, 5))
    run("management-report", tenant, DAY + timedelta(days=3))
    with tenant_context(tenant):
        assert ManagementReport.objects.get().data == before
