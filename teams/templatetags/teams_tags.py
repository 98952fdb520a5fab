"""Template tags for account teams: the iron triangle drawn in SVG, and the triangle
panel that the customer page includes (`{% include "teams/_triangle_panel.html" %}`)."""

import math

from django import template

from accounts import roles

from .. import permissions, triangle

register = template.Library()

# The drawing: the triangle's corners on a circle around (CX, CY), the supporting
# functions on a wider ring around it.
CX, CY = 200, 222
CORNER_RADIUS, RING_RADIUS = 128, 188
CORNER_ANGLES = {"AR": -90, "SR": 150, "FR": 30}


def _point(angle, radius):
    rad = math.radians(angle)
    return round(CX + radius * math.cos(rad), 1), round(CY + radius * math.sin(rad), 1)


@register.filter
def initials(user):
    """Up to two initials of a person's name (or e-mail)."""
    if user is None:
        return "?"
    name = (getattr(user, "full_name", "") or getattr(user, "email", "") or str(user)).strip()
    parts = [part for part in name.replace(".", " ").split() if part]
    letters = "".join(part[0] for part in parts[:2]) if parts else "?"
    return letters.upper()


@register.inclusion_tag("teams/_triangle_svg.html")
def triangle_svg(data, ring=True):
    """Draw `data` (from teams.triangle.triangle) as a triangle: AR at the top, SR and FR
    at the base corners, missing corners in red, the supporting functions on a ring."""
    corners = []
    for corner in data["corners"]:
        x, y = _point(CORNER_ANGLES[corner["role"]], CORNER_RADIUS)
        corners.append({**corner, "x": x, "y": y, "text_y": y + 56, "role_y": y + 72})
    supporting = []
    count = len(data["supporting"]) if ring else 0
    for index, member in enumerate(data["supporting"][:count]):
        angle = -90 + 180 / count + index * 360 / count
        x, y = _point(angle, RING_RADIUS)
        supporting.append({"member": member, "x": x, "y": y})
    edges = [(corners[0], corners[1]), (corners[1], corners[2]), (corners[2], corners[0])]
    return {"data": data, "corners": corners, "supporting": supporting, "ring": ring,
            "edges": edges, "cx": CX, "cy": CY, "ring_radius": RING_RADIUS}


@register.inclusion_tag("teams/_triangle_card.html", takes_context=True)
def triangle_panel(context, customer):
    """The customer page's panel: the triangle, coverage hints and links."""
    request = context.get("request")
    today = request.tenant.today()
    data = triangle.customer_triangle(customer, today)
    team = data["team"]
    return {
        "tri": data, "customer": customer, "team": team, "request": request,
        "can_edit": team is not None and permissions.can_edit_team(request, None, team),
        "can_create": team is None and roles.allows(request.role, "manage_workspace"),
    }
