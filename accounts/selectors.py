"""Read use cases for tenants and memberships."""

from kam.tenancy import cross_tenant

from .models import Membership


def user_memberships(user):
    """The user's active memberships in active tenants, across tenants by design."""
    with cross_tenant():
        return list(
            Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
            .select_related("tenant", "user")
            .order_by("tenant__name")
        )


def active_membership(user, tenant_id=None):
    """The membership for `tenant_id` if the user has it, else their first one."""
    memberships = user_memberships(user)
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership
    return memberships[0] if memberships else None


def users_with_role(tenant, *roles):
    """Active users with an active membership of `tenant` in one of `roles` (whom jobs
    notify: executives for reports, administrators for campaigns)."""
    from .models import User

    return (User.objects.filter(is_active=True, memberships__tenant=tenant,
                                memberships__is_active=True, memberships__role__in=roles)
            .distinct().order_by("email"))
