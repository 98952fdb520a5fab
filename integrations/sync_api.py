"""`GET /api/v1/deletions/`: the tombstones of deleted rows (integrations.deletions)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.settings import api_settings

from kam.sync import UpdatedSinceFilter, parse_since

from . import deletions
from .deletions import Deletion


@extend_schema_serializer(description=(
    "A deleted row: its resource (the API's name, such as `customers`), its id and its "
    "natural keys (`code`, `external_id`; empty when it had none)."))
class DeletionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deletion
        fields = ["id", "resource", "object_id", "code", "external_id", "deleted_at"]
        read_only_fields = fields


class SinceFilter(django_filters.CharFilter):
    """An ISO 8601 date and time (without a time zone: UTC), as `updated_since`."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return qs.filter(deleted_at__gte=parse_since(value, param=self.field_name))


class DeletionFilter(django_filters.FilterSet):
    since = SinceFilter(field_name="since", label=_(
        "Only rows deleted at or after this ISO 8601 date and time, e.g. "
        "2026-12-01T08:00:00Z (without a time zone: UTC)."))
    resource = django_filters.ChoiceFilter(
        choices=lambda: [(name, name) for name in deletions.resource_names()],
        label=_("Only rows of this resource: one of the API's resource names (as in the "
                "paths, such as customers, contacts or customer-figures); another is a 400."))

    class Meta:
        model = Deletion
        fields = ["since", "resource"]


class DeletionViewSet(viewsets.ReadOnlyModelViewSet):
    """Rows deleted in the workspace, oldest first (`deleted_at`, then `id`): every
    resource's deletes, cascades included (deleting a customer lists its contacts, figures
    and the rest). Kept 90 days (`DELETION_RETENTION_DAYS`). Sync: ask with `since` = the
    last `deleted_at` you saw (inclusive). Every role reads."""

    queryset = Deletion.objects.all()
    serializer_class = DeletionSerializer
    # `since` here, on `deleted_at`, rather than `updated_since`.
    filter_backends = [backend for backend in api_settings.DEFAULT_FILTER_BACKENDS
                       if backend is not UpdatedSinceFilter]
    filterset_class = DeletionFilter
    ordering = ["deleted_at", "id"]
