"""The iron triangle: completeness and coverage hints, computed here and only here.

Rule: a customer's triangle is **complete** on a day when its account team has an
active member (started, not ended) in each of the three roles AR (account responsible,
the KAM), SR (solution responsible) and FR (fulfilment responsible). A customer without a
team is incomplete. Every A-tier customer must have a complete triangle; the incomplete
ones are listed for executives (`incomplete_a_tier`).

Coverage hint: each corner has counterparts on the customer's side, AR ↔ purchasing,
SR ↔ engineering, FR ↔ logistics and quality; a corner whose departments have no active
contact gets a hint.

Set-based use (lists, APIs, filters)::

    customers = with_triangle_complete(Customer.objects.all(), tenant.today())
    customers.filter(triangle_complete=False)

adds the boolean annotations `has_ar`, `has_sr`, `has_fr` and `triangle_complete` with
EXISTS subqueries: no extra query per row.
"""

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.utils.translation import gettext as _

from customers.models import Contact, Customer, Department, Tier

from .models import TRIANGLE_ROLES, Team, TeamMember, TeamRole, active_on

# Customer-side departments each corner of the triangle faces.
COUNTERPART_DEPARTMENTS = {
    TeamRole.AR: [Department.PURCHASING],
    TeamRole.SR: [Department.ENGINEERING],
    TeamRole.FR: [Department.LOGISTICS, Department.QUALITY],
}


def _corner_exists(role, today, **outer):
    return Exists(TeamMember.objects.filter(active_on(today), role=role, **outer))


def _annotate(queryset, today, outer_lookup):
    flags = {
        f"has_{role.lower()}": _corner_exists(role, today, **{outer_lookup: OuterRef("pk")})
        for role in TRIANGLE_ROLES
    }
    complete = flags["has_ar"] & flags["has_sr"] & flags["has_fr"]
    return queryset.annotate(
        **flags, triangle_complete=ExpressionWrapper(complete, output_field=BooleanField()))


def with_triangle_complete(customers_qs, today):
    """Annotate a Customer queryset with `has_ar`, `has_sr`, `has_fr`, `triangle_complete`."""
    return _annotate(customers_qs, today, "team__customer")


def with_team_triangle(teams_qs, today):
    """The same annotations on a Team queryset."""
    return _annotate(teams_qs, today, "team")


def filter_complete(customers_qs, complete, today):
    """Customers whose triangle is (or, with complete=False, is not) complete."""
    return with_triangle_complete(customers_qs, today).filter(triangle_complete=complete)


def incomplete_a_tier(today, customers_qs=None):
    """Active A-tier customers without a complete triangle (the executives' list)."""
    customers_qs = Customer.objects.all() if customers_qs is None else customers_qs
    return filter_complete(customers_qs.filter(tier=Tier.A, is_active=True), False, today)


def missing_roles(row):
    """The corners missing on a row annotated by `with_triangle_complete`."""
    return [role for role in TRIANGLE_ROLES if not getattr(row, f"has_{role.lower()}")]


def active_members(team, today):
    """Active members of `team`, from a prefetch `active_members` when there is one."""
    if hasattr(team, "active_members"):
        return list(team.active_members)
    return list(TeamMember.objects.filter(active_on(today), team=team)
                .select_related("user").order_by("role", "start_on", "id"))


def team_of(customer):
    return Team.objects.filter(customer=customer).first()


def triangle(team, today, members=None):
    """The team's triangle on `today`: the three corners (member or None), completeness,
    the missing roles and the supporting ring."""
    members = active_members(team, today) if members is None and team is not None else (
        members or [])
    by_role = {}
    for member in members:
        by_role.setdefault(member.role, member)
    corners = [{"role": role, "label": TeamRole(role).label, "member": by_role.get(role)}
               for role in TRIANGLE_ROLES]
    missing = [corner["role"] for corner in corners if corner["member"] is None]
    return {
        "team": team,
        "corners": corners,
        "ar": corners[0], "sr": corners[1], "fr": corners[2],
        "complete": not missing,
        "missing": missing,
        "supporting": [m for m in members if m.role not in TRIANGLE_ROLES],
    }


def coverage_hints(customer, departments=None):
    """Hints for corners whose customer-side departments have no active contact.
    `departments`: the departments with active contacts, when the caller has them."""
    if departments is None:
        departments = set(Contact.objects.filter(customer=customer, is_active=True)
                          .values_list("department", flat=True).distinct())
    hints = []
    for role, needed in COUNTERPART_DEPARTMENTS.items():
        for department in needed:
            if department not in departments:
                hints.append({"role": role, "department": department, "text": _(
                    "No %(department)s contact at the customer for the %(role)s.")
                    % {"department": Department(department).label.lower(), "role": role}})
    return hints


def customer_triangle(customer, today):
    """Everything the customer page's triangle panel shows."""
    team = team_of(customer)
    data = triangle(team, today) if team is not None else triangle(None, today, members=[])
    data["customer"] = customer
    data["hints"] = coverage_hints(customer)
    data["required"] = customer.tier == Tier.A
    return data
