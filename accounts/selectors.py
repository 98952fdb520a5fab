"""Read use cases for tenants and memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kam.tenancy import cross_tenant

from .models import Membership, User
from .roles import roles_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

    from .models import Tenant

# What a person is put in charge of: a customer's owner and an OPL item's accountable KAM
# are key account managers; the owner of a piece of work (an OPL item, milestone, risk,
# initiative, PPAP element, a programme as its project manager) has to edit it.
KAM = "own_accounts"
WORK = "own_work"


def user_memberships(user: User) -> list[Membership]:
    """The user's active memberships in active tenants, across tenants by design."""
    with cross_tenant():
        return list(
            Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
            .select_related("tenant", "user")
            .order_by("tenant__name")
        )


def active_membership(user: User, tenant_id: int | None = None) -> Membership | None:
    """The membership for `tenant_id` if the user has it, else their first one."""
    memberships = user_memberships(user)
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership
    return memberships[0] if memberships else None


def tenant_members(tenant: Tenant, *, roles: Iterable[str] | None = None,
                   include: int | None = None, active_users: bool = False) -> QuerySet[User]:
    """The users with an active membership of `tenant` (in one of `roles`, if given; only
    active logins with `active_users`): the one query behind pickers, filters and the
    people jobs notify. `include` (a user id) keeps the one already chosen on a row, so
    that editing it does not drop them."""
    filters = {"memberships__tenant": tenant, "memberships__is_active": True}
    if roles is not None:
        filters["memberships__role__in"] = roles
    if active_users:
        filters["is_active"] = True
    members = User.objects.filter(**filters)
    if include is not None:
        members = User.objects.filter(pk=include) | members
    return members.distinct().order_by("full_name", "email")


def users_with_role(tenant: Tenant, *roles: str) -> QuerySet[User]:
    """Active users with an active membership of `tenant` in one of `roles` (whom jobs
    notify: executives for reports, administrators for campaigns)."""
    return tenant_members(tenant, roles=roles, active_users=True).order_by("email")


def assignable_members(tenant: Tenant, *, for_: str,
                       include: int | None = None) -> QuerySet[User]:
    """The people who may be put in charge `for_` (KAM or WORK: a capability of
    accounts.roles), for pickers and the API alike; `include` keeps the row's own."""
    return tenant_members(tenant, roles=roles_for(for_), include=include,
                          active_users=True)
