"""The dashboards compose the apps' figures: health, the executive dashboard and the
monthly report show one worst RAG, one set of movers and one count of closed OPL items,
because each is computed once, by the app that owns the data."""

from datetime import UTC, date, datetime, time, timedelta

from customers.models import Customer
from dashboards import health, report, selectors
from kam import periods
from satisfaction.models import OplItem
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    MilestoneFactory,
    OplItemFactory,
    ProgrammeFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
    SurveyTemplateFactory,
)


def test_a_cancelled_item_is_closed_once_in_the_burn_down_and_in_the_report(in_tenant):
    today = in_tenant.today()
    first, last = periods.previous_month(today)
    cancelled_on = first + timedelta(days=9)  # last month, and within the twelve weeks
    customer = CustomerFactory(tenant=in_tenant)
    item = OplItemFactory(tenant=in_tenant, customer=customer, status="cancelled",
                          opened_on=first - timedelta(days=120),
                          closed_on=first - timedelta(days=60))  # a date left from before
    at = datetime.combine(cancelled_on, time(12), tzinfo=in_tenant.tzinfo).astimezone(UTC)
    OplItem.objects.filter(pk=item.pk).update(updated_at=at)

    weeks = selectors.opl_panel(selectors.scope_for(in_tenant))["burndown"]
    month = report.build(in_tenant, first, last, today)["opl"]

    assert sum(week["closed"] for week in weeks) == 1
    closing_week = next(week for week in weeks if week["week_ending"] >= cancelled_on)
    assert closing_week["closed"] == 1
    assert weeks[0]["open"] == 1 and weeks[-1]["open"] == 0  # open until it was cancelled
    assert month["closed"] == 1


def test_health_the_dashboard_and_the_report_share_the_worst_rag(in_tenant):
    today = in_tenant.today()
    customer = CustomerFactory(tenant=in_tenant, name="Carmaker R")
    amber = ProgrammeFactory(tenant=in_tenant, customer=customer, code="R-1")
    MilestoneFactory(tenant=in_tenant, programme=amber, planned_date=today + timedelta(60),
                     forecast_date=today + timedelta(63), status="in_progress")
    red = ProgrammeFactory(tenant=in_tenant, customer=customer, code="R-2")
    MilestoneFactory(tenant=in_tenant, programme=red, planned_date=today + timedelta(90))
    MilestoneFactory(tenant=in_tenant, programme=red, planned_date=today - timedelta(1),
                     status="in_progress")

    found = health.compute(Customer.objects.all(), tenant=in_tenant, today=today)[customer.pk]
    panel = selectors.programmes(selectors.scope_for(in_tenant))
    month = report.build(in_tenant, *periods.previous_month(today), today)["rag"]

    assert found.inputs["programmes"]["worst_rag"] == "red"
    assert found.score("programmes") == 0.0
    expected = {"red": 1, "amber": 1, "green": 0, "none": 0}
    assert panel["rag"] == expected and month["counts"] == expected
    assert [p["code"] for p in month["red"]] == ["R-2"]


def test_the_dashboard_and_the_report_name_the_same_movers(in_tenant):
    template = SurveyTemplateFactory(tenant=in_tenant, scale_max=5)
    question = QuestionFactory(tenant=in_tenant, template=template, weight=1)
    before, now = (CampaignFactory(tenant=in_tenant, template=template, year=2026, quarter=q,
                                   status="closed") for q in (2, 3))
    # Three customers up by 25 (a tie), one down by 50.
    for code, was, score in (("C", 3, 4), ("A", 3, 4), ("B", 2, 3), ("D", 5, 3)):
        customer = CustomerFactory(tenant=in_tenant, code=code, name=f"Carmaker {code}")
        for campaign, value in ((before, was), (now, score)):
            survey = SurveyFactory(tenant=in_tenant, campaign=campaign, customer=customer)
            AnswerFactory(tenant=in_tenant, question=question, score=value,
                          response=ResponseFactory(tenant=in_tenant, survey=survey))

    panel = selectors.satisfaction(selectors.scope_for(in_tenant), movers=2)
    month = report.satisfaction_section(date(2026, 9, 30))

    assert [m["customer"]["code"] for m in panel["movers_up"]] == ["A", "B"]
    assert [m["customer"] for m in month["movers_up"]] == ["Carmaker A", "Carmaker B",
                                                           "Carmaker C"]
    assert [m["customer"]["code"] for m in panel["movers_down"]] == ["D"]
    assert [m["customer"] for m in month["movers_down"]] == ["Carmaker D"]
    assert [m["trend"] for m in month["movers_up"]] == [25.0, 25.0, 25.0]
