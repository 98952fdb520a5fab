"""Permissions follow the team: who edits an account, a team, and who sees reviews.

One place for the rule, called by the teams views and API (and by the customers pages
and API for "who edits this account"):

- an **admin** edits every account;
- an **account manager** edits the accounts whose team they are an active member of
  (today, in the tenant's time zone), and reads the rest;
- every other role reads.

Reviews are personal: admins and executives see all of them; everyone else sees their
own, the ones they wrote, those of the teams they are on (managers) and those of the
regions they lead.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q

from accounts import roles
from customers.models import Customer
from kam.periods import period_bounds
from kam.tenancy import require_tenant

from .models import TeamMember, TeamRole, active_on


def _user_and_role(request_or_user, role):
    """Accept a request (its user, and its role when `role` is None) or a user."""
    user = getattr(request_or_user, "user", request_or_user)
    if role is None:
        role = getattr(request_or_user, "role", None)
    return user, role


def _today(today):
    return today if today is not None else require_tenant().today()


def _authenticated(user):
    return user is not None and not isinstance(user, AnonymousUser) and user.is_authenticated


class TeamAccountAccess:
    """The teams app's answer to "who edits which account" (accounts.roles): the accounts
    whose team a user is an active member of, today in the tenant's time zone."""

    def on_team(self, user, customer, today=None):
        return TeamMember.objects.filter(active_on(_today(today)), team__customer=customer,
                                         user=user).exists()

    def team_accounts(self, user, today=None):
        on_team = TeamMember.objects.filter(active_on(_today(today)),
                                            team__customer=OuterRef("pk"), user=user)
        return Customer.objects.filter(Exists(on_team))

    def all_accounts(self):
        return Customer.objects.all()


def can_edit_team(request_or_user, role, team, today=None):
    return roles.can_edit_account(request_or_user, role, team.customer, today)


def is_allowed_reviewer(user_id, team, period=None, today=None):
    """Whether `user_id` may review the members of `team`: an AR of the team during the
    quarter reviewed (or today, without a quarter), or the leader of its customer's region."""
    region = team.customer.region
    if region is not None and region.leader_id == user_id:
        return True
    ars = TeamMember.objects.filter(team=team, user_id=user_id, role=TeamRole.AR)
    if period is None:
        return ars.filter(active_on(_today(today))).exists()
    start, end = period_bounds(period)
    today = _today(today)
    # The AR of the reviewed quarter, or the AR in charge now (reviews are written after
    # the quarter, sometimes by the successor).
    return ars.filter(Q(start_on__lte=end) & (Q(end_on__isnull=True) | Q(end_on__gte=start))
                      | active_on(today)).exists()


def can_review(request_or_user, role, team, today=None):
    """Whether this user may write reviews for the members of `team`: an admin, or the
    team's AR / the region leader in a role that writes."""
    user, role = _user_and_role(request_or_user, role)
    if not _authenticated(user) or not roles.allows(role, "write_reviews"):
        return False
    return (roles.allows(role, "manage_reviews")
            or is_allowed_reviewer(user.pk, team, today=today))


def visible_reviews(queryset, user, role):
    """Narrow a Review queryset to what this user, in this role, may read."""
    user, role = _user_and_role(user, role)
    if not _authenticated(user):
        return queryset.none()
    if roles.allows(role, "read_all_reviews"):
        return queryset
    mine = Q(member__user=user) | Q(reviewer=user) | Q(member__team__customer__region__leader=user)
    if roles.allows(role, "read_team_reviews"):
        on_team = TeamMember.objects.filter(team=OuterRef("member__team"), user=user)
        mine |= Q(Exists(on_team))
    return queryset.filter(mine)
