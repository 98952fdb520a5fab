"""Health history: the weekly snapshots of each customer's health, the OPL item a drop of
band proposes to the KAM, the trend on the account page and the arrows of the lists."""

import json
import re
from datetime import date, timedelta
from html import unescape

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from customers.models import Customer
from dashboards import health, seed, selectors, services
from dashboards.models import HealthSnapshot
from dashboards.tests.portfolio import build_portfolio
from jobs import services as job_services
from kam.tenancy import tenant_context
from satisfaction.models import OplItem, OplProposal
from satisfaction.services import accept_proposal, proposal_defaults
from tests.factories import (
    AccountHealthFactory,
    CustomerFactory,
    HealthSnapshotFactory,
    MembershipFactory,
    TeamMemberFactory,
)


def text(response):
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def monday(day):
    return day - timedelta(days=day.weekday())


def with_health(tenant, value, **customer_fields):
    """A customer whose stored health of today is `value` (None: no data)."""
    customer = CustomerFactory(tenant=tenant, **customer_fields)
    with tenant_context(tenant):
        found = health.compute(Customer.objects.filter(pk=customer.pk), tenant=tenant)
    AccountHealthFactory(tenant=tenant, customer=customer, value=value,
                         facts=orjson.dumps(found[customer.pk].inputs).decode(),
                         computed_on=tenant.today())
    return customer


def run_job(tenant, day=None):
    with tenant_context(tenant):
        return job_services.run("health-snapshots", tenant=tenant, day=day)


# --- the weekly job --------------------------------------------------------------------------

def test_running_the_job_twice_in_a_week_keeps_one_snapshot_per_customer(tenant):
    customers = [with_health(tenant, value) for value in (80, 55, None)]
    inactive = with_health(tenant, 30, is_active=False)
    day = tenant.today()

    first = run_job(tenant, day)
    second = run_job(tenant, day)

    assert first.status == second.status == "ok"
    assert second.counts["snapshots"] == 3
    with tenant_context(tenant):
        rows = list(HealthSnapshot.objects.order_by("customer_id")
                    .values_list("customer_id", "week", "value", "band"))
    assert rows == [(customers[0].pk, monday(day), 80, "good"),
                    (customers[1].pk, monday(day), 55, "watch"),
                    (customers[2].pk, monday(day), None, "no_data")]
    assert inactive.pk not in {row[0] for row in rows}


def test_a_rerun_rewrites_the_week_with_the_health_as_it_is_now(tenant):
    customer = with_health(tenant, 80)
    run_job(tenant)
    with tenant_context(tenant):
        from dashboards.models import AccountHealth
        AccountHealth.objects.filter(customer=customer).update(value=60)
    run_job(tenant)

    with tenant_context(tenant):
        assert list(HealthSnapshot.objects.values_list("value", "band")) == [(60, "watch")]


def test_the_parts_are_kept_by_name(tenant):
    customer = with_health(tenant, 50)  # scores: OPL 100, relationships 0
    run_job(tenant)
    with tenant_context(tenant):
        parts = HealthSnapshot.objects.get(customer=customer).parts
    assert parts == {"satisfaction": None, "opl": 100.0, "programmes": None,
                     "relationships": 0.0, "cadence": None, "scorecard": None}


def test_the_job_runs_the_same_queries_for_3_or_15_customers(tenant, other_tenant):
    def queries(tenant, size):
        build_portfolio(tenant, size=size)
        run_job(tenant)  # health stored, and a first snapshot to compare with
        with CaptureQueriesContext(connection) as captured:
            run_job(tenant, tenant.today() + timedelta(days=7))
        with tenant_context(tenant):
            assert HealthSnapshot.objects.count() == 2 * size
        return len(captured.captured_queries)

    few, many = queries(tenant, 3), queries(other_tenant, 15)
    # The run's own records, the health recomputed for the new day, one read of the
    # previous snapshots, one upsert, the proposals.
    assert few == many <= 25


# --- a drop of band proposes an OPL item -----------------------------------------------------

def previous_week(tenant, customer, value, band):
    HealthSnapshotFactory(tenant=tenant, customer=customer, value=value, band=band,
                          week=monday(tenant.today()) - timedelta(weeks=1))


def proposals(tenant):
    with tenant_context(tenant):
        return list(OplProposal.objects.filter(source=OplProposal.Source.HEALTH)
                    .values_list("customer_id", "week", "status"))


def test_a_drop_of_band_proposes_one_item_to_the_kam_however_often_the_job_runs(tenant):
    owner = MembershipFactory(tenant=tenant, role="manager").user
    dropped = with_health(tenant, 45, name="Falling Motors", owner=owner)
    previous_week(tenant, dropped, 78, "good")

    assert run_job(tenant).counts["proposed"] == 1
    assert run_job(tenant).counts.get("proposed", 0) == 0

    assert proposals(tenant) == [(dropped.pk, monday(tenant.today()), "pending")]
    with tenant_context(tenant):
        proposal = OplProposal.objects.get(customer=dropped)
        assert proposal.answer is None
        assert "Falling Motors" in proposal.title and "At risk" in proposal.title
        assert "78" in proposal.description and "45" in proposal.description
        # Kept as its message id: each reader sees it in their language.
        assert proposal.generated["title"]["message"]["id"] == (
            "Health of %(customer)s fell from %(before)s to %(after)s")
        with translation.override("zh-hans"):
            assert "Falling Motors" in proposal.title_text


def test_a_decided_proposal_is_not_proposed_again_in_the_same_week(tenant):
    owner = MembershipFactory(tenant=tenant, role="manager").user
    dropped = with_health(tenant, 60, owner=owner)
    previous_week(tenant, dropped, 90, "good")
    run_job(tenant)
    with tenant_context(tenant):
        OplProposal.objects.update(status=OplProposal.Status.DISMISSED)
    run_job(tenant)
    assert proposals(tenant) == [(dropped.pk, monday(tenant.today()), "dismissed")]


@pytest.mark.parametrize("before,now", [
    ((40, "at_risk"), 80),  # a rise
    ((60, "watch"), 52),  # lower, in the same band
    ((80, "good"), None),  # no data now
    ((None, "no_data"), 30),  # no data before
])
def test_a_rise_the_same_band_or_no_data_proposes_nothing(tenant, before, now):
    customer = with_health(tenant, now)
    previous_week(tenant, customer, *before)
    run_job(tenant)
    assert proposals(tenant) == []


def test_the_first_snapshot_proposes_nothing(tenant):
    with_health(tenant, 20)
    run_job(tenant)
    assert proposals(tenant) == []


def test_the_kam_sees_the_proposal_and_accepts_it_as_a_health_item(client, tenant):
    owner = MembershipFactory(tenant=tenant, role="manager").user
    dropped = with_health(tenant, 45, name="Falling Motors", owner=owner)
    TeamMemberFactory(tenant=tenant, team__customer=dropped, user=owner, role="AR")
    previous_week(tenant, dropped, 78, "good")
    run_job(tenant)
    client.force_login(owner)

    page = text(client.get(reverse("opl_proposals")))

    assert "Health of Falling Motors fell from Good to At risk" in page
    assert reverse("customer_detail", args=[dropped.pk]) in page
    with tenant_context(tenant):
        proposal = OplProposal.objects.get(customer=dropped)
        accept_url = reverse("opl_proposal_accept", args=[proposal.pk])
        assert accept_url in page
        assert client.get(accept_url).status_code == 200
        item = accept_proposal(proposal, user=owner,
                               **proposal_defaults(proposal, tenant.today()))
        assert (item.source, item.owner, item.accountable) == (
            OplItem.Source.HEALTH, owner, owner)
        assert item.priority == OplItem.Priority.HIGH
        assert item.title == proposal.title


# --- the trend on the account page -----------------------------------------------------------

def snapshots(tenant, customer, values):
    """Weekly snapshots of `values`, the last one this week."""
    this_week = monday(tenant.today())
    for back, value in enumerate(reversed(values)):
        band = ("no_data" if value is None else "good" if value >= 75
                else "watch" if value >= 50 else "at_risk")
        HealthSnapshotFactory(tenant=tenant, customer=customer, value=value, band=band,
                              week=this_week - timedelta(weeks=back))


def test_the_account_page_has_the_trend_and_its_numbers(admin_client, tenant):
    customer = with_health(tenant, 48)
    snapshots(tenant, customer, [90] + [80, 70, 60, 48])  # the 90 is 30 weeks ago
    with tenant_context(tenant):
        HealthSnapshot.objects.filter(value=90).update(
            week=monday(tenant.today()) - timedelta(weeks=30))

    response = admin_client.get(reverse("customer_detail", args=[customer.pk]))

    page = response.content.decode()
    data = json.loads(re.search(r'<script id="health-trend-data" type="application/json">'
                                r"(.*?)</script>", page, re.S).group(1))
    assert [row["value"] for row in data] == [80, 70, 60, 48]
    assert data[-1] == {"week": monday(tenant.today()).isoformat(), "value": 48,
                        "band": "at_risk"}
    assert 'data-chart="health_trend"' in page
    numbers = page[page.index('id="health-trend-numbers"'):]
    numbers = numbers[:numbers.index("</details>")]
    assert numbers.count("<tr>") == 5  # the heading and four weeks


def test_an_account_without_snapshots_says_so(admin_client, tenant):
    customer = with_health(tenant, 48)
    page = text(admin_client.get(reverse("customer_detail", args=[customer.pk])))
    assert "No weekly snapshot yet" in page
    assert 'id="health-trend-data"' not in page


def test_the_qbr_selector_gives_the_quarter_of_snapshots_in_order(tenant):
    customer = with_health(tenant, 50)
    snapshots(tenant, customer, list(range(40, 60)))  # 20 weeks
    other = with_health(tenant, 50)
    snapshots(tenant, other, [10, 20])
    with tenant_context(tenant):
        trend = selectors.health_trend(customer)
        earlier = selectors.health_trend(customer, weeks=4,
                                         until=tenant.today() - timedelta(weeks=2))
    assert [s.value for s in trend] == list(range(47, 60))
    assert [s.week for s in trend] == sorted(s.week for s in trend)
    assert [s.value for s in earlier] == [54, 55, 56, 57]


# --- the arrows on the home page and the customer list ---------------------------------------

def test_home_and_list_show_the_arrow_against_the_week_before(client, tenant):
    owner = MembershipFactory(tenant=tenant, role="manager").user
    down = with_health(tenant, 48, name="Down Motors", owner=owner)
    snapshots(tenant, down, [62, 48])
    up = with_health(tenant, 70, name="Up Motors", owner=owner)
    snapshots(tenant, up, [55, 70])
    flat = with_health(tenant, 70, name="Flat Motors", owner=owner)
    snapshots(tenant, flat, [70, 70])
    new = with_health(tenant, 70, name="New Motors", owner=owner)
    snapshots(tenant, new, [70])
    client.force_login(owner)
    last_week = monday(tenant.today()) - timedelta(weeks=1)

    for url in (reverse("home"), reverse("customer_list")):
        page = text(client.get(url))
        assert page.count('class="health-arrow ') == 3
        assert f'aria-label="Down from 62 (week of {last_week:%-d %b %Y})">↓' in page
        assert 'aria-label="Up from 55' in page and "↑</span>" in page
        assert 'aria-label="Unchanged from 70' in page and "→</span>" in page


@pytest.mark.parametrize("size", [3, 20])
def test_the_arrows_cost_one_query_whatever_the_page_size(client, tenant, size,
                                                          django_assert_max_num_queries):
    portfolio = build_portfolio(tenant, size=size)
    for customer in portfolio.customers:
        snapshots(tenant, customer, [60, 65])
    client.force_login(portfolio.owner)
    client.get(reverse("home"))  # health stored
    with django_assert_max_num_queries(27):
        page = text(client.get(reverse("home")))
    assert page.count('class="health-arrow ') == size
    with django_assert_max_num_queries(30):
        page = text(client.get(reverse("customer_list")))
    assert page.count('class="health-arrow ') == size


# --- the API ---------------------------------------------------------------------------------

def test_the_api_lists_snapshots_by_customer_and_weeks(api, tenant, other_tenant):
    customer = with_health(tenant, 50)
    snapshots(tenant, customer, [60, 55, 50])
    snapshots(tenant, with_health(tenant, 50), [80])
    HealthSnapshotFactory(tenant=other_tenant, customer__tenant=other_tenant)
    client = api("viewer")
    this_week = monday(tenant.today())

    everything = client.get("/api/v1/health-snapshots/").json()
    mine = client.get("/api/v1/health-snapshots/", {
        "customer": customer.pk,
        "week_from": (this_week - timedelta(weeks=1)).isoformat()}).json()

    assert everything["count"] == 4
    assert [(row["week"], row["value"], row["band"]) for row in mine["results"]] == [
        ((this_week - timedelta(weeks=1)).isoformat(), 55, "watch"),
        (this_week.isoformat(), 50, "watch")]
    assert set(mine["results"][0]["parts"]) == {"satisfaction", "opl", "programmes",
                                                "relationships", "cadence", "scorecard"}
    assert client.get("/api/v1/health-snapshots/", {"week_from": "soon"}).status_code == 400
    assert client.post("/api/v1/health-snapshots/", {}).status_code in (403, 405)


def test_the_week_is_the_monday_of_the_tenants_week():
    assert services.week_of(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert services.week_of(date(2026, 12, 7)) == date(2026, 12, 7)


def test_the_demo_seed_gives_twelve_weeks_and_one_account_falling_into_a_worse_band(tenant):
    portfolio = build_portfolio(tenant, size=4)
    with tenant_context(tenant):
        seed.seed(tenant)
        seed.seed(tenant)  # idempotent
        weeks = HealthSnapshot.objects.values_list("customer_id", "week")
        assert len(weeks) == 12 * len(portfolio.customers)
        assert len({week for _pk, week in weeks}) == 12
    assert len(proposals(tenant)) == 1
