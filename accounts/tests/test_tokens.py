"""API tokens: created once by the service or `manage.py create_api_token`, stored hashed,
bound to one tenant and role; a missing, bad, revoked or expired token is a 401."""

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import create_api_token, revoke_api_token
from kam.tenancy import cross_tenant, tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory

ME = "/api/v1/me/"


def call(header):
    return Client(headers={"Authorization": header} if header else {}).get(ME)


def create_token_command(*args):
    """Run the command; returns (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the service -----------------------------------------------------------------------


def test_token_is_shown_once_and_only_its_hash_is_stored(admin_membership, tenant):
    token, raw = create_api_token(tenant=tenant, user=admin_membership.user, name="ERP")

    assert re.fullmatch(r"kam_[0-9a-f]{8}_[\w-]{40,}", raw)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    with cross_tenant():
        stored = [str(value) for row in ApiToken.objects.values_list() for value in row]
    secret = raw.split("_", 2)[2]  # the secret itself may contain "_"
    assert not any(raw in value or secret in value for value in stored)


def test_token_takes_the_owners_role_unless_given_a_lower_one(tenant):
    manager = MembershipFactory(tenant=tenant, role="manager")

    token, _ = create_api_token(tenant=tenant, user=manager.user, name="default")
    lower, _ = create_api_token(tenant=tenant, user=manager.user, name="read", role="viewer")

    assert (token.role, lower.role) == ("manager", "viewer")
    with pytest.raises(ValidationError) as error:
        create_api_token(tenant=tenant, user=manager.user, name="escalate", role="admin")
    assert "role" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        create_api_token(tenant=tenant, user=manager.user, name="bogus", role="superuser")
    assert "role" in error.value.message_dict


def test_only_active_members_of_the_tenant_get_tokens(tenant, other_tenant):
    outsider = MembershipFactory(tenant=other_tenant, role="admin").user
    former = MembershipFactory(tenant=tenant, role="admin", is_active=False).user

    for user in (outsider, former, UserFactory()):
        with pytest.raises(ValidationError) as error:
            create_api_token(tenant=tenant, user=user, name="nope")
        assert "user" in error.value.message_dict
    with tenant_context(tenant):
        assert not ApiToken.objects.exists()


def test_expiry_must_be_in_the_future(admin_membership, tenant):
    with pytest.raises(ValidationError) as error:
        create_api_token(tenant=tenant, user=admin_membership.user, name="old",
                         expires_at=timezone.now() - timedelta(minutes=1))
    assert "expires_at" in error.value.message_dict


# --- the command -----------------------------------------------------------------------


def test_command_prints_a_working_read_only_token_once(tenant):
    member = MembershipFactory(tenant=tenant, role="admin", user__email="erp@example.com")

    out, err = create_token_command("--tenant", "alpha", "--email", "ERP@example.com",
                                    "--name", "SAP bridge")

    raw = out.strip()
    assert out.count(raw) == 1 and raw not in err
    assert "erp@example.com" in err and "viewer" in err
    response = call(f"Bearer {raw}")
    assert response.status_code == 200
    # An administrator's token reads only unless more is asked for.
    assert response.json()["role"] == "viewer"
    with tenant_context(tenant):
        token = ApiToken.objects.get()
    assert (token.name, token.user, token.role) == ("SAP bridge", member.user, "viewer")


def test_command_gives_the_token_the_role_asked_for_up_to_the_members(tenant):
    MembershipFactory(tenant=tenant, role="manager", user__email="ops@example.com")

    out, _ = create_token_command("--tenant", "alpha", "--email", "ops@example.com",
                                  "--role", "manager")

    assert call(f"Bearer {out.strip()}").json()["role"] == "manager"


@pytest.mark.parametrize("args, message", [
    (["--tenant", "nope", "--email", "m@example.com"], "No active tenant with slug 'nope'"),
    (["--tenant", "dormant", "--email", "m@example.com"], "No active tenant with slug 'dormant'"),
    (["--tenant", "alpha", "--email", "ghost@example.com"], "ghost@example.com"),
    (["--tenant", "beta", "--email", "m@example.com"], "not a member of the workspace"),
    (["--tenant", "alpha", "--email", "m@example.com", "--role", "admin"],
     "cannot have more rights than its owner"),
    (["--tenant", "alpha", "--email", "m@example.com", "--role", "root"], "invalid choice"),
    (["--email", "m@example.com"], "--tenant"),
], ids=["unknown tenant", "inactive tenant", "unknown user", "not a member",
        "role above the owner's", "unknown role", "no tenant"])
def test_command_refuses_with_a_clear_message(args, message, tenant, other_tenant):
    TenantFactory(slug="dormant", is_active=False)
    MembershipFactory(tenant=tenant, role="manager", user__email="m@example.com")

    with pytest.raises(CommandError, match=re.escape(message)):
        create_token_command(*args)
    with cross_tenant():
        assert not ApiToken.objects.exists()


# --- authentication --------------------------------------------------------------------


def test_valid_token_authenticates_and_records_its_use(admin_api_client, tenant):
    token = admin_api_client.api_token
    assert token.last_used_at is None

    response = admin_api_client.get(ME)

    assert response.status_code == 200
    with tenant_context(tenant):
        token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None and timezone.now() - first_use < timedelta(minutes=1)
    # Uses within a minute are not written again (reads should not write each time).
    admin_api_client.get(ME)
    with tenant_context(tenant):
        token.refresh_from_db()
    assert token.last_used_at == first_use


@pytest.mark.parametrize("header", [
    None,
    "Bearer",
    "Bearer one two",
    "Bearer not-a-kam-token",
    "Bearer kam_0000000_secret",
    "Basic dXNlcjpwYXNz",
], ids=["no header", "no token", "two tokens", "foreign format", "unknown prefix", "basic"])
def test_missing_or_malformed_token_is_401(header, admin_api_client):
    response = call(header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_wrong_secret_is_401(admin_api_client):
    raw = admin_api_client.raw_token
    prefix = raw.split("_")[1]

    assert call(f"Bearer kam_{prefix}_{'x' * 43}").status_code == 401
    assert call(f"Bearer {raw}x").status_code == 401
    assert call(f"Bearer {raw}").status_code == 200


def test_revoked_token_is_401(admin_api_client, tenant):
    with tenant_context(tenant):
        revoke_api_token(admin_api_client.api_token)

    assert admin_api_client.get(ME).status_code == 401


def test_expired_token_is_401(bearer_client, admin_membership, tenant):
    api_client = bearer_client(admin_membership, expires_at=timezone.now() + timedelta(hours=1))
    assert api_client.get(ME).status_code == 200

    with tenant_context(tenant):
        ApiToken.objects.filter(pk=api_client.api_token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

    assert api_client.get(ME).status_code == 401


def test_token_of_an_inactive_membership_is_401(admin_api_client, admin_membership, tenant):
    with tenant_context(tenant):
        admin_membership.is_active = False
        admin_membership.save()

    assert admin_api_client.get(ME).status_code == 401


def test_token_of_an_inactive_tenant_is_401(admin_api_client, tenant):
    tenant.is_active = False
    tenant.save()

    assert admin_api_client.get(ME).status_code == 401


def test_token_of_an_inactive_user_is_401(admin_api_client, admin_membership):
    admin_membership.user.is_active = False
    admin_membership.user.save()

    assert admin_api_client.get(ME).status_code == 401


def test_token_never_has_more_rights_than_its_owner_has_now(bearer_client, tenant):
    """A token made while its owner was admin acts with the owner's present, lower role."""
    owner = MembershipFactory(tenant=tenant, role="admin")
    MembershipFactory(tenant=tenant, role="admin")  # the tenant keeps an admin
    api_client = bearer_client(owner)
    assert api_client.get(ME).json()["role"] == "admin"

    with tenant_context(tenant):
        owner.role = "viewer"
        owner.save()

    assert api_client.get(ME).json()["role"] == "viewer"
