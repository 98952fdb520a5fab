"""The dashboard API: the same figures as the page, for executives and admins; filters;
a fixed number of queries; every user's own accounts."""

import json
import re

import pytest
from django.urls import reverse

from dashboards.tests.portfolio import build_portfolio
from kam.tenancy import tenant_context
from tests.factories import MembershipFactory, RegionFactory

API = "/api/v1/dashboard"
PANELS = ["tiers", "concentration", "satisfaction", "opl", "programmes", "cadence", "health"]
API_QUERIES = 40


@pytest.fixture
def api(tenant, bearer_client):
    def as_role(role):
        return bearer_client(MembershipFactory(tenant=tenant, role=role))
    return as_role


@pytest.mark.parametrize("panel", PANELS)
def test_each_panel_gives_the_same_figures_as_the_page(client, tenant, api, panel):
    build_portfolio(tenant, size=4)
    executive = api("executive")
    client.force_login(MembershipFactory(tenant=tenant, role="executive").user)

    from_api = executive.get(f"{API}/{panel}/").json()
    page = client.get(reverse("dashboard")).content.decode()
    from_page = json.loads(re.search(r'<script id="dashboard-data" type="application/json">'
                                     r"(.*?)</script>", page, re.S)[1])[panel]

    assert normal(from_api) == normal(from_page)


def normal(value):
    """JSON data with every number a float (the API writes 5.0 where the page writes 5)."""
    if isinstance(value, dict):
        return {key: normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normal(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def test_all_panels_at_once(tenant, api):
    build_portfolio(tenant, size=3)
    body = api("admin").get(f"{API}/").json()
    assert set(body) == set(PANELS)
    assert body["tiers"]["customers"] == 3
    assert body["opl"]["totals"]["overdue"] == 3


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_executives_and_admins_read_the_panels(tenant, api, role):
    client = api(role)
    assert client.get(f"{API}/").status_code == 403
    assert client.get(f"{API}/tiers/").status_code == 403
    assert client.get(f"{API}/accounts/").status_code == 403
    assert client.get(f"{API}/my-accounts/").status_code == 200


def test_no_token_is_401(client):
    assert client.get(f"{API}/tiers/").status_code == 401


def test_filters_and_their_errors(tenant, other_tenant, api):
    build_portfolio(tenant, size=3, prefix="N")
    south = build_portfolio(tenant, size=2, prefix="S")
    theirs = RegionFactory(tenant=other_tenant)
    executive = api("executive")

    assert executive.get(f"{API}/tiers/", {"region": south.region.pk}).json()["customers"] == 2
    assert executive.get(f"{API}/tiers/", {"tier": "A"}).json()["customers"] == 2
    assert executive.get(f"{API}/tiers/", {"tier": "none"}).json()["customers"] == 0

    refused = executive.get(f"{API}/tiers/", {"region": theirs.pk})
    assert refused.status_code == 400
    assert "region" in refused.json()
    assert executive.get(f"{API}/opl/", {"tier": "Z"}).status_code == 400
    for huge in (2**70, -(2**70)):
        assert executive.get(f"{API}/tiers/", {"region": huge, "owner": huge}).status_code == 400


def test_accounts_lists_every_customers_health_lowest_first(tenant, api):
    portfolio = build_portfolio(tenant, size=7)
    body = api("admin").get(f"{API}/accounts/", {"page_size": 5}).json()

    assert body["count"] == 7
    assert len(body["results"]) == 5 and body["next"]
    values = [row["health"] for row in body["results"]]
    assert values == sorted(values)
    row = body["results"][0]
    assert set(row["parts"]) == {"satisfaction", "opl", "programmes", "relationships",
                                 "cadence", "scorecard"}
    assert row["customer"]["name"] in {c.name for c in portfolio.customers}


def test_my_accounts_are_the_users_own(tenant, bearer_client):
    mine = build_portfolio(tenant, size=2, prefix="M")
    build_portfolio(tenant, size=3, prefix="O")
    with tenant_context(tenant):
        membership = mine.owner.memberships.get()

    body = bearer_client(membership).get(f"{API}/my-accounts/").json()

    assert {row["customer"]["name"] for row in body["results"]} == {
        c.name for c in mine.customers}
    row = body["results"][0]
    assert row["team_role"] == "AR"
    assert row["rag"] == "red" and row["opl_overdue"] == 1


@pytest.mark.parametrize("size", [3, 30])
def test_api_lists_run_a_fixed_number_of_queries(tenant, api, size,
                                                 django_assert_max_num_queries):
    build_portfolio(tenant, size=size)
    admin = api("admin")
    with django_assert_max_num_queries(API_QUERIES):
        assert admin.get(f"{API}/").json()["tiers"]["customers"] == size
    with django_assert_max_num_queries(16):
        assert admin.get(f"{API}/accounts/").json()["count"] == size
    with django_assert_max_num_queries(12):
        admin.get(f"{API}/my-accounts/")
