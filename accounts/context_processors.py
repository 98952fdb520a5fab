from .selectors import user_memberships


def tenancy(request):
    """Tenant, role and the tenant switcher's choices for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        return user_memberships(user)

    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_role": getattr(request, "role", None),
        "user_memberships": memberships,
    }
