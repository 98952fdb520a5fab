"""Shared API pieces named in REST_FRAMEWORK settings: pagination, role permission,
error handler. (No DRF views are imported here: settings load this module early.)"""

import logging

from rest_framework import pagination, permissions

from accounts.models import Role

logger = logging.getLogger("kam.api")

ALL_ROLES = frozenset(Role.values)


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class RolePermission(permissions.BasePermission):
    """Every role of the tenant reads; a view's `write_roles` may write (admin by default).

    Object-level rules (a manager edits only the accounts of their team) belong to the
    resource and are added by overriding `has_object_permission` in a subclass.
    """

    message = "Your role does not allow this."
    default_write_roles = frozenset({Role.ADMIN})

    def has_permission(self, request, view):
        role = getattr(request._request, "role", None)
        if role is None or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return role in getattr(view, "read_roles", ALL_ROLES)
        return role in getattr(view, "write_roles", self.default_write_roles)


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

