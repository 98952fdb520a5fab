"""Shared API pieces named in REST_FRAMEWORK settings: pagination, capability permission,
error handler. (No DRF views are imported here: settings load this module early.)"""

import logging

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
        if request.method in permissions.SAFE_METHODS:
            capability = getattr(view, "read_capability", self.default_read_capability)
        else:
            capability = getattr(view, "write_capability", self.default_write_capability)
        return roles.allows(role, capability)


def exception_handler(exc, context):
    """DRF's error shape (`{"field": ["message"]}`), with 4xx answers logged."""
    from rest_framework.views import exception_handler as drf_exception_handler

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

