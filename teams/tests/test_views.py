"""The teams pages: the drawn triangle, forms with validation, permissions following the
team, region overview, the executives' gap list, my teams, and bounded query counts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from customers.models import Customer
from kam.periods import current_period as period_of
from kam.tenancy import tenant_context
from teams.models import Review, Team, TeamMember
from tests.factories import CustomerFactory

from .conftest import make_team, person


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def login(client, tenant):
    """`login(role, user=None)`: log a member of `tenant` in with that role."""

    def as_role(role, user=None):
        with tenant_context(tenant):
            if user is None:
                user = person(tenant, role)
            Membership.objects.filter(user=user).update(role=role)
        client.force_login(user)
        return user

    return as_role


def member_of(team, role):
    with tenant_context(team.tenant):
        return TeamMember.objects.select_related("user").get(team=team, role=role)


def test_team_page_draws_the_triangle_with_missing_corners_in_red(client, login, tenant):
    team = make_team(tenant, roles=("AR", "FR", "engineering"))
    login("viewer")
    response = client.get(reverse("team_detail", args=[team.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "<svg" in page and 'class="corner corner-sr corner-missing"' in page
    assert "SR missing" in page and 'stroke="#dc3545"' in page
    assert member_of(team, "AR").user.full_name in page
    assert 'class="supporting"' in page  # the engineering member on the ring
    assert "0.6 × M + 0.4 × R" in page  # the coefficient formula is shown
    assert "Add member" not in page  # viewers read


def test_customer_panel_partial_renders_from_the_customer_alone(tenant, rf):
    team = make_team(tenant, roles=("AR", "SR"))
    request = rf.get("/")
    request.user = member_of(team, "AR").user
    request.tenant, request.role = tenant, "manager"
    with tenant_context(tenant):
        html = Template('{% include "teams/_triangle_panel.html" %}').render(
            Context({"customer": team.customer, "request": request}))
        lonely = CustomerFactory(tenant=tenant, tier="A")
        empty = Template('{% include "teams/_triangle_panel.html" %}').render(
            Context({"customer": lonely, "request": request}))
    assert "FR missing" in html and "incomplete" in html and "Add member" in html
    assert "No account team yet" in empty


def test_member_form_refuses_a_second_ar_naming_the_field(client, login, tenant, team):
    login("admin")
    newcomer = person(tenant, "manager")
    response = client.post(reverse("member_add", args=[team.pk]), {
        "user": newcomer.pk, "role": "AR", "allocation": 20,
        "start_on": tenant.today().isoformat()})
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    with tenant_context(tenant):
        assert not TeamMember.objects.filter(user=newcomer).exists()


def test_member_form_refuses_a_person_of_another_tenant(client, login, tenant, other_tenant,
                                                         team):
    login("admin")
    outsider = person(other_tenant)
    response = client.post(reverse("member_add", args=[team.pk]), {
        "user": outsider.pk, "role": "sales", "allocation": 10,
        "start_on": tenant.today().isoformat()})
    assert response.status_code == 200 and "user" in response.context["form"].errors
    with tenant_context(tenant):
        assert not TeamMember.objects.filter(user=outsider).exists()


def test_manager_edits_only_their_team_and_sees_the_allocation_warning(client, login, tenant):
    mine = make_team(tenant)
    theirs = make_team(tenant)
    busy = member_of(theirs, "SR").user
    with tenant_context(tenant):
        TeamMember.objects.filter(team=theirs, user=busy).update(allocation=95)
    ar = login("manager", member_of(mine, "AR").user)
    data = {"user": busy.pk, "role": "project", "allocation": 10,
            "start_on": tenant.today().isoformat()}
    assert client.get(reverse("member_add", args=[theirs.pk])).status_code == 403
    assert client.post(reverse("member_add", args=[theirs.pk]), data).status_code == 403
    assert client.get(reverse("team_edit", args=[theirs.pk])).status_code == 403
    response = client.post(reverse("member_add", args=[mine.pk]), data, follow=True)
    assert response.status_code == 200
    assert "allocated 105 %" in text(response)  # a warning; the member is saved
    with tenant_context(tenant):
        assert TeamMember.objects.filter(team=mine, user=busy, role="project").exists()
        assert TeamMember.objects.filter(team=theirs).count() == 3
    # The same person twice on one team in the same period is a form error on `user`.
    response = client.post(reverse("member_add", args=[mine.pk]), {**data, "user": ar.pk})
    assert response.status_code == 200 and "user" in response.context["form"].errors


def test_ending_the_ar_in_the_browser_clears_the_owner(client, login, tenant, team):
    login("admin")
    ar = member_of(team, "AR")
    with tenant_context(tenant):
        Customer.objects.filter(pk=team.customer_id).update(owner=ar.user)
    response = client.post(reverse("member_end", args=[team.pk, ar.pk]))
    assert response.status_code == 302
    with tenant_context(tenant):
        assert TeamMember.objects.get(pk=ar.pk).end_on == tenant.today()
    # Ended today: still active today, so still the owner until tomorrow.
    with tenant_context(tenant):
        assert Customer.objects.get(pk=team.customer_id).owner_id == ar.user_id


def review_data(member, period, **changes):
    data = {"member": member.pk, "period": period, "business_results": 4,
            "customer_satisfaction": 4, "project_delivery": 3, "collaboration": 5,
            "capability_growth": 4, "coefficient": "0.8", "attainment": 90,
            "objectives": "PPAP", "next_objectives": "SOP", "comments": ""}
    data.update(changes)
    return data


def test_review_form_validates_and_saves(client, login, tenant, team):
    ar = login("manager", member_of(team, "AR").user)
    sr = member_of(team, "SR")
    url = reverse("review_add", args=[team.pk])
    future = f"{tenant.today().year + 1}Q1"
    for data, field in [(review_data(sr, future), "period"),
                        (review_data(sr, period_of(tenant.today()), coefficient="1.2"),
                         "coefficient")]:
        response = client.post(url, data)
        assert response.status_code == 200
        assert field in response.context["form"].errors, response.context["form"].errors
    with tenant_context(tenant):
        assert not Review.objects.exists()
    response = client.post(url, review_data(sr, period_of(tenant.today())))
    assert response.status_code == 302
    with tenant_context(tenant):
        review = Review.objects.get()
    assert review.reviewer_id == ar.pk
    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 200
    # The reviewed member sees it; a colleague does not.
    login("member", sr.user)
    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 200
    login("member", member_of(team, "FR").user)
    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 404
    assert review.period not in text(client.get(reverse("review_list")))


def test_only_reviewers_open_the_review_form(client, login, tenant, team):
    login("manager")
    assert client.get(reverse("review_add", args=[team.pk])).status_code == 403
    login("member")
    assert client.get(reverse("review_add", args=[team.pk])).status_code == 403


def test_region_overview_and_gap_list(client, login, tenant):
    complete = make_team(tenant)
    gap = make_team(tenant, roles=("AR", "SR"))
    login("executive")
    page = text(client.get(reverse("region_overview")))
    assert complete.customer.region.name in page and gap.customer.region.name in page
    assert str(complete.customer.region.leader) in page
    page = text(client.get(reverse("team_incomplete_a_tier")))
    assert gap.customer.name in page and complete.customer.name not in page
    page = text(client.get(reverse("region_detail", args=[gap.customer.region_id])))
    assert gap.customer.name in page and "missing FR" in page
    page = text(client.get(reverse("team_list") + "?triangle=incomplete"))
    assert gap.customer.name in page and complete.customer.name not in page


def test_my_teams_lists_active_memberships(client, login, tenant):
    team = make_team(tenant)
    other = make_team(tenant)
    ar = login("manager", member_of(team, "AR").user)
    with tenant_context(tenant):
        TeamMember.objects.create(tenant=tenant, team=other, user=ar, role="sales",
                                  start_on=tenant.today() - timedelta(days=30),
                                  end_on=tenant.today() - timedelta(days=1))
    page = text(client.get(reverse("my_teams")))
    assert team.customer.name in page and other.customer.name not in page


def test_admin_creates_a_team_and_others_cannot(client, login, tenant):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
    login("manager")
    assert client.get(reverse("team_create")).status_code == 403
    login("admin")
    response = client.post(reverse("team_create"), {"customer": customer.pk, "name": "",
                                                    "notes": ""})
    assert response.status_code == 302
    with tenant_context(tenant):
        assert Team.objects.filter(customer=customer).exists()
    response = client.post(reverse("team_create"), {"customer": customer.pk})
    assert response.status_code == 200 and "customer" in response.context["form"].errors


def test_coefficients_page_states_the_formula(client, login, tenant, team):
    login("viewer")
    page = text(client.get(reverse("team_coefficients")))
    assert "0.6 × M + 0.4 × R" in page and "three consecutive years" in page


@pytest.mark.parametrize("name", ["team_list", "my_teams", "region_overview",
                                  "team_incomplete_a_tier", "review_list",
                                  "team_coefficients"])
def test_list_pages_run_a_bounded_number_of_queries(client, login, tenant, name,
                                                    django_assert_max_num_queries):
    from .factories import ReviewFactory

    def data(count):
        for _ in range(count):
            team = make_team(tenant, roles=("AR", "SR", "quality"), people={"AR": user})
            with tenant_context(tenant):
                sr = TeamMember.objects.get(team=team, role="SR")
                ReviewFactory(tenant=tenant, member=sr, reviewer=user)

    user = login("admin")
    data(2)
    url = reverse(name)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    data(18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
