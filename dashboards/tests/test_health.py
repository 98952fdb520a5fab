"""Account health: the rule part by part, the explanation on the account page, the
health filter and column of the customer list."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import derived, health
from tests.factories import (
    AnswerFactory,
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    MembershipFactory,
    MilestoneFactory,
    OplItemFactory,
    PeriodFigureFactory,
    ProgrammeFactory,
    ResponseFactory,
    ServiceStandardFactory,
    SurveyFactory,
)


def text(response):
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def scores(h):
    return dict(zip(health.PART_KEYS, h.scores, strict=True))


def test_the_rule_by_hand():
    scores = (80.0, 60.0, None, 40.0, 50.0, None)  # satisfaction, OPL, …, scorecard
    h = health.Health(7, scores, inputs={key: {} for key in health.PART_KEYS})

    # (25·80 + 15·60 + 15·40 + 15·50) / (25 + 15 + 15 + 15) = 4250 / 70 = 60.71 → 61
    assert h.value == 61
    assert h.band == "watch"
    assert sum(p.contribution for p in h.parts if p.applies) == pytest.approx(4250 / 70)
    assert h.part("satisfaction").weight_share == pytest.approx(100 * 25 / 70)
    assert h.part("programmes").contribution is None
    assert health.round_half_up(65.5) == 66 and health.round_half_up(65.49) == 65


@pytest.mark.parametrize(("overdue", "stale", "score"), [(0, 0, 100), (1, 0, 80), (1, 1, 70),
                                                         (3, 3, 10), (5, 1, 0)])
def test_opl_part(overdue, stale, score):
    assert health.opl_score(overdue, stale) == score


@pytest.mark.parametrize(("on_time", "ppm", "score"), [
    (100, None, 100), (80, None, 0), (90, None, 50), (70, None, 0), (None, 0, 100),
    (None, 250, 75), (None, 5000, 0), (90, 250, 62.5), (None, None, None)])
def test_scorecard_part(on_time, ppm, score):
    assert health.scorecard_score(on_time, ppm) == score


@pytest.mark.parametrize(("value", "band"), [(100, "good"), (75, "good"), (74, "watch"),
                                             (50, "watch"), (49, "at_risk"), (0, "at_risk")])
def test_bands(value, band):
    assert health.band(value) == band
    low, high = health.band_range(band)
    assert low <= value <= high


def test_a_new_customer_has_no_data_not_a_low_health(tenant, in_tenant):
    """A freshly imported account with no contacts, items or visits yet is "no data", not
    at risk: no part is scored 0 for want of data."""
    customer = CustomerFactory(tenant=tenant, tier="C")
    ServiceStandardFactory(tenant=tenant, tier="C", kind="business_review", max_days=365)

    h = derived.explain(customer, tenant=tenant)

    assert scores(h) == dict.fromkeys(health.PART_KEYS)
    assert h.value is None and h.band == health.NO_DATA and str(h.band_label) == "No data"
    assert [p.applies for p in h.parts] == [False] * len(health.PART_KEYS)


def test_parts_apply_once_they_have_data(tenant, in_tenant):
    customer = CustomerFactory(tenant=tenant, tier="C")
    ServiceStandardFactory(tenant=tenant, tier="C", kind="business_review", max_days=365)
    ContactFactory(tenant=tenant, customer=customer, department="engineering",
                   decision_role="user", attitude=0)
    OplItemFactory(tenant=tenant, customer=customer, status="done")
    InteractionFactory(tenant=tenant, customer=customer, kind="call",
                       occurred_on=tenant.today())

    h = derived.explain(customer, tenant=tenant)

    # One contact: 1 of 5 checks (20); an OPL item, done: 100; a call logged but no
    # business review within 365 days: 0 of 1 standard met.
    assert scores(h) == {"satisfaction": None, "opl": 100.0, "programmes": None,
                         "relationships": 20.0, "cadence": 0.0, "scorecard": None}
    assert h.value == 40  # (15·100 + 15·20 + 15·0) / 45
    assert h.part("relationships").facts["missing"] == [
        "decision_maker", "purchasing", "logistics", "quality"]


def test_importing_new_accounts_does_not_raise_the_accounts_at_risk(tenant, in_tenant):
    from dashboards import selectors

    at_risk = CustomerFactory(tenant=tenant)
    OplItemFactory(tenant=tenant, customer=at_risk,
                   due_date=tenant.today() - timedelta(days=30),
                   last_update_at=timezone.now() - timedelta(days=40))
    ContactFactory(tenant=tenant, customer=at_risk, department="engineering",
                   decision_role="user", attitude=0)
    CustomerFactory.create_batch(5, tenant=tenant)  # imported: nothing but a name

    bands = {b["band"]: b["customers"]
             for b in selectors.health_panel(selectors.scope_for(tenant))["bands"]}

    assert bands == {"good": 0, "watch": 0, "at_risk": 1, "no_data": 5}


def test_every_part_from_the_data(tenant, in_tenant):
    today = tenant.today()
    customer = CustomerFactory(tenant=tenant, tier="A")
    # Satisfaction: the latest answered survey counts (4 of 5 → 75), not the older one.
    old = SurveyFactory(tenant=tenant, customer=customer, campaign__year=2024,
                        campaign__quarter=1, campaign__status="closed")
    AnswerFactory(tenant=tenant, response=ResponseFactory(tenant=tenant, survey=old), score=1)
    new = SurveyFactory(tenant=tenant, customer=customer, campaign__year=2024,
                        campaign__quarter=2, campaign__status="closed")
    AnswerFactory(tenant=tenant, response=ResponseFactory(tenant=tenant, survey=new), score=4)
    # OPL: one overdue, one stale, one done (ignored).
    OplItemFactory(tenant=tenant, customer=customer, due_date=today - timedelta(days=1))
    OplItemFactory(tenant=tenant, customer=customer,
                   last_update_at=timezone.now() - timedelta(days=15))
    OplItemFactory(tenant=tenant, customer=customer, status="done",
                   due_date=today - timedelta(days=9))
    # Programmes: an amber milestone (forecast 3 days late) → 50.
    programme = ProgrammeFactory(tenant=tenant, customer=customer)
    MilestoneFactory(tenant=tenant, programme=programme, planned_date=today + timedelta(30),
                     forecast_date=today + timedelta(33))
    lost = ProgrammeFactory(tenant=tenant, customer=customer, stage="lost")
    MilestoneFactory(tenant=tenant, programme=lost, planned_date=today - timedelta(30))
    # Relationships: a supportive decision maker in purchasing and an engineer: 3 of 5.
    ContactFactory(tenant=tenant, customer=customer, department="purchasing",
                   decision_role="decision_maker", attitude=2)
    ContactFactory(tenant=tenant, customer=customer, department="engineering",
                   decision_role="user", attitude=0)
    ContactFactory(tenant=tenant, customer=customer, department="quality", is_active=False)
    # Cadence: A has two standards; the business review is met, the visit is not.
    ServiceStandardFactory(tenant=tenant, tier="A", kind="business_review", max_days=90)
    ServiceStandardFactory(tenant=tenant, tier="A", kind="executive_visit", max_days=90)
    InteractionFactory(tenant=tenant, customer=customer, kind="business_review",
                       occurred_on=today - timedelta(days=30))
    InteractionFactory(tenant=tenant, customer=customer, kind="executive_visit",
                       occurred_on=today - timedelta(days=91))
    # Scorecard: the latest quarter with a figure: 95 % on time (75), 100 PPM (90).
    PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                        on_time_delivery=80, quality_ppm=900)
    PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q2",
                        on_time_delivery=95, quality_ppm=100)
    PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q3")

    h = derived.explain(customer, tenant=tenant)

    assert scores(h) == {"satisfaction": 75.0, "opl": 70.0, "programmes": 50.0,
                         "relationships": 60.0, "cadence": 50.0, "scorecard": 82.5}
    # (25·75 + 15·(70 + 50 + 60 + 50 + 82.5)) / 100 = 65.625 → 66
    assert h.value == 66
    assert h.part("satisfaction").facts["period"] == "2024Q2"
    assert h.part("cadence").facts["overdue"] == ["executive_visit"]
    assert h.part("scorecard").facts["period"] == "2026Q2"


def test_compute_is_set_based(tenant, in_tenant, django_assert_num_queries):
    from customers.models import Customer

    campaign = SurveyFactory(tenant=tenant, campaign__year=2024, campaign__quarter=2,
                             campaign__status="closed").campaign
    for _ in range(6):
        customer = CustomerFactory(tenant=tenant)
        OplItemFactory(tenant=tenant, customer=customer)
        ContactFactory(tenant=tenant, customer=customer)
        survey = SurveyFactory(tenant=tenant, customer=customer, campaign=campaign)
        AnswerFactory(tenant=tenant, response=ResponseFactory(tenant=tenant, survey=survey))
    # Customers, RAG settings, OPL, milestones, contacts, interactions, standards, and
    # for satisfaction the campaigns, the answers and the surveys' coverage.
    with django_assert_num_queries(10):
        found = health.compute(Customer.objects.all(), tenant=tenant)
    assert len(found) == 7
    assert sum(h.score("satisfaction") is not None for h in found.values()) == 6


@pytest.fixture
def admin(client, tenant):
    user = MembershipFactory(tenant=tenant, role="admin").user
    client.force_login(user)
    return user


def test_the_account_page_explains_the_health(client, tenant, in_tenant, admin):
    customer = CustomerFactory(tenant=tenant)
    OplItemFactory(tenant=tenant, customer=customer,
                   due_date=tenant.today() - timedelta(days=2))
    ContactFactory(tenant=tenant, customer=customer, department="logistics",
                   decision_role="user", attitude=0)

    page = text(client.get(reverse("customer_detail", args=[customer.pk])))

    assert 'id="panel-health"' in page
    assert "Account health" in page
    # OPL 80 (one overdue) and relationships 20 (1 of 5 checks): (15·80 + 15·20) / 30 = 50.
    assert re.search(r'id="health-value">.*?>50</span>', page)
    assert "Watch" in page
    assert "1 open, 1 overdue, 0 stale" in page
    assert "1 of 5 coverage checks met" in page
    assert "Not surveyed yet" in page
    assert "no data" in page
    # Each part links to its panel on the page.
    for panel in ("#panel-satisfaction", "#panel-programmes", "#panel-relationships",
                  "#panel-cadence", "#panel-figures"):
        assert f'href="{panel}"' in page


def test_the_customer_list_shows_and_filters_by_health(client, tenant, in_tenant, admin):
    healthy = CustomerFactory(tenant=tenant, name="Healthy Motors")
    for department in ("purchasing", "engineering", "logistics", "quality"):
        ContactFactory(tenant=tenant, customer=healthy, department=department,
                       decision_role="decision_maker", attitude=2)
    sick = CustomerFactory(tenant=tenant, name="Troubled Motors")
    for _ in range(3):
        OplItemFactory(tenant=tenant, customer=sick, due_date=tenant.today() - timedelta(1))

    listing = text(client.get(reverse("customer_list")))
    good = text(client.get(reverse("customer_list"), {"health": "good"}))
    at_risk = text(client.get(reverse("customer_list"), {"health": "at_risk"}))

    assert "Health" in listing and 'class="badge health-good"' in listing
    assert "Healthy Motors" in good and "Troubled Motors" not in good
    assert "Troubled Motors" in at_risk and "Healthy Motors" not in at_risk
    assert "1 customer" in at_risk


def test_the_customer_list_runs_a_fixed_number_of_queries(client, tenant, in_tenant, admin,
                                                          django_assert_max_num_queries):
    for size in (3, 30):
        for _ in range(size):
            customer = CustomerFactory(tenant=tenant)
            OplItemFactory(tenant=tenant, customer=customer)
        # 24, and one for the health arrows (dashboards.selectors.health_arrows).
        with django_assert_max_num_queries(25):
            client.get(reverse("customer_list"), {"health": "good"})
        with django_assert_max_num_queries(25):
            client.get(reverse("customer_list"))


def test_the_api_filters_customers_by_health(tenant, in_tenant, admin_api_client):
    CustomerFactory(tenant=tenant, code="OK")
    sick = CustomerFactory(tenant=tenant, code="SICK")
    for _ in range(4):
        OplItemFactory(tenant=tenant, customer=sick, due_date=tenant.today() - timedelta(1))

    rows = admin_api_client.get("/api/v1/customers/", {"health": "at_risk"}).json()["results"]

    assert [row["code"] for row in rows] == ["SICK"]
    assert admin_api_client.get("/api/v1/customers/", {"health": "bad"}).status_code == 400


def test_rag_colour_is_judge_without_the_sentence():
    """projects.rag.colour() (used for thousands of milestones here) agrees with judge()."""
    import itertools
    from datetime import date

    from projects import rag

    on = date(2026, 6, 15)
    policy = rag.RagPolicy(tolerance_days=7, due_soon_days=14)
    days = [-30, -8, -7, -1, 0, 1, 7, 8, 14, 15, 40]
    for planned_in, slip, actual_late, status in itertools.product(
            days, [None, -3, 0, 3, 7, 8, 30], [None, -2, 0, 5, 9],
            ["not_started", "in_progress", "done"]):
        planned = on + timedelta(days=planned_in)
        forecast = None if slip is None else planned + timedelta(days=slip)
        actual = None if actual_late is None else planned + timedelta(days=actual_late)
        kwargs = {"planned": planned, "forecast": forecast, "actual": actual,
                  "status": status, "on": on, "policy": policy}
        assert rag.colour(**kwargs) == rag.judge(**kwargs).rag, kwargs
