"""Fixtures shared by every test: two tenants with users of every role, API clients."""

import pytest

from kam.tenancy import tenant_context
from tests.factories import MembershipFactory, TenantFactory


@pytest.fixture
def tenant(db):
    return TenantFactory(slug="alpha", name="Alpha Interiors")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(slug="beta", name="Beta Seating")


@pytest.fixture
def in_tenant(tenant):
    """Run the test body with `tenant` as the current tenant."""
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def admin_membership(tenant):
    return MembershipFactory(tenant=tenant, role="admin")


@pytest.fixture
def admin_client(client, admin_membership):
    client.force_login(admin_membership.user)
    return client
