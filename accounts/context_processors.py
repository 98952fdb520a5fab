from . import roles
from .selectors import user_memberships


def tenancy(request):
    """Tenant, role, what the role may do (`{% if can.read_dashboard %}`) and the tenant
    switcher's choices for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        return user_memberships(user)

    role = getattr(request, "role", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_role": role,
        "can": roles.Can(role),
        "user_memberships": memberships,
    }
