import pytest

from tests.factories import MembershipFactory


@pytest.fixture
def login(client, tenant):
    """Log the test client in as a new member of `tenant` with `role`; returns the user."""
    def as_role(role):
        user = MembershipFactory(tenant=tenant, role=role).user
        client.force_login(user)
        return user
    return as_role
