"""What the dashboard shows stays true at the edges: complete quarters only, answered
campaigns only, portfolio shares under a filter, one colour rule for the heatmap."""

from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from dashboards import derived, selectors
from dashboards.filters import DashboardFilter
from kam import periods
from satisfaction import index
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    CustomerFactory,
    InvitationFactory,
    MembershipFactory,
    PeriodFigureFactory,
    RegionFactory,
    ResponseFactory,
    SurveyFactory,
)


def quarters(tenant):
    now = periods.current_period(tenant.today())
    return now, periods.shift_period(now, -1), periods.shift_period(now, -2)


def figures(tenant, customers, period, revenue=1000):
    for customer in customers:
        PeriodFigureFactory(tenant=tenant, customer=customer, period=period, revenue=revenue)


# --- complete quarters ---------------------------------------------------------------------

def test_the_hhi_trend_and_concentration_skip_the_unfinished_quarter(in_tenant):
    now, last, before = quarters(in_tenant)
    customers = [CustomerFactory(tenant=in_tenant) for _ in range(40)]
    figures(in_tenant, customers, before)
    figures(in_tenant, customers, last)
    figures(in_tenant, customers[:2], now, revenue=50_000)  # two early reports

    data = selectors.concentration(selectors.scope_for(in_tenant))

    assert data["window"][-1] == last
    assert [row["period"] for row in data["trend"]][-1] == last
    # 40 equal customers: HHI 250, not the 6,000 of two customers' early figures.
    assert data["hhi"] == 250.0
    coverage = selectors.tiers(selectors.scope_for(in_tenant))["coverage"]
    assert coverage["skipped"] == [{"period": now, "reported": 2, "expected": 40,
                                    "closed": False, "complete": False}]


def test_the_dashboard_says_which_quarters_it_uses(client, tenant):
    from kam.tenancy import tenant_context

    with tenant_context(tenant):
        now, last, _before = quarters(tenant)
        customers = [CustomerFactory(tenant=tenant) for _ in range(5)]
        figures(tenant, customers, last)
        figures(tenant, customers[:1], now)
    client.force_login(MembershipFactory(tenant=tenant, role="executive").user)

    page = client.get(reverse("dashboard")).content.decode()

    assert f"Quarters used: {periods.shift_period(last, -3)}–{last}." in page
    assert f"{now}: 1 of 5 reported, the quarter is not over — not used yet." in page


# --- filtered views keep portfolio shares --------------------------------------------------

def test_a_filter_names_its_customers_with_their_share_of_the_portfolio(in_tenant):
    _now, last, _before = quarters(in_tenant)
    east = RegionFactory(tenant=in_tenant, code="east")
    big = CustomerFactory(tenant=in_tenant, name="Big West")
    small = CustomerFactory(tenant=in_tenant, name="Small East", region=east)
    figures(in_tenant, [big], last, revenue=9000)
    figures(in_tenant, [small], last, revenue=1000)
    filterset = DashboardFilter({"region": east.pk}, queryset=selectors.base_customers(),
                                request=SimpleNamespace(tenant=in_tenant))

    data = selectors.concentration(selectors.scope_for(in_tenant, filterset))

    # Small East is 100 % of the region but 10 % of the portfolio: no false alarm.
    assert data["top1"]["customer"]["name"] == "Small East"
    assert data["top1"]["share"] == 10.0 and not data["top1"]["flagged"]
    assert data["flagged"] == [] and data["within_filter"] and data["filter_share"] == 10.0
    assert data["hhi"] == 8200.0  # the portfolio's: 90² + 10²
    unfiltered = selectors.concentration(selectors.scope_for(in_tenant))
    assert unfiltered["top1"]["share"] == 90.0 and unfiltered["top1"]["flagged"]
    assert not unfiltered["within_filter"] and unfiltered["filter_share"] is None


def test_a_filtered_dashboard_says_its_shares_are_of_the_portfolio(client, tenant):
    from kam.tenancy import tenant_context

    with tenant_context(tenant):
        _now, last, _before = quarters(tenant)
        east = RegionFactory(tenant=tenant, code="east")
        figures(tenant, [CustomerFactory(tenant=tenant)], last, revenue=9000)
        figures(tenant, [CustomerFactory(tenant=tenant, region=east)], last, revenue=1000)
    client.force_login(MembershipFactory(tenant=tenant, role="executive").user)

    page = client.get(reverse("dashboard"), {"region": east.pk}).content.decode()

    assert "Shares of the whole portfolio’s revenue" in page
    assert "it holds 10.0 % of the revenue" in page
    assert "Share of revenue % (within the filter)" in page


# --- answered campaigns only ----------------------------------------------------------------

def campaign(tenant, back, status, customers, answered, invited=4, score=4):
    """A campaign `back` quarters ago; per customer `invited` departments invited and the
    first `answered` of them answered with `score` (of 5)."""
    year_quarter = periods.shift_period(periods.current_period(tenant.today()), -back)
    year, quarter = int(year_quarter[:4]), int(year_quarter[-1])
    round_ = CampaignFactory(tenant=tenant, year=year, quarter=quarter, status=status)
    departments = ["purchasing", "engineering", "logistics", "quality"][:invited]
    for customer in customers:
        survey = SurveyFactory(tenant=tenant, campaign=round_, customer=customer)
        for number, department in enumerate(departments):
            invitation = InvitationFactory(tenant=tenant, survey=survey, department=department,
                                           responded_at=timezone.now() if number < answered
                                           else None)
            if number < answered:
                response = ResponseFactory(tenant=tenant, survey=survey, invitation=invitation,
                                           department=department)
                AnswerFactory(tenant=tenant, response=response, score=score)
    return round_


def test_a_new_campaign_counts_only_once_enough_departments_answered(in_tenant):
    customers = [CustomerFactory(tenant=in_tenant) for _ in range(12)]
    closed = campaign(in_tenant, 1, "closed", customers, answered=2, invited=4, score=4)
    # The new quarter's first answers: 1 customer × 2 departments of 48 invited, all low.
    opened = campaign(in_tenant, 0, "open", customers[:1], answered=2, invited=4, score=1)
    for customer in customers[1:]:  # the others invited, not answered yet
        survey = SurveyFactory(tenant=in_tenant, campaign=opened, customer=customer)
        for department in ("purchasing", "engineering", "logistics", "quality"):
            InvitationFactory(tenant=in_tenant, survey=survey, department=department)

    data = selectors.satisfaction(selectors.scope_for(in_tenant))

    assert data["campaign"] == closed.period and not data["interim"]
    assert data["coverage"] == {"answered": 24, "invited": 48}
    assert data["waiting"] == [{"period": opened.period, "answered": 2, "invited": 48}]
    assert data["index"] == 75.0  # the closed quarter's 4 of 5, not the open one's 1 of 5
    h = derived.explain(customers[0], tenant=in_tenant)
    assert h.inputs["satisfaction"]["period"] == closed.period
    assert h.inputs["satisfaction"]["interim"] is False


def test_an_open_campaign_answered_enough_is_shown_as_interim(in_tenant):
    customers = [CustomerFactory(tenant=in_tenant) for _ in range(4)]
    campaign(in_tenant, 1, "closed", customers, answered=4, score=4)
    opened = campaign(in_tenant, 0, "open", customers, answered=3, score=5)  # 12 of 16

    data = selectors.satisfaction(selectors.scope_for(in_tenant))

    assert data["campaign"] == opened.period and data["interim"]
    assert data["coverage"] == {"answered": 12, "invited": 16} and data["waiting"] == []
    assert all(row["coverage"] == {"answered": 3, "invited": 4} for row in data["rows"])
    h = derived.explain(customers[0], tenant=in_tenant)
    assert h.inputs["satisfaction"] == {"index": 100.0, "period": opened.period,
                                        "answered": 3, "invited": 4, "interim": True}


def test_the_dashboard_marks_an_interim_index_and_its_coverage(client, tenant):
    from kam.tenancy import tenant_context

    with tenant_context(tenant):
        customers = [CustomerFactory(tenant=tenant) for _ in range(2)]
        campaign(tenant, 0, "open", customers, answered=4, score=4)
    client.force_login(MembershipFactory(tenant=tenant, role="executive").user)

    page = client.get(reverse("dashboard")).content.decode()

    assert 'class="badge text-bg-warning index-interim"' in page
    assert "8/8 answered" in page and "4/4 answered" in page


# --- one colour rule ------------------------------------------------------------------------

def test_the_heatmap_chart_and_the_report_cells_share_the_bands(client, tenant):
    from kam.tenancy import tenant_context

    with tenant_context(tenant):
        campaign(tenant, 1, "closed", [CustomerFactory(tenant=tenant)], answered=1, score=5)
    client.force_login(MembershipFactory(tenant=tenant, role="executive").user)

    with tenant_context(tenant):
        data = selectors.satisfaction(selectors.scope_for(tenant))
    report = client.get(reverse("satisfaction_portfolio")).content.decode()

    assert data["colour_bands"] == index.chart_bands()
    for lowest, key, background, _text in index.COLOUR_BANDS:
        assert f".sat-{key} {{ --bs-table-bg: {background};" in report
        assert any(band["gte"] == lowest and band["color"] == background
                   for band in data["colour_bands"])
    assert 'class="sat-cell fw-semibold sat-high"' in report  # 100 ≥ 80


def test_bands_cover_every_index_once():
    for value in (0, 49.9, 50, 64.9, 65, 79.9, 80, 100):
        matching = [band for band in index.chart_bands()
                    if band["gte"] <= value and (value < band["lt"] if "lt" in band
                                                 else value <= band["lte"])]
        assert len(matching) == 1, value
        assert matching[0]["color"] == index.band(value)[1]
    assert index.colour(None) == "sat-none"
