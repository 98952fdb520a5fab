"""The API's default search and ordering backends (REST_FRAMEWORK's DEFAULT_FILTER_BACKENDS):
what they document is what they take.

DRF's SearchFilter documents `search` on every list, also where a view searches nothing,
and its OrderingFilter documents `ordering` as any string and silently drops the fields it
does not know. Here `search` is documented only where a view has `search_fields`,
`ordering` only where it has `ordering_fields`, as the enum of those fields (each also
descending, `-name`), and an unknown ordering field is a 400 naming it.
"""

from django.utils.translation import gettext as _
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class SearchFilter(filters.SearchFilter):
    def get_schema_operation_parameters(self, view):
        if not getattr(view, "search_fields", None):
            return []
        return super().get_schema_operation_parameters(view)


class OrderingFilter(filters.OrderingFilter):
    """Orders by the view's `ordering_fields` only (no fallback to the serializer's fields):
    `?ordering=-due_date,title`."""

    def get_valid_fields(self, queryset, view, context=None):
        return [(name, name) for name in self.allowed_fields(view)]

    @staticmethod
    def allowed_fields(view):
        fields = getattr(view, "ordering_fields", None) or []
        return [name for name in fields if isinstance(name, str) and name != "__all__"]

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            allowed = set(self.allowed_fields(view))
            unknown = [name for name in fields if name.lstrip("-") not in allowed]
            if unknown:
                raise ValidationError({self.ordering_param: [
                    _("Unknown ordering field: %(fields)s. Order by %(allowed)s (a leading "
                      "'-' for descending).") % {
                        "fields": ", ".join(unknown),
                        "allowed": ", ".join(sorted(allowed)) or _("nothing here")}]})
            if fields:
                return fields
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        fields = self.allowed_fields(view)
        if not fields:
            return []
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": _("Order by this field; a leading '-' for descending. Several "
                             "fields may be given separated by commas."),
            "schema": {"type": "string", "enum": [
                value for name in fields for value in (name, f"-{name}")]},
        }]
