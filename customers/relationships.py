"""The relationship map and its coverage rule (one place for both).

Coverage rule for an A-tier account: at least one decision maker who is a supporter, and
every customer department our team serves has a named, active contact. The served
departments are the iron triangle's counterparts: AR ↔ purchasing, SR ↔ engineering,
FR ↔ logistics and quality.
"""

from django.utils.translation import gettext as _

from .models import Attitude, Contact, DecisionRole, Department, Level

SERVED_DEPARTMENTS = [Department.PURCHASING, Department.ENGINEERING, Department.LOGISTICS,
                      Department.QUALITY]


def relationship_map(customer):
    """Contacts as rows (department) × columns (level), plus the coverage gaps."""
    contacts = list(Contact.objects.filter(customer=customer, is_active=True)
                    .select_related("counterpart"))
    grid = {
        dept: {"label": label, "levels": {level: [] for level in Level.values}}
        for dept, label in Department.choices
    }
    for contact in contacts:
        grid[contact.department]["levels"][contact.level].append(contact)
    rows = [row for row in grid.values() if any(row["levels"].values())]
    return {"rows": rows, "levels": Level.choices, "gaps": coverage_gaps(customer, contacts)}


def coverage_gaps(customer, contacts):
    """Human-readable gaps; the rule applies to A-tier accounts only."""
    if customer.tier != "A":
        return []
    gaps = []
    if not any(c.decision_role == DecisionRole.DECISION_MAKER and c.attitude == Attitude.SUPPORTER
               for c in contacts):
        gaps.append(_("No decision maker who is a supporter."))
    present = {c.department for c in contacts}
    for dept in SERVED_DEPARTMENTS:
        if dept not in present:
            gaps.append(_("No named contact in %(department)s.")
                        % {"department": Department(dept).label})
    return gaps
