"""Complete quarters only: a scoring window ends with the latest quarter that is over and
reported for the policy's coverage share of the customers reported the quarter before;
a run may name `as_of`. What the run, the scoring page and the API say about it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import scoring
from customers.models import Customer, ScoringPolicy
from kam import periods
from tests.factories import CustomerFactory, PeriodFigureFactory


def quarters(tenant):
    """(this quarter, the last closed one, the one before) on the tenant's calendar."""
    now = periods.current_period(tenant.today())
    return now, periods.shift_period(now, -1), periods.shift_period(now, -2)


def portfolio(tenant, n, periods):
    """n customers reporting every quarter of `periods`; revenue falls with the number."""
    customers = []
    for i in range(n):
        customer = CustomerFactory(tenant=tenant, code=f"K{i:03d}")
        for period in periods:
            PeriodFigureFactory(tenant=tenant, customer=customer, period=period,
                                revenue=1_000_000 - i * 10_000, supply_share=30,
                                gross_margin=20, payment_days=60, cost_to_serve=10_000)
        customers.append(customer)
    return customers


def tiers():
    return dict(Customer.objects.values_list("code", "tier"))


def test_figures_of_the_unfinished_quarter_move_no_tier(in_tenant):
    now, last, before = quarters(in_tenant)
    customers = portfolio(in_tenant, 40, [before, last])
    scoring.run_scoring(in_tenant)
    settled = tiers()
    # Two small customers report the current quarter early, with a huge revenue.
    for customer in customers[-2:]:
        PeriodFigureFactory(tenant=in_tenant, customer=customer, period=now,
                            revenue=50_000_000)

    run = scoring.run_scoring(in_tenant)

    assert (run.window_start, run.window_end) == (periods.shift_period(last, -3), last)
    assert tiers() == settled and run.changes == 0
    assert run.coverage["end"] == {"period": last, "reported": 40, "expected": 40,
                                   "closed": True, "complete": True}
    assert run.coverage["skipped"] == [{"period": now, "reported": 2, "expected": 40,
                                        "closed": False, "complete": False}]


def test_a_closed_quarter_reported_by_few_is_not_used_yet(in_tenant):
    _now, last, before = quarters(in_tenant)
    customers = portfolio(in_tenant, 40, [before])
    for customer in customers[:31]:  # 31 of 40 = 77.5 % < 80 %
        PeriodFigureFactory(tenant=in_tenant, customer=customer, period=last, revenue=10)

    status = scoring.window_status(scoring.current_policy(in_tenant), today=in_tenant.today())

    assert status.periods[-1] == before
    assert [(q.period, q.reported, q.expected, q.closed) for q in status.skipped] == [
        (last, 31, 40, True)]

    PeriodFigureFactory(tenant=in_tenant, customer=customers[31], period=last, revenue=10)
    # 32 of 40 = 80 %: complete.
    status = scoring.window_status(scoring.current_policy(in_tenant), today=in_tenant.today())
    assert status.periods[-1] == last and status.skipped == []


def test_the_coverage_share_is_the_policys(in_tenant):
    _now, last, before = quarters(in_tenant)
    customers = portfolio(in_tenant, 10, [before])
    PeriodFigureFactory(tenant=in_tenant, customer=customers[0], period=last, revenue=10)
    policy = ScoringPolicy.objects.create(tenant=in_tenant, version=2,
                                          coverage_share=Decimal("0.10"))

    assert scoring.window_status(policy, today=in_tenant.today()).periods[-1] == last
    assert scoring.run_scoring(in_tenant).policy_snapshot["coverage_share"] == "0.100"


def test_new_customers_do_not_count_against_a_quarter(in_tenant):
    """Coverage counts the customers reported the quarter before: a quarter reported by
    all of them plus newcomers is complete."""
    _now, last, before = quarters(in_tenant)
    customers = portfolio(in_tenant, 5, [before, last])
    portfolio_codes = {c.code for c in customers}
    newcomer = CustomerFactory(tenant=in_tenant, code="NEW")
    PeriodFigureFactory(tenant=in_tenant, customer=newcomer, period=last, revenue=5)

    status = scoring.window_status(scoring.current_policy(in_tenant), today=in_tenant.today())

    assert status.end.period == last and (status.end.reported, status.end.expected) == (5, 5)
    assert len(portfolio_codes) == 5


def test_a_run_may_name_as_of(in_tenant):
    _now, last, before = quarters(in_tenant)
    portfolio(in_tenant, 3, [before, last])

    run = scoring.run_scoring(in_tenant, as_of=before)

    assert run.window_end == before and run.as_of == before
    assert run.coverage["as_of"] == before


def test_as_of_must_be_a_quarter_that_is_over(in_tenant):
    now, _last, _before = quarters(in_tenant)
    with pytest.raises(ValidationError) as caught:
        scoring.run_scoring(in_tenant, as_of=now)
    assert "is not over yet" in str(caught.value.message_dict["as_of"])
    assert scoring.as_of_errors("2026-Q9", today=in_tenant.today())


def test_the_api_runs_as_of_and_shows_the_coverage(tenant, bearer_client):
    from tests.factories import MembershipFactory

    client = bearer_client(MembershipFactory(tenant=tenant, role="admin"))
    from kam.tenancy import tenant_context

    with tenant_context(tenant):
        now, last, before = quarters(tenant)
        customers = portfolio(tenant, 4, [before, last])
        PeriodFigureFactory(tenant=tenant, customer=customers[0], period=now, revenue=1)

    answer = client.post("/api/v1/scoring-runs/", {}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["window_end"] == last and body["as_of"] == ""
    assert body["coverage"]["skipped"] == [{"period": now, "reported": 1, "expected": 4,
                                            "closed": False, "complete": False}]

    answer = client.post("/api/v1/scoring-runs/", {"as_of": before},
                         content_type="application/json")
    assert answer.status_code == 201 and answer.json()["window_end"] == before

    answer = client.post("/api/v1/scoring-runs/", {"as_of": now},
                         content_type="application/json")
    assert answer.status_code == 400 and "as_of" in answer.json()


def test_the_scoring_page_says_what_the_next_run_uses(client, tenant):
    from kam.tenancy import tenant_context
    from tests.factories import MembershipFactory

    with tenant_context(tenant):
        now, last, before = quarters(tenant)
        customers = portfolio(tenant, 40, [before, last])
        for customer in customers[:2]:
            PeriodFigureFactory(tenant=tenant, customer=customer, period=now, revenue=1)
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)

    page = client.get(reverse("scoring_policy")).content.decode()

    assert f"{now}: 2 of 40 reported, the quarter is not over — not used yet." in page
    assert f"{last}: 40 of 40 reported." in page


def test_the_run_form_takes_as_of(client, tenant):
    from kam.tenancy import tenant_context
    from tests.factories import MembershipFactory

    with tenant_context(tenant):
        now, last, before = quarters(tenant)
        portfolio(tenant, 3, [before, last])
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)

    page = client.post(reverse("scoring_run_start"), {"as_of": before}, follow=True)
    assert f"Chosen to end with {before}." in page.content.decode()

    page = client.post(reverse("scoring_run_start"), {"as_of": now}, follow=True)
    assert "is not over yet" in page.content.decode()
