from .selectors import unread_count


def unread(request):
    """The unread count for the navigation badge (one query, only when rendered)."""
    if getattr(request, "tenant", None) is None:
        return {}
    return {"unread_notifications": lambda: unread_count(request.user)}
