"""Write use cases for account teams. Every function validates the whole row (the model's
`clean()` and the tenant checks) before it writes, and writes in one transaction.

- The AR is the KAM: whenever an AR membership is added, changed or ended, the customer's
  `owner` becomes the team's active AR of today (nobody when there is none), in the same
  transaction. (An AR whose start lies in the future takes over the owner when their
  membership is next saved.)
- A person's allocation over 100 % across their active memberships is a warning returned
  to the caller, not an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import selectors
from .models import Recognition, Review, Team, TeamMember, TeamRole, active_on

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal
    from typing import Any

    from accounts.models import Tenant, User
    from customers.models import Customer

MEMBER_FIELDS = ["user", "role", "allocation", "start_on", "end_on", "notes"]
REVIEW_FIELDS = ["period", "reviewer", "objectives", "attainment", *Review.DIMENSIONS,
                 "coefficient", "next_objectives", "comments"]


def _validate_and_save(obj, unique_field=None, unique_message=None):
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        # A concurrent write won the race for a unique row.
        raise ValidationError({unique_field or "__all__": unique_message or _(
            "Another change to the same data was saved at the same time; try again.")}
        ) from None
    return obj


# --- teams ---------------------------------------------------------------------------


@transaction.atomic
def create_team(*, tenant: Tenant, customer: Customer, name: str = "", notes: str = "") -> Team:
    team = Team(tenant=tenant, customer=customer, name=name, notes=notes)
    return _validate_and_save(team, "customer", _("This customer already has a team."))


@transaction.atomic
def update_team(team: Team, **fields: Any) -> Team:
    for name, value in fields.items():
        setattr(team, name, value)
    return _validate_and_save(team, "customer", _("This customer already has a team."))


# --- members -------------------------------------------------------------------------


def sync_owner(customer: Customer, *, today: date) -> int | None:
    """Make the customer's owner the team's active AR of `today` (or nobody)."""
    ar = (TeamMember.objects.filter(active_on(today), team__customer=customer,
                                    role=TeamRole.AR)
          .order_by("-start_on", "-id").first())
    owner_id = ar.user_id if ar is not None else None
    if customer.owner_id != owner_id:
        customer.owner_id = owner_id
        customer.save(update_fields=["owner", "updated_at"])
    return owner_id


def allocation_warning(user: User, today: date, total: int | None = None) -> str | None:
    """A warning when the user's active allocations add up to more than 100 %
    (`total`: the sum, when the caller already has it)."""
    total = selectors.allocation_total(user, today) if total is None else total
    if total > 100:
        return _("%(name)s is now allocated %(total)s %% across their active teams, more "
                 "than 100 %%.") % {"name": user, "total": total}
    return None


def _after_member_change(member, was_ar, today):
    if was_ar or member.role == TeamRole.AR:
        sync_owner(member.team.customer, today=today)
    return allocation_warning(member.user, today)


@transaction.atomic
def add_member(*, tenant: Tenant, team: Team, user: User, role: str, start_on: date,
               allocation: int = 20, end_on: date | None = None,
               notes: str = "") -> tuple[TeamMember, str | None]:
    """Put a person on a team. Returns (member, warning or None)."""
    member = TeamMember(tenant=tenant, team=team, user=user, role=role, start_on=start_on,
                        allocation=allocation, end_on=end_on, notes=notes)
    _validate_and_save(member, "role", _(
        "The team already has an active %(role)s; end that membership first.") % {"role": role})
    return member, _after_member_change(member, False, tenant.today())


@transaction.atomic
def update_member(member: TeamMember, **fields: Any) -> tuple[TeamMember, str | None]:
    """Change a membership (role, allocation, dates…). Returns (member, warning or None)."""
    was_ar = TeamMember.objects.filter(pk=member.pk, role=TeamRole.AR).exists()
    for name, value in fields.items():
        if name not in MEMBER_FIELDS and name != "team":
            raise TypeError(f"update_member() got an unexpected field {name!r}")
        setattr(member, name, value)
    _validate_and_save(member, "role", _(
        "The team already has an active %(role)s; end that membership first.")
        % {"role": member.role})
    return member, _after_member_change(member, was_ar, member.tenant.today())


def end_member(member: TeamMember, *, end_on: date | None = None) -> TeamMember:
    """End a membership (today by default)."""
    end_on = end_on or member.tenant.today()
    return update_member(member, end_on=max(end_on, member.start_on))[0]


# --- reviews -------------------------------------------------------------------------


@transaction.atomic
def create_review(*, tenant: Tenant, member: TeamMember, reviewer: User, period: str,
                  coefficient: Decimal, **fields: Any) -> Review:
    review = Review(tenant=tenant, member=member, reviewer=reviewer, period=period,
                    coefficient=coefficient, **fields)
    return _validate_and_save(review, "period", _(
        "This member already has a review for this quarter."))


@transaction.atomic
def update_review(review: Review, **fields: Any) -> Review:
    for name, value in fields.items():
        if name not in REVIEW_FIELDS:
            raise TypeError(f"update_review() got an unexpected field {name!r}")
        setattr(review, name, value)
    return _validate_and_save(review, "period", _(
        "This member already has a review for this quarter."))


# --- recognitions --------------------------------------------------------------------


@transaction.atomic
def create_recognition(*, tenant: Tenant, kind: str, year: int, awarded_by: User | None = None,
                       quarter: int | None = None, team: Team | None = None,
                       user: User | None = None, citation: str = "") -> Recognition:
    recognition = Recognition(tenant=tenant, kind=kind, year=year, quarter=quarter, team=team,
                              user=user, citation=citation, awarded_by=awarded_by)
    return _validate_and_save(recognition, "year", _("This year's best team is already named."))


@transaction.atomic
def update_recognition(recognition: Recognition, **fields: Any) -> Recognition:
    for name in ("kind", "year", "quarter", "team", "user", "citation"):
        if name in fields:
            setattr(recognition, name, fields.pop(name))
    if fields:
        raise TypeError(f"update_recognition() got unexpected fields {sorted(fields)}")
    return _validate_and_save(recognition, "year", _("This year's best team is already named."))
