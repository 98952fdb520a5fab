"""Browser-side capability checks; the API's counterpart is kam.api.CapabilityPermission."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import roles


def tenant_required(capability="read"):
    """Require a logged-in user with an active membership whose role has `capability`
    (a name in accounts.roles.CAPABILITIES)."""
    roles.roles_for(capability)  # an unknown name fails when the view is defined

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                raise PermissionDenied("You are not a member of any active workspace.")
            if not roles.allows(request.role, capability):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_required = tenant_required("manage_workspace")
