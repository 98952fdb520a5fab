"""Rules of the teams app: the triangle, membership invariants, the owner following the AR,
allocation warnings, reviews, coefficients, the talent pool and permissions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import roles
from customers.models import Customer
from kam.periods import current_period as period_of
from kam.periods import period_bounds
from kam.tenancy import tenant_context
from teams import coefficients, selectors, services, triangle
from teams.models import Recognition, Review, TeamMember
from tests.factories import AccountPlanFactory, CustomerFactory, PeriodFigureFactory

from .conftest import make_team, person
from .factories import RecognitionFactory, ReviewFactory, TeamFactory, TeamMemberFactory


def previous_period(today, back=1):
    index = today.year * 4 + (today.month - 1) // 3 - back
    return f"{index // 4}Q{index % 4 + 1}"


# --- triangle ------------------------------------------------------------------------


def test_triangle_complete_needs_active_ar_sr_and_fr(tenant):
    complete = make_team(tenant)
    no_fr = make_team(tenant, roles=("AR", "SR", "quality"))
    with tenant_context(tenant):
        today = tenant.today()
        lonely = CustomerFactory(tenant=tenant, tier="A")
        ended = make_team(tenant)
        TeamMember.objects.filter(team=ended, role="FR").update(end_on=today - timedelta(days=1))
        future = make_team(tenant, roles=("AR", "SR"))
        TeamMemberFactory(tenant=tenant, team=future, role="FR",
                          start_on=today + timedelta(days=5))
        rows = {c.pk: c for c in triangle.with_triangle_complete(Customer.objects.all(), today)}
        assert rows[complete.customer_id].triangle_complete is True
        assert rows[no_fr.customer_id].triangle_complete is False
        assert triangle.missing_roles(rows[no_fr.customer_id]) == ["FR"]
        assert rows[lonely.pk].triangle_complete is False
        assert rows[ended.customer_id].triangle_complete is False
        assert rows[future.customer_id].triangle_complete is False
        gaps = set(triangle.incomplete_a_tier(today).values_list("pk", flat=True))
        assert gaps == {no_fr.customer_id, lonely.pk, ended.customer_id, future.customer_id}
        data = triangle.triangle(no_fr, today)
        assert data["missing"] == ["FR"] and not data["complete"]
        assert [m.role for m in data["supporting"]] == ["quality"]


def test_incomplete_list_ignores_b_tier_and_complete_a_tier(tenant):
    make_team(tenant)
    b_tier = make_team(tenant, roles=("AR",), tier="B")
    with tenant_context(tenant):
        assert not triangle.incomplete_a_tier(tenant.today()).exists()
        assert triangle.filter_complete(Customer.objects.all(), False, tenant.today()).get() \
            == b_tier.customer


def test_coverage_hints_name_the_missing_counterparts(team, tenant):
    from tests.factories import ContactFactory

    with tenant_context(tenant):
        ContactFactory(tenant=tenant, customer=team.customer, department="purchasing")
        ContactFactory(tenant=tenant, customer=team.customer, department="logistics")
        hints = triangle.coverage_hints(team.customer)
    assert [(h["role"], h["department"]) for h in hints] == [("SR", "engineering"),
                                                            ("FR", "quality")]


# --- memberships ---------------------------------------------------------------------


def test_second_active_ar_is_refused_and_nothing_saved(team, tenant):
    with tenant_context(tenant):
        before = TeamMember.objects.count()
        with pytest.raises(ValidationError) as exc:
            services.add_member(tenant=tenant, team=team, user=person(tenant, "manager"),
                                role="AR", start_on=tenant.today())
        assert "role" in exc.value.message_dict
        assert TeamMember.objects.count() == before


def test_ar_handover_moves_the_customer_owner(team, tenant):
    with tenant_context(tenant):
        today = tenant.today()
        old = TeamMember.objects.get(team=team, role="AR")
        services.sync_owner(team.customer, today=today)
        assert Customer.objects.get(pk=team.customer_id).owner_id == old.user_id
        services.end_member(old, end_on=today - timedelta(days=1))
        assert Customer.objects.get(pk=team.customer_id).owner_id is None
        successor = person(tenant, "manager")
        services.add_member(tenant=tenant, team=team, user=successor, role="AR", start_on=today)
        assert Customer.objects.get(pk=team.customer_id).owner_id == successor.pk


def test_overlapping_periods_for_the_same_role_are_refused(team, tenant):
    with tenant_context(tenant):
        today = tenant.today()
        sr = TeamMember.objects.get(team=team, role="SR")
        services.update_member(sr, end_on=today + timedelta(days=10))
        with pytest.raises(ValidationError) as exc:
            services.add_member(tenant=tenant, team=team, user=person(tenant), role="SR",
                                start_on=today + timedelta(days=5))
        assert "role" in exc.value.message_dict
        member, _warning = services.add_member(tenant=tenant, team=team, user=person(tenant),
                                               role="SR", start_on=today + timedelta(days=11))
        assert member.pk


def test_allocation_over_100_is_a_warning_not_an_error(tenant):
    busy = person(tenant, "manager")
    first = make_team(tenant, roles=("SR",))
    second = make_team(tenant, roles=("SR",))
    with tenant_context(tenant):
        _member, warning = services.add_member(tenant=tenant, team=first, user=busy, role="AR",
                                               allocation=60, start_on=tenant.today())
        assert warning is None
        member, warning = services.add_member(tenant=tenant, team=second, user=busy, role="AR",
                                              allocation=50, start_on=tenant.today())
        assert member.pk and "110" in warning
        assert selectors.allocation_total(busy, tenant.today()) == 110


def test_member_of_another_tenant_is_refused(team, tenant, other_tenant):
    outsider = person(other_tenant)
    with tenant_context(tenant):
        with pytest.raises(ValidationError) as exc:
            services.add_member(tenant=tenant, team=team, user=outsider, role="sales",
                                start_on=tenant.today())
        assert "user" in exc.value.message_dict
        assert not TeamMember.objects.filter(user=outsider).exists()


def test_one_team_per_customer(team, tenant):
    with tenant_context(tenant):
        with pytest.raises(ValidationError) as exc:
            services.create_team(tenant=tenant, customer=team.customer)
        assert "customer" in exc.value.message_dict


# --- reviews -------------------------------------------------------------------------


def review_fields(**changes):
    fields = {"business_results": 4, "customer_satisfaction": 4, "project_delivery": 3,
              "collaboration": 5, "capability_growth": 4, "coefficient": Decimal("0.8"),
              "objectives": "PPAP on time", "attainment": 90, "next_objectives": "SOP"}
    fields.update(changes)
    return fields


def test_review_rules(team, tenant):
    with tenant_context(tenant):
        today = tenant.today()
        ar = TeamMember.objects.get(team=team, role="AR")
        sr = TeamMember.objects.get(team=team, role="SR")
        leader = team.customer.region.leader
        current = period_of(today)
        review = services.create_review(tenant=tenant, member=sr, reviewer=ar.user,
                                        period=current, **review_fields())
        assert review.pk
        # The AR is reviewed by the region leader, not by themselves.
        services.create_review(tenant=tenant, member=ar, reviewer=leader,
                               period=previous_period(today), **review_fields())
        cases = [
            ({"period": previous_period(today, -1)}, "period"),
            ({"coefficient": Decimal("1.5")}, "coefficient"),
            ({"coefficient": Decimal("-0.1")}, "coefficient"),
            ({"reviewer": person(tenant, "manager")}, "reviewer"),
            ({"reviewer": sr.user}, "reviewer"),
            ({"period": current}, "period"),  # already reviewed
        ]
        before = Review.objects.count()
        for change, field in cases:
            args = {"member": sr, "reviewer": ar.user, "period": previous_period(today, 2),
                    **review_fields()}
            args.update(change)
            with pytest.raises(ValidationError) as exc:
                services.create_review(tenant=tenant, **args)
            assert field in exc.value.message_dict, change
        assert Review.objects.count() == before


def test_period_helpers():
    start, end = period_bounds("2026Q4")
    assert (start.isoformat(), end.isoformat()) == ("2026-10-01", "2026-12-31")
    assert period_bounds("2025Q1")[1].isoformat() == "2025-03-31"


# --- coefficients --------------------------------------------------------------------


def test_combine_follows_the_documented_formula():
    assert coefficients.combine(Decimal("0.8"), 900, 1000) == Decimal("0.84")  # .6*.8+.4*.9
    assert coefficients.combine(Decimal("0.8"), 2000, 1000) == Decimal("0.88")  # R capped at 1
    assert coefficients.combine(Decimal("0.8")) == Decimal("0.80")  # no plan: M only
    assert coefficients.combine(Decimal("1"), 5000, 1000) == Decimal("1.00")
    assert coefficients.combine(None) is None
    assert coefficients.weighted_member_part([(30, Decimal("1")), (10, Decimal("0.6"))]) \
        == Decimal("0.9")
    assert coefficients.weighted_member_part([(0, Decimal("1")), (0, Decimal("0.5"))]) \
        == Decimal("0.75")


def test_team_coefficient_from_reviews_figures_and_plan(team, tenant):
    with tenant_context(tenant):
        ar = TeamMember.objects.get(team=team, role="AR")
        sr = TeamMember.objects.get(team=team, role="SR")
        ar.allocation, sr.allocation = 30, 10
        ar.save()
        sr.save()
        year = tenant.today().year - 1
        for member, value in ((ar, "1.0"), (sr, "0.6")):
            ReviewFactory(tenant=tenant, member=member, period=f"{year}Q2",
                          coefficient=Decimal(value))
        assert coefficients.team_coefficient(team, year)["value"] == Decimal("0.90")
        AccountPlanFactory(tenant=tenant, customer=team.customer, year=year,
                           revenue_target=1000)
        PeriodFigureFactory(tenant=tenant, customer=team.customer, period=f"{year}Q1",
                            revenue=250)
        PeriodFigureFactory(tenant=tenant, customer=team.customer, period=f"{year}Q2",
                            revenue=250)
        result = coefficients.team_coefficient(team, year)
        # 0.6 × 0.9 + 0.4 × 0.5
        assert result["value"] == Decimal("0.74")
        assert result["outcome"] == Decimal("0.50") and result["member_part"] == Decimal("0.90")
        assert coefficients.team_coefficient(team, year - 5) is None


def test_talent_pool_needs_three_consecutive_years(team, tenant):
    with tenant_context(tenant):
        sr = TeamMember.objects.get(team=team, role="SR")
        fr = TeamMember.objects.get(team=team, role="FR")
        year = tenant.today().year
        for offset in (3, 2, 1):
            ReviewFactory(tenant=tenant, member=sr, period=f"{year - offset}Q3",
                          coefficient=Decimal("0.92"))
        for offset, value in ((3, "0.95"), (2, "0.85"), (1, "0.95")):
            ReviewFactory(tenant=tenant, member=fr, period=f"{year - offset}Q3",
                          coefficient=Decimal(value))
        pool = coefficients.talent_pool()
    assert pool == {sr.user_id: [year - 3, year - 2, year - 1]}
    assert coefficients.talent_streak({2020: Decimal("0.9"), 2021: Decimal("0.9"),
                                       2023: Decimal("0.9")}) == []


# --- permissions ---------------------------------------------------------------------


def test_permissions_follow_the_team(team, tenant):
    with tenant_context(tenant):
        ar = TeamMember.objects.get(team=team, role="AR").user
        other_manager = person(tenant, "manager")
        other_team = make_team(tenant, people={"AR": other_manager})
        customer = team.customer
        assert roles.can_edit_account(ar, "manager", customer)
        assert not roles.can_edit_account(other_manager, "manager", customer)
        assert roles.can_edit_account(other_manager, "admin", customer)
        assert not roles.can_edit_account(ar, "executive", customer)
        assert not roles.can_edit_account(ar, "member", customer)
        assert set(roles.editable_customers(ar, "manager")) == {customer}
        assert set(roles.editable_customers(other_manager, "manager")) == {
            other_team.customer}
        assert set(roles.editable_customers(ar, "admin")) == {customer,
                                                                    other_team.customer}
        assert not roles.editable_customers(ar, "viewer").exists()
        # An ended membership no longer gives edit rights.
        TeamMember.objects.filter(team=team, user=ar).update(
            end_on=tenant.today() - timedelta(days=1))
        assert not roles.can_edit_account(ar, "manager", customer)


def test_members_see_only_their_own_reviews(team, tenant):
    with tenant_context(tenant):
        ar = TeamMember.objects.get(team=team, role="AR")
        sr = TeamMember.objects.get(team=team, role="SR")
        fr = TeamMember.objects.get(team=team, role="FR")
        own = ReviewFactory(tenant=tenant, member=sr, reviewer=ar.user)
        ReviewFactory(tenant=tenant, member=fr, reviewer=ar.user)
        assert list(selectors.reviews(sr.user, "member")) == [own]
        assert selectors.reviews(ar.user, "manager").count() == 2
        assert selectors.reviews(person(tenant, "executive"), "executive").count() == 2
        assert not selectors.reviews(person(tenant, "manager"), "manager").exists()


def test_one_best_team_a_year(tenant):
    with tenant_context(tenant):
        year = tenant.today().year - 1
        RecognitionFactory(tenant=tenant, kind="annual_best_team", year=year, quarter=None)
        with pytest.raises(ValidationError) as exc:
            services.create_recognition(tenant=tenant, kind="annual_best_team", year=year,
                                        team=TeamFactory(tenant=tenant))
        assert "year" in exc.value.message_dict
        assert Recognition.objects.count() == 1
