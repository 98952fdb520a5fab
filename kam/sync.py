"""Incremental sync: `?updated_since=` on every API list, and `?code=` / `?external_id=`
on the lists of rows with natural keys (filter backends named in REST_FRAMEWORK's
DEFAULT_FILTER_BACKENDS, documented in the schema like every filter).

`updated_since` is an ISO 8601 date and time; one without a time zone is read as UTC.
It keeps the rows whose `updated_at` (kam.tenancy.TenantOwnedModel, moved by every write
path) is at or after it, ordered by (updated_at, id) whatever `ordering` asks, so a
client pages through a stable order and asks next time from the last `updated_at` it saw
(inclusive: the rows at that instant come again; upserting them is harmless).
"""

from datetime import UTC

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from kam import codes

UPDATED_SINCE = "updated_since"

UPDATED_SINCE_HELP = (
    "Only rows changed (created or updated) at or after this ISO 8601 date and time, e.g. "
    "2026-12-01T08:00:00Z; without a time zone it is read as UTC. The list is then ordered "
    "by (updated_at, id), whatever `ordering` says, so pages follow one another reliably: "
    "sync from the last `updated_at` you saw (rows at that instant come again). Deleted "
    "rows are listed by `GET /api/v1/deletions/?since=`.")


def parse_since(raw, *, param):
    """An aware datetime from an ISO 8601 string (naive: UTC), or a 400 naming `param`."""
    try:
        value = parse_datetime(raw.strip())
    except ValueError:  # well formed but impossible, such as month 13
        value = None
    if value is not None:
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        try:  # in UTC: databases take fewer offsets than Python (PostgreSQL ±15:59)
            return value.astimezone(UTC)
        except OverflowError:  # year 1 less an offset
            pass
    raise ValidationError({param: [_(
        "Enter an ISO 8601 date and time, such as 2026-12-01T08:00:00Z.")]})


def has_updated_at(model):
    try:
        return isinstance(model._meta.get_field("updated_at"), models.DateTimeField)
    except FieldDoesNotExist:
        return False


def _model_of(view):
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        try:
            queryset = view.get_queryset()
        except Exception:  # noqa: BLE001 -- schema generation has no request to ask with
            return None
    return getattr(queryset, "model", None)


class UpdatedSinceFilter(BaseFilterBackend):
    """`?updated_since=` on every list of rows that have `updated_at`."""

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get(UPDATED_SINCE)
        if raw is None or not isinstance(queryset, models.QuerySet):
            return queryset
        if not has_updated_at(queryset.model):
            return queryset
        since = parse_since(raw, param=UPDATED_SINCE)
        return queryset.filter(updated_at__gte=since).order_by("updated_at", "pk")

    def get_schema_operation_parameters(self, view):
        model = _model_of(view)
        if model is None or not has_updated_at(model):
            return []
        return [{
            "name": UPDATED_SINCE,
            "required": False,
            "in": "query",
            "description": UPDATED_SINCE_HELP,
            "schema": {"type": "string", "format": "date-time"},
        }]


# --- natural keys ------------------------------------------------------------------------

CODE_HELP = ("Only the row with this code: exact, ignoring case and surrounding spaces "
             "(`cja` finds `CJA`).")
EXTERNAL_ID_HELP = ("Only the row with this external id (your system's id for it): exact, "
                    "case included.")


def natural_keys(model):
    """The natural keys `model` is looked up by: "code" (codes are identifiers,
    kam.codes) and/or "external_id" (kam.external_ids)."""
    keys = []
    if model is not None and issubclass(model, codes.CodeIsIdentifier):
        keys.append("code")
    try:
        model._meta.get_field("external_id")
        keys.append("external_id")
    except (FieldDoesNotExist, AttributeError):
        pass
    return keys


def key_lookup(model, name, raw, *, param=None):
    """The filter for natural key `name` = `raw`, or a 400 naming `param` (default
    `name`) for a value no row can have."""
    field = model._meta.get_field(name)
    value = raw.strip() if isinstance(raw, str) else ""
    if not value or len(value) > field.max_length or "\x00" in value:
        raise ValidationError({param or name: [_(
            "Enter a value of 1 to %(max)s characters.") % {"max": field.max_length}]})
    if name == "code":
        return {"code__iexact": codes.normalise(value)}
    return {name: value}


class NaturalKeyFilter(BaseFilterBackend):
    """`?code=` on the lists of rows whose code is an identifier (customers, programmes)
    and `?external_id=` on those with an external id (contacts, figures)."""

    def filter_queryset(self, request, queryset, view):
        if not isinstance(queryset, models.QuerySet):
            return queryset
        for name in natural_keys(queryset.model):
            raw = request.query_params.get(name)
            if raw is not None:
                queryset = queryset.filter(**key_lookup(queryset.model, name, raw))
        return queryset

    def get_schema_operation_parameters(self, view):
        helps = {"code": CODE_HELP, "external_id": EXTERNAL_ID_HELP}
        return [{"name": name, "required": False, "in": "query", "description": helps[name],
                 "schema": {"type": "string"}} for name in natural_keys(_model_of(view))]
