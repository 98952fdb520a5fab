"""Membership use cases: adding people, changing roles, deactivating; a workspace always
keeps an administrator, and a deactivated member's tokens stop working."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import ApiToken, Membership, User
from kam.tenancy import cross_tenant, tenant_context
from tests.factories import MembershipFactory


def memberships_of(user):
    with cross_tenant():
        return {m.tenant.slug: (m.role, m.is_active) for m in
                Membership.objects.filter(user=user).select_related("tenant")}


def test_adding_a_new_person_creates_the_user_once(tenant, other_tenant):
    alpha, created = services.add_member(
        tenant=tenant, email=" Ann.Lee@Example.com ", role="manager", full_name="Ann Lee"
    )
    beta, created_again = services.add_member(
        tenant=other_tenant, email="ann.lee@example.com", role="viewer"
    )

    assert created and not created_again
    assert alpha.user == beta.user
    assert User.objects.filter(email__iexact="ann.lee@example.com").count() == 1
    assert alpha.user.email == "ann.lee@example.com" and alpha.user.full_name == "Ann Lee"
    # No password given: they set one through the reset link.
    assert not alpha.user.has_usable_password()
    assert memberships_of(alpha.user) == {"alpha": ("manager", True), "beta": ("viewer", True)}


def test_new_member_with_a_password_can_log_in(tenant):
    membership, _ = services.add_member(
        tenant=tenant, email="bo@example.com", role="member", password="a-long-passphrase"
    )

    assert membership.user.check_password("a-long-passphrase")


def test_adding_an_active_member_again_is_an_error_on_email(admin_membership, tenant):
    with pytest.raises(ValidationError) as error:
        services.add_member(tenant=tenant, email=admin_membership.user.email, role="viewer")

    assert list(error.value.message_dict) == ["email"]
    assert memberships_of(admin_membership.user) == {"alpha": ("admin", True)}


def test_adding_a_former_member_again_reactivates_them_with_the_new_role(
    admin_membership, tenant
):
    former = MembershipFactory(tenant=tenant, role="manager")
    with tenant_context(tenant):
        services.deactivate_member(former)
    assert memberships_of(former.user) == {"alpha": ("manager", False)}

    membership, created = services.add_member(
        tenant=tenant, email=former.user.email, role="executive"
    )

    assert not created and membership.pk == former.pk
    assert memberships_of(former.user) == {"alpha": ("executive", True)}


def test_change_role(admin_membership, tenant):
    manager = MembershipFactory(tenant=tenant, role="manager")
    with tenant_context(tenant):
        services.change_role(manager, role="executive")
        with pytest.raises(ValidationError) as error:
            services.change_role(manager, role="owner")

    assert "role" in error.value.message_dict
    assert memberships_of(manager.user) == {"alpha": ("executive", True)}


def test_the_last_admin_can_be_neither_demoted_nor_deactivated(
    admin_membership, tenant, other_admin_membership
):
    """Beta's admin and alpha's inactive admin do not count for alpha."""
    MembershipFactory(tenant=tenant, role="admin", is_active=False)

    with tenant_context(tenant):
        with pytest.raises(ValidationError) as demoted:
            services.change_role(admin_membership, role="manager")
        with pytest.raises(ValidationError) as deactivated:
            services.deactivate_member(admin_membership)

    assert "role" in demoted.value.message_dict and "role" in deactivated.value.message_dict
    assert memberships_of(admin_membership.user) == {"alpha": ("admin", True)}


def test_an_admin_can_step_down_when_another_admin_remains(admin_membership, tenant):
    second = MembershipFactory(tenant=tenant, role="admin")
    with tenant_context(tenant):
        services.change_role(admin_membership, role="executive")
        with pytest.raises(ValidationError):
            services.deactivate_member(second)  # now the last one
        services.change_role(admin_membership, role="admin")
        services.deactivate_member(second)

    assert memberships_of(second.user) == {"alpha": ("admin", False)}
    assert memberships_of(admin_membership.user) == {"alpha": ("admin", True)}


def test_deactivating_revokes_the_members_tokens_in_that_tenant_only(
    admin_membership, tenant, other_tenant, bearer_client
):
    member = MembershipFactory(tenant=tenant, role="manager")
    elsewhere = MembershipFactory(tenant=other_tenant, user=member.user, role="manager")
    alpha_tokens = [bearer_client(member), bearer_client(member, role="viewer")]
    beta_token = bearer_client(elsewhere)
    colleague_token = bearer_client(admin_membership)

    with tenant_context(tenant):
        services.deactivate_member(member)

    for api_client in alpha_tokens:
        assert api_client.get("/api/v1/me/").status_code == 401
    assert beta_token.get("/api/v1/me/").status_code == 200
    assert colleague_token.get("/api/v1/me/").status_code == 200
    with cross_tenant():
        revoked = ApiToken.objects.filter(revoked_at__isnull=False)
        assert {t.pk for t in revoked} == {c.api_token.pk for c in alpha_tokens}
    # Coming back does not bring the old tokens back.
    services.add_member(tenant=tenant, email=member.user.email, role="manager")
    assert alpha_tokens[0].get("/api/v1/me/").status_code == 401
