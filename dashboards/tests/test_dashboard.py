"""The executive dashboard page: who sees it, what each panel says, its filters, and a
fixed number of queries whatever the tenant's size."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from dashboards import selectors
from dashboards.tests.pages import chart_data, text
from dashboards.tests.portfolio import build_portfolio
from kam.tenancy import tenant_context
from tests.factories import (
    CustomerFactory,
    OplItemFactory,
    PeriodFigureFactory,
    RegionFactory,
)

# Queries of one dashboard page, whatever the tenant's size (session, membership, the
# filter form's choices, every panel's grouped queries).
DASHBOARD_QUERIES = 45


@pytest.mark.parametrize("role", ["executive", "admin"])
def test_executives_and_admins_see_the_dashboard_in_the_menu(client, tenant, login, role):
    login(role)
    home = text(client.get(reverse("home")))
    assert f'href="{reverse("dashboard")}"' in home
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_other_roles_are_refused(client, tenant, login, role):
    login(role)
    assert f'href="{reverse("dashboard")}"' not in text(client.get(reverse("home")))
    assert client.get(reverse("dashboard")).status_code == 403


def test_an_empty_tenant_has_a_dashboard_with_empty_states(client, tenant, login):
    login("executive")
    page = text(client.get(reverse("dashboard")))
    assert "Portfolio dashboard" in page
    assert "No answered survey yet" in page
    assert "No open items." in page


def test_panels_show_the_portfolio(client, tenant, login):
    portfolio = build_portfolio(tenant, size=5)
    login("executive")

    response = client.get(reverse("dashboard"))
    page, data = text(response), chart_data(response)

    # Tiers: A, B and three C customers; revenue shares add up to 100 %.
    tiers = {row["tier"]: row for row in data["tiers"]["tiers"]}
    assert [tiers[t]["customers"] for t in "ABC"] == [1, 1, 3]
    assert sum(row["revenue_share"] for row in data["tiers"]["tiers"]) == pytest.approx(100, 0.01)
    assert data["tiers"]["pareto"]["points"][0] == [0.0, 0.0]
    assert data["tiers"]["pareto"]["points"][-1] == [100.0, 100.0]
    assert [c["axis"] for c in data["tiers"]["pareto"]["cutoffs"]] == ["x", "x"]
    # Concentration: the largest customer (revenue 5, 4, 3, 2, 1 millions) has a third.
    top = data["concentration"]["top1"]
    assert top["customer"]["name"] == portfolio.customers[0].name
    assert top["share"] == pytest.approx(33.3, abs=0.1)
    assert top["flagged"] is True  # above the default 30 % threshold
    assert "1 customer above the threshold" in page
    assert [p["hhi"] is not None for p in data["concentration"]["trend"]][-2:] == [True, True]
    # OPL: each customer has one overdue item and one stale item.
    assert data["opl"]["totals"] == {"open": 10, "overdue": 5, "stale": 5}
    assert data["opl"]["by_owner"][0]["owner"]["name"] == portfolio.owner.full_name
    assert data["opl"]["burndown"][-1]["open"] == 10
    # Programmes: every programme has a milestone past its date → red; SOPs within 90 days.
    assert data["programmes"]["rag"]["red"] == 5
    assert "5 SOPs in the next 90 days" in page
    assert "5 slipping milestones" in page
    # Satisfaction: the heatmap has the five customers; movers compare two quarters.
    assert len(data["satisfaction"]["rows"]) == 5
    assert data["satisfaction"]["movers_up"] or data["satisfaction"]["movers_down"]
    # Cadence: the A and B customers have a business review 20 days ago.
    by_tier = {row["tier"]: row for row in data["cadence"]["by_tier"]}
    assert (by_tier["A"]["met"], by_tier["A"]["standards"]) == (1, 2)
    assert (by_tier["B"]["met"], by_tier["B"]["standards"]) == (1, 1)
    # Health: every customer is listed, lowest first.
    lowest = [row["health"] for row in data["health"]["lowest"]]
    assert lowest == sorted(lowest) and len(lowest) == 5


def test_each_chart_has_its_numbers_and_a_link_to_the_page_behind_it(client, tenant, login):
    build_portfolio(tenant, size=3)
    login("admin")
    page = client.get(reverse("dashboard")).content.decode()

    charts = re.findall(r'data-chart="(\w+)"', page)
    assert {"tiers", "pareto", "concentration", "hhi", "heatmap", "movers", "opl_owners",
            "ageing", "burndown", "rag", "cadence", "health"} <= set(charts)
    assert page.count("Show the numbers") >= 10
    for table in ("table-tiers", "table-pareto", "table-hhi", "table-heatmap", "table-opl-owners",
                  "table-ageing", "table-burndown", "table-rag", "table-cadence", "table-health"):
        assert f'id="{table}"' in page
    for url in (reverse("customer_list"), reverse("scoring_concentration"),
                reverse("satisfaction_portfolio"), reverse("opl_list"),
                reverse("programme_portfolio"), reverse("team_incomplete_a_tier")):
        assert f'href="{url}' in page
    assert "vendor/echarts-5.6.0/echarts.min.js" in page


def test_filters_narrow_every_panel(client, tenant, login):
    build_portfolio(tenant, size=3, prefix="N")
    south = build_portfolio(tenant, size=2, prefix="S")
    login("executive")

    everything = chart_data(client.get(reverse("dashboard")))
    response = client.get(reverse("dashboard"), {"region": south.region.pk})
    only_south = chart_data(response)

    assert everything["tiers"]["customers"] == 5
    assert only_south["tiers"]["customers"] == 2
    assert only_south["opl"]["totals"]["open"] == 4
    assert only_south["programmes"]["programmes"] == 2
    assert {r["customer"]["name"] for r in only_south["health"]["lowest"]} == {
        c.name for c in south.customers}
    assert only_south["concentration"]["top1"]["customer"]["name"] == south.customers[0].name
    assert "Clear" in text(response)

    tier_a = chart_data(client.get(reverse("dashboard"), {"tier": "A"}))
    assert tier_a["tiers"]["customers"] == 2

    owner = chart_data(client.get(reverse("dashboard"), {"owner": south.owner.pk}))
    assert owner["tiers"]["customers"] == 2


def test_an_unknown_filter_value_is_shown_and_ignored(client, tenant, other_tenant, login):
    theirs = RegionFactory(tenant=other_tenant)
    build_portfolio(tenant, size=2)
    login("executive")

    response = client.get(reverse("dashboard"), {"region": theirs.pk})

    assert response.status_code == 200
    assert "Some filters were not understood" in text(response)
    assert chart_data(response)["tiers"]["customers"] == 2


def test_concentration_over_a_value_share_policy_marks_revenue_cutoffs(tenant, in_tenant):
    from tests.factories import ScoringPolicyFactory

    ScoringPolicyFactory(tenant=tenant, method="value_share")
    for revenue in (800, 150, 50):
        PeriodFigureFactory(tenant=tenant, customer=CustomerFactory(tenant=tenant),
                            period="2026Q1", revenue=revenue)
    data = selectors.tiers(selectors.scope_for(tenant))
    assert data["pareto"]["cutoffs"] == [{"axis": "y", "value": 80.0, "tier": "A"},
                                         {"axis": "y", "value": 95.0, "tier": "B"}]
    assert data["deciles"][-1]["revenue_share"] == 100.0


def test_burndown_counts_items_open_at_each_weeks_end(tenant, in_tenant):
    today = tenant.today()
    customer = CustomerFactory(tenant=tenant)
    OplItemFactory(tenant=tenant, customer=customer, opened_on=today - timedelta(days=30),
                   status="done", closed_on=today - timedelta(days=10))
    OplItemFactory(tenant=tenant, customer=customer, opened_on=today - timedelta(days=2))
    OplItemFactory(tenant=tenant, customer=customer, opened_on=today - timedelta(days=200),
                   status="cancelled")  # cancelled today: open until this week

    weeks = selectors.opl_panel(selectors.scope_for(tenant))["burndown"]

    assert weeks[-1] == {"week_ending": today, "open": 1, "opened": 1, "closed": 1}
    assert weeks[-2]["open"] == 1 and weeks[-2]["closed"] == 1  # done 10 days ago
    assert weeks[-3]["open"] == 2 and weeks[-3]["opened"] == 0
    assert weeks[-6]["open"] == 1 and weeks[0]["open"] == 1


@pytest.mark.parametrize("size", [3, 30])
def test_the_dashboard_runs_a_fixed_number_of_queries(client, tenant, login, size,
                                                      django_assert_max_num_queries):
    build_portfolio(tenant, size=size)
    login("executive")
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("dashboard"))
    assert chart_data(response)["tiers"]["customers"] == size


def test_selectors_run_inside_the_tenant_only(tenant, other_tenant):
    build_portfolio(tenant, size=2, prefix="A")
    build_portfolio(other_tenant, size=3, prefix="B")
    with tenant_context(other_tenant):
        data = selectors.dashboard(selectors.scope_for(other_tenant))
    names = {row["customer"]["name"] for row in data["health"]["lowest"]}
    assert names and all(name.startswith("B ") for name in names)
    assert data["opl"]["totals"]["open"] == 6


def test_bench_dashboard_command_measures_a_small_tenant_and_cleans_up(db):
    import io

    from django.core.management import call_command

    from accounts.models import Tenant

    out = io.StringIO()
    call_command("bench_dashboard", "--customers", "20", "--quarters", "2", "--milestones",
                 "30", "--opl", "40", "--repeat", "1", stdout=out)

    text_out = out.getvalue()
    assert "dashboard page:" in text_out
    assert "dashboard page, cached:" in text_out
    assert not Tenant.objects.filter(slug="bench-dashboard").exists()
