"""The teams REST API: contract fields, bad input, permissions following the team,
review visibility, tenant isolation and bounded query counts."""

import json
from datetime import timedelta

import pytest

from accounts.models import Membership
from customers.models import Customer
from kam.periods import current_period as period_of
from kam.tenancy import tenant_context
from teams.models import Review, Team, TeamMember
from tests.factories import CustomerFactory, MembershipFactory

from .conftest import make_team, person
from .factories import ReviewFactory


def post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def api(bearer_client, tenant):
    """`api(role, user=None)`: an API client for a member of `tenant` with that role."""

    def make(role, user=None):
        if user is None:
            membership = MembershipFactory(tenant=tenant, role=role)
        else:
            with tenant_context(tenant):
                membership = Membership.objects.get(user=user)
                membership.role = role
                membership.save()
        return bearer_client(membership)

    return make


def member_of(team, role):
    with tenant_context(team.tenant):
        return TeamMember.objects.get(team=team, role=role)


def test_teams_expose_the_contract_fields_and_filter(api, tenant):
    complete = make_team(tenant)
    incomplete = make_team(tenant, roles=("AR", "SR"))
    response = api("viewer").get("/api/v1/teams/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    row = rows[complete.pk]
    assert {"customer", "members", "triangle_complete"} <= set(row)
    assert row["customer"] == complete.customer_id and row["triangle_complete"] is True
    assert sorted(m["role"] for m in row["members"]) == ["AR", "FR", "SR"]
    assert rows[incomplete.pk]["triangle_complete"] is False
    assert rows[incomplete.pk]["missing_roles"] == ["FR"]
    only = api("viewer").get("/api/v1/teams/?triangle_complete=false").json()["results"]
    assert [r["id"] for r in only] == [incomplete.pk]


def test_two_active_ars_is_a_400_naming_role(api, team, tenant):
    client = api("admin")
    newcomer = person(tenant, "manager")
    response = post(client, "/api/v1/team-members/",
                    {"team": team.pk, "user": newcomer.pk, "role": "AR"})
    assert response.status_code == 400
    assert "role" in response.json()
    with tenant_context(tenant):
        assert not TeamMember.objects.filter(user=newcomer).exists()


def test_member_from_another_tenant_is_a_400_naming_user(api, team, other_tenant, tenant):
    outsider = person(other_tenant)
    response = post(api("admin"), "/api/v1/team-members/",
                    {"team": team.pk, "user": outsider.pk, "role": "sales"})
    assert response.status_code == 400 and "user" in response.json()
    other_team = make_team(other_tenant)
    response = post(api("admin"), "/api/v1/team-members/",
                    {"team": other_team.pk, "user": person(tenant).pk, "role": "sales"})
    assert response.status_code == 400 and "team" in response.json()


def test_ar_through_the_api_becomes_the_owner_and_warns_on_allocation(api, tenant):
    team = make_team(tenant, roles=("SR", "FR"))
    kam = person(tenant, "manager")
    make_team(tenant, roles=("SR",), people={})  # another team
    with tenant_context(tenant):
        busy = make_team(tenant, roles=("AR",), people={"AR": kam})
        TeamMember.objects.filter(team=busy, user=kam).update(allocation=90)
    response = post(api("admin"), "/api/v1/team-members/",
                    {"team": team.pk, "user": kam.pk, "role": "AR", "allocation": 20})
    assert response.status_code == 201, response.json()
    assert "110" in response.json()["allocation_warning"]
    with tenant_context(tenant):
        assert Customer.objects.get(pk=team.customer_id).owner_id == kam.pk
    assert api("admin").get(f"/api/v1/teams/{team.pk}/").json()["triangle_complete"] is True


def test_managers_edit_only_their_teams(api, tenant):
    mine = make_team(tenant)
    theirs = make_team(tenant)
    ar = member_of(mine, "AR").user
    client = api("manager", user=ar)
    payload = {"user": person(tenant).pk, "role": "quality", "allocation": 10}
    assert post(client, "/api/v1/team-members/", {**payload, "team": mine.pk}).status_code == 201
    assert post(client, "/api/v1/team-members/",
                {**payload, "team": theirs.pk}).status_code == 403
    assert post(client, f"/api/v1/teams/{theirs.pk}/", {"notes": "x"},
                "patch").status_code == 403
    assert post(client, f"/api/v1/teams/{mine.pk}/", {"notes": "x"}, "patch").status_code == 200
    # They read the others' teams.
    assert client.get(f"/api/v1/teams/{theirs.pk}/").status_code == 200
    # Only an admin creates teams; members and viewers write nothing.
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
    assert post(client, "/api/v1/teams/", {"customer": customer.pk}).status_code == 403
    assert post(api("member"), "/api/v1/team-members/",
                {**payload, "team": mine.pk}).status_code == 403
    assert post(api("admin"), "/api/v1/teams/", {"customer": customer.pk}).status_code == 201


def review_payload(member, period, **changes):
    data = {"member": member.pk, "period": period, "business_results": 4,
            "customer_satisfaction": 4, "project_delivery": 3, "collaboration": 5,
            "capability_growth": 4, "coefficient": "0.85", "objectives": "PPAP",
            "attainment": 95, "next_objectives": "SOP"}
    data.update(changes)
    return data


def test_review_bad_input_is_a_400_naming_the_field(api, team, tenant):
    ar = member_of(team, "AR")
    sr = member_of(team, "SR")
    client = api("manager", user=ar.user)
    today = tenant.today()
    next_year = f"{today.year + 1}Q1"
    cases = [
        (review_payload(sr, next_year), "period"),
        (review_payload(sr, period_of(today), coefficient="1.5"), "coefficient"),
        (review_payload(sr, period_of(today), coefficient="-0.2"), "coefficient"),
        (review_payload(sr, "2026Q9"), "period"),
        (review_payload(sr, period_of(today), business_results=6), "business_results"),
    ]
    for payload, field in cases:
        response = post(client, "/api/v1/reviews/", payload)
        assert response.status_code == 400, payload
        assert field in response.json(), response.json()
    with tenant_context(tenant):
        assert not Review.objects.exists()
    response = post(client, "/api/v1/reviews/", review_payload(sr, period_of(today)))
    assert response.status_code == 201, response.json()
    assert response.json()["reviewer"] == ar.user_id


def test_only_the_ar_or_region_leader_reviews(api, team, tenant):
    sr = member_of(team, "SR")
    outsider = person(tenant, "manager")
    period = period_of(tenant.today())
    # A manager off the team is not a valid reviewer (the reviewer defaults to oneself).
    response = post(api("manager", user=outsider), "/api/v1/reviews/", review_payload(sr, period))
    assert response.status_code == 400 and "reviewer" in response.json()
    assert post(api("viewer"), "/api/v1/reviews/", review_payload(sr, period)).status_code == 403
    leader = team.customer.region.leader
    response = post(api("executive", user=leader), "/api/v1/reviews/",
                    review_payload(sr, period))
    assert response.status_code == 201, response.json()
    # An admin may record another reviewer's review, but it must be a valid reviewer.
    response = post(api("admin"), "/api/v1/reviews/",
                    review_payload(member_of(team, "FR"), period, reviewer=outsider.pk))
    assert response.status_code == 400 and "reviewer" in response.json()


def test_a_member_sees_only_their_own_reviews(api, team, tenant):
    sr = member_of(team, "SR")
    fr = member_of(team, "FR")
    ar = member_of(team, "AR")
    with tenant_context(tenant):
        own = ReviewFactory(tenant=tenant, member=sr, reviewer=ar.user)
        other = ReviewFactory(tenant=tenant, member=fr, reviewer=ar.user)
    client = api("member", user=sr.user)
    assert [r["id"] for r in client.get("/api/v1/reviews/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/reviews/{other.pk}/").status_code == 404
    assert api("executive").get("/api/v1/reviews/").json()["count"] == 2


def test_another_tenants_team_is_404(api, other_tenant):
    elsewhere = make_team(other_tenant)
    client = api("admin")
    assert client.get(f"/api/v1/teams/{elsewhere.pk}/").status_code == 404
    with tenant_context(other_tenant):
        member = TeamMember.objects.filter(team=elsewhere).first()
    assert client.get(f"/api/v1/team-members/{member.pk}/").status_code == 404


def test_coefficients_action_states_the_formula(api, team):
    response = api("viewer").get(f"/api/v1/teams/{team.pk}/coefficients/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def _data(tenant, count):
    for _ in range(count):
        team = make_team(tenant, roles=("AR", "SR", "FR", "quality"))
        with tenant_context(tenant):
            ar = TeamMember.objects.get(team=team, role="AR")
            for member in TeamMember.objects.filter(team=team).exclude(role="AR"):
                ReviewFactory(tenant=tenant, member=member, reviewer=ar.user)


@pytest.mark.parametrize("url", ["/api/v1/teams/", "/api/v1/team-members/",
                                 "/api/v1/reviews/", "/api/v1/recognitions/"])
def test_lists_run_a_bounded_number_of_queries(api, tenant, url, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api("admin")
    _data(tenant, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _data(tenant, 18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_ending_the_ar_through_the_api_clears_the_owner(api, team, tenant):
    ar = member_of(team, "AR")
    with tenant_context(tenant):
        Customer.objects.filter(pk=team.customer_id).update(owner=ar.user)
    yesterday = (tenant.today() - timedelta(days=1)).isoformat()
    response = post(api("admin"), f"/api/v1/team-members/{ar.pk}/", {"end_on": yesterday},
                    "patch")
    assert response.status_code == 200, response.json()
    with tenant_context(tenant):
        assert Customer.objects.get(pk=team.customer_id).owner_id is None
        assert Team.objects.get(pk=team.pk)
