"""Read use cases for tenants and memberships."""

from kam.tenancy import cross_tenant

from .models import Membership, Role, User

# What a person is put in charge of, and the roles that may be. A customer's owner and an
# OPL item's accountable KAM are key account managers. The owner of a piece of work (an
# OPL item, milestone, risk, initiative, PPAP element, a programme as its project manager)
# has to edit it: administrators, account managers and team members; viewers and
# executives only read.
KAM = "kam"
WORK = "work"
ASSIGNABLE_ROLES = {
    KAM: frozenset({Role.MANAGER}),
    WORK: frozenset({Role.ADMIN, Role.MANAGER, Role.MEMBER}),
}


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
    return (User.objects.filter(is_active=True, memberships__tenant=tenant,
                                memberships__is_active=True, memberships__role__in=roles)
            .distinct().order_by("email"))


def assignable_members(tenant, *, for_: str, include: int | None = None):
    """Active users with an active membership of `tenant` in a role that may be put in
    charge `for_` (KAM or WORK), for pickers and the API alike; `include` (a user id) keeps
    the one already chosen on a row, so that editing it does not drop them."""
    members = User.objects.filter(is_active=True, memberships__tenant=tenant,
                                  memberships__is_active=True,
                                  memberships__role__in=ASSIGNABLE_ROLES[for_])
    if include is not None:
        members = User.objects.filter(pk=include) | members
    return members.distinct().order_by("full_name", "email")
