"""Demo account teams for `manage.py seed_demo` (runs after the customers' seed).

Demo tenant: a team on every A- and B-tier customer, two A-tier triangles deliberately
incomplete (one without an FR, one whose SR left last month), two years of quarterly
reviews, one person with three years at ≥ 0.9 (the talent-pool candidate), a quarterly
award and last year's best team. The `second` tenant gets two teams, one incomplete.
Deterministic, written through `teams.services` (so the AR becomes the customer's owner),
and idempotent: a tenant that already has teams is left as it is.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import Membership, Role
from customers.models import Customer
from customers.seed import last_quarters
from kam.periods import period_bounds

from . import coefficients, services
from .models import Recognition, Team, TeamMember, TeamRole, active_on

SUPPORT_ROLES = [TeamRole.ENGINEERING, TeamRole.QUALITY, TeamRole.PROJECT,
                 TeamRole.LOGISTICS, TeamRole.SALES, TeamRole.FINANCE]
OBJECTIVES = [
    "Close the annual price agreement without margin erosion.",
    "Get the door-trim PPAP approved before the customer's gate.",
    "Raise supply share on the next BEV platform by 5 points.",
    "Bring quality PPM below 50 on the instrument panel line.",
    "Hold a technical exchange on sustainable materials with the customer's R&D.",
    "Cut premium freight to zero for the quarter.",
    "Map the customer's new purchasing organisation and meet the CPO.",
]


def _people(tenant):
    people = {role: [] for role in Role.values}
    for membership in (Membership.objects.filter(is_active=True).select_related("user")
                       .order_by("user__email")):
        people[membership.role].append(membership.user)
    return people


@transaction.atomic
def seed(tenant):
    if Team.objects.exists():
        return
    rng = random.Random(f"kam-teams-{tenant.slug}")
    people = _people(tenant)
    managers = people[Role.MANAGER] or people[Role.ADMIN]
    members = people[Role.MEMBER] or managers
    if not managers:
        return
    today = tenant.today()
    start = today - timedelta(days=3 * 365 + 120)
    customers = list(Customer.objects.filter(tier__in=["A", "B"], is_active=True)
                     .select_related("region").order_by("tier", "-score", "code"))
    if tenant.slug != "demo":
        customers = list(Customer.objects.select_related("region").order_by("tier", "code"))[:2]
    a_tier = [c for c in customers if c.tier == "A"]
    no_fr = a_tier[1] if len(a_tier) > 1 else None
    sr_left = a_tier[-1] if len(a_tier) > 2 else None
    if tenant.slug != "demo":
        no_fr, sr_left = customers[-1], None

    teams = []
    for index, customer in enumerate(customers):
        team = services.create_team(tenant=tenant, customer=customer,
                                    notes="Monthly account review; weekly OPL stand-up.")
        teams.append(team)
        ar = managers[index % len(managers)]
        others = [user for user in members if user != ar] or [ar]
        sr = others[index % len(others)]
        fr = others[(index + 1) % len(others)] if len(others) > 1 else None
        services.add_member(tenant=tenant, team=team, user=ar, role=TeamRole.AR,
                            allocation=25, start_on=start,
                            notes="Commercial lead, customer's single point of contact.")
        if customer == sr_left:
            services.add_member(tenant=tenant, team=team, user=sr, role=TeamRole.SR,
                                allocation=10, start_on=start,
                                end_on=today - timedelta(days=30),
                                notes="Moved to the new-programme office.")
        else:
            services.add_member(tenant=tenant, team=team, user=sr, role=TeamRole.SR,
                                allocation=10, start_on=start,
                                notes="Technical solutions and engineering changes.")
        if customer != no_fr and fr is not None and fr != sr:
            services.add_member(tenant=tenant, team=team, user=fr, role=TeamRole.FR,
                                allocation=10, start_on=start,
                                notes="Delivery, logistics and quality follow-up.")
        helpers = [user for user in people[Role.MEMBER] + people[Role.MANAGER]
                   if user not in (ar, sr, fr)]
        for role in rng.sample(SUPPORT_ROLES, 2 if helpers else 0):
            user = helpers.pop(rng.randrange(len(helpers))) if helpers else None
            if user is not None:
                services.add_member(tenant=tenant, team=team, user=user, role=role,
                                    allocation=5, start_on=start)
    _reviews(tenant, rng, teams, managers[0], today)
    _recognitions(tenant, teams, today)


def _reviews(tenant, rng, teams, candidate, today):
    """Eight quarters of reviews for everyone; twelve at ≥ 0.9 for the candidate."""
    quarters = last_quarters(today, 12)
    for team in teams:
        leader = team.customer.region.leader if team.customer.region else None
        rows = TeamMember.objects.filter(team=team).select_related("user")
        ar = rows.filter(role=TeamRole.AR).first()
        for member in rows:
            reviewer = leader if member.role == TeamRole.AR or ar is None else ar.user
            if reviewer is None or reviewer == member.user:
                continue
            periods = quarters if member.user == candidate else quarters[-8:]
            for period in periods:
                first, last = period_bounds(period)
                if not member.is_active_on(last) and not member.is_active_on(first):
                    continue
                scores = [rng.randint(3, 5) for _ in range(5)]
                if member.user == candidate:
                    value = Decimal(rng.choice(["0.90", "0.92", "0.95", "0.97"]))
                    scores = [rng.randint(4, 5) for _ in range(5)]
                else:
                    value = Decimal(rng.randint(60, 95)) / 100
                services.create_review(
                    tenant=tenant, member=member, reviewer=reviewer, period=period,
                    coefficient=value, objectives=rng.choice(OBJECTIVES),
                    attainment=rng.randint(55, 110) if rng.random() > .2 else 100,
                    business_results=scores[0], customer_satisfaction=scores[1],
                    project_delivery=scores[2], collaboration=scores[3],
                    capability_growth=scores[4], next_objectives=rng.choice(OBJECTIVES))


def _recognitions(tenant, teams, today):
    if not teams:
        return
    last_year = today.year - 1
    values = coefficients.team_coefficients(teams, years={last_year})
    ranked = sorted((team for team in teams if last_year in values.get(team.pk, {})),
                    key=lambda team: -values[team.pk][last_year]["value"])
    if ranked and not Recognition.objects.filter(kind=Recognition.Kind.BEST_TEAM,
                                                 year=last_year).exists():
        services.create_recognition(
            tenant=tenant, kind=Recognition.Kind.BEST_TEAM, year=last_year, team=ranked[0],
            citation="Highest team coefficient of the year: on-time launches and a clean "
                     "PPAP record.")
    previous = last_quarters(today, 1)[0]
    best = (TeamMember.objects.filter(active_on(today), reviews__period=previous)
            .order_by("-reviews__coefficient", "id").select_related("user", "team").first())
    if best is not None:
        services.create_recognition(
            tenant=tenant, kind=Recognition.Kind.QUARTERLY_AWARD, year=int(previous[:4]),
            quarter=int(previous[-1]), user=best.user, team=best.team,
            citation="Recovered a late tool trial with a weekend shift plan.")
