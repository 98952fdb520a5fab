"""The history of changes: who (a user or an API token), when, from where (a page, the
API, import N, a job), which field, old → new.

The rows are django-simple-history's historical tables (one per tracked model, in its
app, `track()` below): a full copy of the row after each change, with the context of
kam.changes. A tracked model declares `history = track()`; then
- save() and delete() record one row each (simple-history's signals);
- the bulk writes (bulk_create, bulk_update, upserts and the set-based update() of
  kam.tenancy's querysets: imports, bulk figures, scoring) record theirs in bulk, one
  INSERT … SELECT per write whatever the number of rows: kam.tenancy sends
  `rows_changed` after each, and `_record_bulk` answers it;
- `field_changes()` turns consecutive copies into the rows shown and served
  (`HistoryMixin` on the API, the `records/_history.html` partial on the pages).

The historical tables carry the tenant's id: every read here filters by the current
tenant, and on PostgreSQL they are under the same row-level security as the tenant-owned
tables (kam.db_rls.tenant_tables lists them).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from simple_history.models import HistoricalRecords

from kam import changes
from kam.tenancy import get_current_tenant, require_tenant, rows_changed

# Fields whose change is not news: the row's bookkeeping.
UNTRACKED = ["updated_at"]
PAGE_SIZE = 25


def current_source():
    return changes.current().source


def current_reference():
    return changes.current().reference[:64]


def current_token_id():
    return changes.current().token_id


def current_token_name():
    return changes.current().token_name[:100]


def _history_user(instance=None, request=None, **kwargs):
    return changes.current().user


class HistoricalChange(models.Model):
    """What every historical row adds to the copy of the row: where the change came from
    (the user is simple-history's `history_user`). The defaults read kam.changes, so the
    bulk writes, which build the rows without signals, fill them in as well."""

    history_source = models.CharField(max_length=16, default=current_source)
    # The import job's id, or the job's name.
    history_reference = models.CharField(max_length=64, blank=True, default=current_reference)
    history_token_id = models.BigIntegerField(null=True, blank=True, default=current_token_id)
    history_token_name = models.CharField(max_length=100, blank=True,
                                          default=current_token_name)

    class Meta:
        abstract = True


def track(**options) -> HistoricalRecords:
    """The history of a model: `history = track()` in its body."""
    return HistoricalRecords(
        bases=[HistoricalChange], get_user=_history_user, excluded_fields=UNTRACKED,
        user_related_name="+", **options)


def enabled() -> bool:
    return getattr(settings, "SIMPLE_HISTORY_ENABLED", True)


def tracked_models():
    """The models with a history (simple-history's registry)."""
    from django.apps import apps

    return [model for model in apps.get_models()
            if getattr(model._meta, "simple_history_manager_attribute", None)]


def historical_models():
    return [getattr(model, model._meta.simple_history_manager_attribute).model
            for model in tracked_models()]


# --- the bulk writes -----------------------------------------------------------------


def _copy_sql(model, vendor):
    """INSERT … SELECT copying the rows of `model` with the given ids (one parameter: an
    array on PostgreSQL, a JSON list on SQLite) into its history, with the context."""
    history = getattr(model, model._meta.simple_history_manager_attribute).model
    tracked = [field.column for field in history.tracked_fields]
    extra = ["history_date", "history_type", "history_user_id", "history_change_reason",
             "history_source", "history_reference", "history_token_id", "history_token_name"]
    quote = connection.ops.quote_name
    ids = ("= ANY(%s::bigint[])" if vendor == "postgresql"
           else "IN (SELECT value FROM json_each(%s))")
    return (
        f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608 (names from the models)
        f"({', '.join(quote(c) for c in [*tracked, *extra])}) "
        f"SELECT {', '.join(quote(c) for c in tracked)}, {', '.join(['%s'] * len(extra))} "
        f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} {ids}"
        " AND (%s IS NULL OR tenant_id = %s)")


def _record_bulk(sender, tenant=None, rows=None, pks=None, created=False, **kwargs):
    """After a bulk write of `sender`: copy the rows as they now are into their history,
    in one INSERT … SELECT whatever their number (the database copies them; no row is
    read into Python or built as an object)."""
    if not enabled():
        return
    by_tenant = {}  # the rows' ids by tenant: a cross-tenant write names each row's
    if rows is not None:
        for row in rows:
            by_tenant.setdefault(row.tenant_id, []).append(row.pk)
    elif pks:
        tenant = tenant or get_current_tenant()
        by_tenant[tenant.pk if tenant is not None else None] = list(pks)
    context = changes.current()
    user = context.user
    sql = _copy_sql(sender, connection.vendor)
    with connection.cursor() as cursor:
        for tenant_id, ids in by_tenant.items():
            cursor.execute(sql, [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                "+" if created else "~", user.pk if user is not None else None, None,
                context.source, context.reference[:64], context.token_id,
                context.token_name[:100],
                ids if connection.vendor == "postgresql" else json.dumps(ids),
                tenant_id, tenant_id])


def record_updates(model, *, pks) -> None:
    """Record the history of rows of `model` changed by SQL of the caller's own (the
    ORM's bulk writes are recorded without asking)."""
    if pks:
        _record_bulk(model, pks=pks)


def connect_bulk_writes():
    """Called once the models are loaded (records.apps)."""
    for model in tracked_models():
        rows_changed.connect(_record_bulk, sender=model,
                             dispatch_uid=f"records-history-{model._meta.label_lower}")


# --- reading: the changes field by field ---------------------------------------------


@dataclass
class Change:
    at: datetime.datetime
    actor_kind: str  # "user", "token" or "system"
    actor_id: int | None
    actor_name: str
    source: str
    reference: str
    change: str  # "created", "changed" or "deleted"
    field: str
    label: str
    old: str | None
    new: str | None

    @property
    def source_label(self):
        label = SOURCE_LABELS.get(self.source, self.source)
        return f"{label} {self.reference}" if self.reference else str(label)


SOURCE_LABELS = {
    changes.Source.PAGE: gettext_lazy("page"),
    changes.Source.API: gettext_lazy("API"),
    changes.Source.IMPORT: gettext_lazy("import"),
    changes.Source.JOB: gettext_lazy("job"),
    changes.Source.TASK: gettext_lazy("task"),
    changes.Source.SYSTEM: gettext_lazy("system"),
}
CHANGE_KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def _shown(field, value):
    if value is None:
        return None
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _actor(record):
    if record.history_token_id:
        return "token", record.history_token_id, record.history_token_name
    user = record.history_user
    if user is not None:
        return "user", user.pk, user.get_full_name() or str(user)
    return "system", None, ""


def field_changes(obj) -> list[Change]:
    """The changes of `obj`, newest first: one per changed field (one for a creation or
    a deletion). One query, whatever the number of changes."""
    manager = getattr(type(obj), type(obj)._meta.simple_history_manager_attribute)
    history = manager.model
    records = list(history._default_manager.filter(
        tenant=require_tenant(), **{type(obj)._meta.pk.attname: obj.pk})
        .select_related("history_user").order_by("history_date", "history_id"))
    fields = [field for field in history.tracked_fields
              if field.name not in ("id", "tenant") and not field.primary_key]
    found, previous = [], None
    for record in records:
        kind, actor_id, actor_name = _actor(record)
        common = {"at": record.history_date, "actor_kind": kind, "actor_id": actor_id,
                  "actor_name": actor_name, "source": record.history_source,
                  "reference": record.history_reference}
        if previous is None or record.history_type == "-":
            found.append(Change(**common, change=CHANGE_KINDS[record.history_type],
                                field="", label="", old=None, new=None))
        else:
            for field in fields:
                old = getattr(previous, field.attname)
                new = getattr(record, field.attname)
                if old != new:
                    found.append(Change(**common, change="changed", field=field.name,
                                        label=str(field.verbose_name),
                                        old=_shown(field, old), new=_shown(field, new)))
        previous = record
    found.reverse()
    return found


def history_page(request, obj):
    """The page of `obj`'s changes that `?history_page=` asks for (the pages' partial)."""
    return Paginator(field_changes(obj), PAGE_SIZE).get_page(request.GET.get("history_page"))


# --- the API -------------------------------------------------------------------------


@extend_schema_serializer(component_name="HistoryActor", description=(
    "Who made a change: a user (their id and name), an API token (its id and name), or "
    "the system (a scheduled job, a shell): id null and name empty."))
class HistoryActorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "token", "system"], source="actor_kind")
    id = serializers.IntegerField(source="actor_id", allow_null=True)
    name = serializers.CharField(source="actor_name")


@extend_schema_serializer(component_name="HistoryRow", description=(
    "One change of a row: when, by whom, from where (`source`: page, api, import, job, "
    "task or system; `reference`: the import's id or the job's name), and the field with "
    "its old and new values as shown on the pages (choices by their label). A creation "
    "or a deletion is one row with an empty field and null values."))
class HistoryRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = HistoryActorSerializer(source="*")
    source = serializers.CharField()
    reference = serializers.CharField()
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    field = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class HistoryMixin:
    """`GET {resource}/{id}/history/`: the row's changes, newest first, paginated."""

    @extend_schema(responses=HistoryRowSerializer(many=True), filters=False,
                   summary="The row's history of changes",
                   description="Every change of the row, newest first, one per changed "
                   "field: when, who (user or API token), from where, old and new value. "
                   "Kept for the workspace's history retention.")
    @action(detail=True, methods=["get"], url_path="history", filter_backends=[])
    def history(self, request, pk=None):
        obj = self.get_object()
        page = self.paginate_queryset(field_changes(obj))
        return self.get_paginated_response(HistoryRowSerializer(page, many=True).data)


# --- retention -----------------------------------------------------------------------


def delete_expired(*, tenant, before: datetime.datetime) -> int:
    """Delete the tenant's historical rows older than `before`; returns how many."""
    deleted = 0
    for history in historical_models():
        deleted += history._default_manager.filter(
            tenant=tenant, history_date__lt=before).delete()[0]
    return deleted
