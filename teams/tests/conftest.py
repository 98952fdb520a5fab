"""Fixtures for the teams tests: a customer with a complete iron triangle."""

from datetime import timedelta

import pytest

from kam.tenancy import tenant_context
from tests.factories import CustomerFactory, MembershipFactory, RegionFactory

from .factories import TeamFactory, TeamMemberFactory


def person(tenant, role="member", **fields):
    return MembershipFactory(tenant=tenant, role=role, **fields).user


def make_team(tenant, roles=("AR", "SR", "FR"), tier="A", region=None, people=None):
    """A team on a new customer with one active member per role in `roles`;
    `people` maps a role to the user to use."""
    people = people or {}
    with tenant_context(tenant):
        region = region or RegionFactory(tenant=tenant, leader=person(tenant, "executive"))
        customer = CustomerFactory(tenant=tenant, tier=tier, region=region)
        team = TeamFactory(tenant=tenant, customer=customer)
        start = tenant.today() - timedelta(days=800)
        for role in roles:
            user = people.get(role) or person(tenant, "manager" if role == "AR" else "member")
            TeamMemberFactory(tenant=tenant, team=team, user=user, role=role, start_on=start,
                              allocation=20)
    return team


@pytest.fixture
def team(tenant):
    return make_team(tenant)
