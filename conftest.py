"""Fixtures shared by every test: two tenants with users of every role, API clients."""

import pytest
from django.test import Client

from accounts.services import create_api_token
from kam.tenancy import tenant_context
from tests.factories import MembershipFactory, TenantFactory

# The `stack` fixture: real Redis, Celery worker and beat processes (tests.celery_stack).
pytest_plugins = ["tests.celery_stack"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded files (attachments) of each test go to a folder of its own."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


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


@pytest.fixture
def other_admin_membership(other_tenant):
    return MembershipFactory(tenant=other_tenant, role="admin")


@pytest.fixture
def bearer_client(db):
    """`bearer_client(membership, role=None)`: a test client that sends a new API token of
    that member as `Authorization: Bearer …`; `.api_token` and `.raw_token` hold the token."""

    def make(membership, role=None, **token_fields):
        token, raw = create_api_token(
            tenant=membership.tenant, user=membership.user, name="test token", role=role,
            **token_fields,
        )
        api_client = Client(headers={"Authorization": f"Bearer {raw}"})
        api_client.api_token, api_client.raw_token = token, raw
        return api_client

    return make


@pytest.fixture
def api(tenant, bearer_client):
    """`api(role="admin")`: a Bearer client of a new member of `tenant` with that role;
    `.user` is the member."""

    def make(role="admin"):
        client = bearer_client(MembershipFactory(tenant=tenant, role=role))
        client.user = client.api_token.user
        return client

    return make


@pytest.fixture
def admin_api_client(bearer_client, admin_membership):
    """A client with a Bearer token of `admin_membership` (tenant alpha, role admin)."""
    return bearer_client(admin_membership)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hashing with the production hasher costs ~0.3 s a password; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def live_dashboard(settings):
    """Tests see the dashboard as it is now; the cache has its own test."""
    settings.DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture
def team_accounts(tenant):
    """(manager, mine, theirs): a manager on the team of `mine`, and `theirs` staffed by
    another manager — for the "permissions follow the team" tests of every app."""
    from teams.tests.factories import TeamMemberFactory
    from tests.factories import CustomerFactory, MembershipFactory

    manager = MembershipFactory(tenant=tenant, role="manager")
    colleague = MembershipFactory(tenant=tenant, role="manager")
    mine = CustomerFactory(tenant=tenant, code="MINE")
    theirs = CustomerFactory(tenant=tenant, code="THEIRS")
    TeamMemberFactory(tenant=tenant, team__customer=mine, user=manager.user, role="AR")
    TeamMemberFactory(tenant=tenant, team__customer=theirs, user=colleague.user, role="AR")
    return manager, mine, theirs


@pytest.fixture
def celery_conf():
    """`celery_conf(**options)` changes the Celery app's configuration for one test."""
    from kam.celery import app

    saved = {}

    def change(**options):
        for key in options:
            saved.setdefault(key, app.conf[key])
        app.conf.update(options)

    yield change
    app.conf.update(saved)


@pytest.fixture
def eager(celery_conf):
    """Run tasks in-process, even when REDIS_URL points at a real broker (CI)."""
    celery_conf(task_always_eager=True, task_eager_propagates=True)


@pytest.fixture(autouse=True)
def generous_rate_limits(settings):
    """The suite sends many requests a minute with one token (the schema fuzzing); the rate
    limits have their own tests (kam/tests/test_rate_limits.py)."""
    settings.API_RATE_LIMITS = {"read": "1000000/minute", "write": "1000000/minute"}
