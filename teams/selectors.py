"""Read use cases for the teams pages and API. Each runs a fixed number of queries, whatever
the number of rows; tenant scoping comes from the models' default managers."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, Subquery, Sum

from customers.models import Customer, Region, Tier

from . import permissions, triangle
from .models import Recognition, Review, Team, TeamMember, active_on

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User


def allocation_total(user: User, today: date) -> int:
    """The user's allocation % summed over their active memberships."""
    return (TeamMember.objects.filter(active_on(today), user=user)
            .aggregate(total=Sum("allocation"))["total"] or 0)


def allocation_totals(user_ids: Iterable[int], today: date) -> dict[int, int]:
    """{user id: allocation %} summed over active memberships, in one query."""
    rows = (TeamMember.objects.filter(active_on(today), user_id__in=list(user_ids))
            .values("user_id").annotate(total=Sum("allocation")))
    return {row["user_id"]: row["total"] or 0 for row in rows}


def with_allocation_total(members_qs: QuerySet[TeamMember],
                          today: date) -> QuerySet[TeamMember]:
    """Annotate TeamMember rows with `user_allocation`: their person's allocation % summed
    over the person's active memberships (one subquery, no query per row)."""
    totals = (TeamMember.objects.filter(active_on(today), user=OuterRef("user"))
              .order_by().values("user").annotate(total=Sum("allocation")).values("total"))
    return members_qs.annotate(user_allocation=Subquery(totals))


def active_members_prefetch(today: date) -> Prefetch:
    return Prefetch("members", to_attr="active_members",
                    queryset=TeamMember.objects.filter(active_on(today))
                    .select_related("user").order_by("role", "start_on", "id"))


def teams(today: date, queryset: QuerySet[Team] | None = None) -> QuerySet[Team]:
    """Teams with their customer, region, active members and the triangle annotations."""
    queryset = Team.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("customer", "customer__region",
                                       "customer__region__leader")
    return triangle.with_team_triangle(queryset, today).prefetch_related(
        active_members_prefetch(today))


def my_teams(user: User, today: date) -> QuerySet[Team]:
    """Teams the user is an active member of."""
    mine = TeamMember.objects.filter(active_on(today), user=user).values("team_id")
    return teams(today, Team.objects.filter(pk__in=mine))


def my_roles(user: User, today: date) -> dict[int, list[str]]:
    """{team id: [the user's active roles on it]}."""
    roles = defaultdict(list)
    for row in TeamMember.objects.filter(active_on(today), user=user).values("team_id", "role"):
        roles[row["team_id"]].append(row["role"])
    return dict(roles)


def team_history(team: Team) -> list[TeamMember]:
    """Every membership of the team, past and future included."""
    return list(TeamMember.objects.filter(team=team).select_related("user")
                .order_by("-start_on", "role", "id"))


def reviews(user: User, role: str | None,
            queryset: QuerySet[Review] | None = None) -> QuerySet[Review]:
    """The reviews this user may read, with their people and team."""
    queryset = Review.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("member", "member__user", "member__team",
                                       "member__team__customer", "reviewer")
    return permissions.visible_reviews(queryset, user, role)


def recognitions(queryset: QuerySet[Recognition] | None = None) -> QuerySet[Recognition]:
    queryset = Recognition.objects.all() if queryset is None else queryset
    return queryset.select_related("team", "team__customer", "user", "awarded_by")


def region_overview(today: date) -> list[dict]:
    """Per region (and "no region"): leader, customers, A-tier count, complete triangles,
    A-tier customers without one. Two queries."""
    regions = list(Region.objects.select_related("leader").order_by("name"))
    rows = {region.pk: {"region": region, "customers": 0, "a_tier": 0, "complete": 0,
                        "a_incomplete": 0, "with_team": 0} for region in regions}
    rows[None] = {"region": None, "customers": 0, "a_tier": 0, "complete": 0,
                  "a_incomplete": 0, "with_team": 0}
    customers = triangle.with_triangle_complete(
        Customer.objects.filter(is_active=True), today).values(
        "region_id", "tier", "triangle_complete", "has_ar", "has_sr", "has_fr")
    for customer in customers:
        row = rows.get(customer["region_id"], rows[None])
        row["customers"] += 1
        row["complete"] += bool(customer["triangle_complete"])
        if customer["tier"] == Tier.A:
            row["a_tier"] += 1
            row["a_incomplete"] += not customer["triangle_complete"]
    result = [rows[region.pk] for region in regions]
    if rows[None]["customers"]:
        result.append(rows[None])
    return result


def region_customers(region: Region, today: date) -> QuerySet[Customer]:
    """A region's customers with their triangle flags and team id."""
    teams_by_customer = Team.objects.filter(customer_id=OuterRef("pk")).values("pk")[:1]
    return (triangle.with_triangle_complete(
        Customer.objects.filter(region=region, is_active=True), today)
        .select_related("owner")
        .annotate(team_id=Subquery(teams_by_customer))
        .order_by("tier", "name"))


def incomplete_a_tier(today: date) -> QuerySet[Customer]:
    """A-tier customers without a complete triangle, with their region, owner and team."""
    team_id = Team.objects.filter(customer_id=OuterRef("pk")).values("pk")[:1]
    return (triangle.incomplete_a_tier(today)
            .select_related("region", "region__leader", "owner")
            .annotate(team_id=Subquery(team_id))
            .order_by("region__name", "name"))


def customers_without_team() -> QuerySet[Customer]:
    return Customer.objects.filter(is_active=True, teams__isnull=True).order_by("name")
