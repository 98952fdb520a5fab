"""Shared API pieces named in REST_FRAMEWORK settings: pagination, capability permission,
error handler (DRF's errors, and a 503 while the database is away). (No DRF views are
imported here: settings load this module early.)"""

import logging

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import pagination, permissions

from accounts import roles

logger = logging.getLogger("kam.api")


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class CapabilityPermission(permissions.BasePermission):
    """Reads need the view's `read_capability` (default "read": every role), writes its
    `write_capability` (default "manage_workspace": admins); both are names in
    accounts.roles.CAPABILITIES, also as `@action(write_capability=...)`.

    Object-level rules (a manager edits only the accounts of their team) belong to the
    resource and are added by overriding `has_object_permission` in a subclass.
    """

    message = "Your role does not allow this."
    default_read_capability = "read"
    default_write_capability = "manage_workspace"

    def has_permission(self, request, view):
        role = getattr(request._request, "role", None)
        if role is None or not request.user.is_authenticated:
            return False
        # Every API view asks this once the caller is known (so a stranger gets the 401):
        # the one place to refuse query parameters the operation does not document.
        from kam.query_params import check_query_parameters

        check_query_parameters(request, view)
        if request.method in permissions.SAFE_METHODS:
            capability = getattr(view, "read_capability", self.default_read_capability)
        else:
            capability = getattr(view, "write_capability", self.default_write_capability)
        return roles.allows(role, capability)


# How long a client waits before trying again while the database is away.
RETRY_AFTER_SECONDS = 30


def exception_handler(exc, context):
    """DRF's error shape (`{"field": ["message"]}`), with 4xx answers logged; the database
    being away (a connection refused or lost) is a 503 the client may retry, not a 500."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable(exc, context.get("request"))
    response = drf_exception_handler(exc, context)
    if response is not None and 400 <= response.status_code < 500:
        request = context.get("request")
        logger.info(
            "API %s %s -> %s: %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            response.status_code,
            response.data,
        )
    return response


def database_unavailable(exc, request):
    from rest_framework.response import Response
    from rest_framework.views import set_rollback

    logger.error("API %s %s -> 503: the database is unavailable: %s",
                 getattr(request, "method", "?"), getattr(request, "path", "?"), exc)
    set_rollback()
    return Response({"detail": _("The database is not available at the moment; try again "
                                 "shortly.")},
                    status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
