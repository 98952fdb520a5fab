"""Browser-side role checks; the API's counterpart is kam.api.RolePermission."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .models import Role

EVERY_ROLE = frozenset(Role.values)


def tenant_required(roles=EVERY_ROLE):
    """Require a logged-in user with an active membership whose role is in `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                raise PermissionDenied("You are not a member of any active workspace.")
            if request.role not in roles:
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_required = tenant_required(frozenset({Role.ADMIN}))
