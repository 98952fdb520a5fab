"""Tenant isolation that fails closed.

The current tenant lives in a context variable. It is set by `accounts.middleware`
(browser), by `accounts.authentication` (API token) and by `kam.celery.TenantTask`
(jobs), and always reset afterwards.

Every tenant-owned model inherits `TenantOwnedModel`. Its default manager scopes each
query to the current tenant *when the SQL is compiled*, not when the queryset is
built, so querysets declared at import time (form fields, serializer fields) are safe,
and a query compiled with no tenant raises `TenantNotSet` instead of leaking rows.

Code that must see several tenants on purpose (the scheduler's fan-out, platform
admin, a user's own memberships) says so with `with cross_tenant():`, which logs who asked.

On PostgreSQL the database holds the same rule (row-level security, kam/db_rls.py): every
statement carries the current tenant, or the cross-tenant flag inside `cross_tenant()`.
"""

import logging
import sys
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.sql import Query
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Sent by the tenant-owned querysets after a bulk write, which sends no model signal:
# `bulk_create` and `bulk_update` (rows: the instances) and `update()` (pks: the ids of
# the rows it changed, read before the UPDATE, and only when something listens for the
# model), and `created` (True: rows all inserted by a bulk_create, not an upsert).
# Whatever is derived from the rows (stored health, cached dashboards, their history)
# listens, so that a bulk write invalidates it like a save() does without the writer
# remembering.
rows_changed = Signal()

_current_tenant = ContextVar("kam_current_tenant", default=None)
_cross_tenant = ContextVar("kam_cross_tenant", default=False)
_bulk_updating = ContextVar("kam_bulk_updating", default=False)

logger = logging.getLogger(__name__)


class TenantNotSet(RuntimeError):
    """A tenant-owned table was queried with no current tenant."""


def get_current_tenant():
    return _current_tenant.get()


def require_tenant():
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet(
            "No current tenant: wrap the code in tenant_context(tenant), or in "
            "cross_tenant() if it reads several tenants on purpose."
        )
    return tenant


def set_current_tenant(tenant):
    """Set the tenant and return the token that `reset_current_tenant` takes."""
    return _current_tenant.set(tenant)


def reset_current_tenant(token):
    _current_tenant.reset(token)


@contextmanager
def tenant_context(tenant):
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)


def is_cross_tenant():
    """True inside cross_tenant(): the ORM and the database lift the tenant filter."""
    return _cross_tenant.get()


class cross_tenant:  # lower case: it reads as a function, `with cross_tenant():`
    """Lift the tenant filter for code that reads several tenants by design.

    The one way past the tenant wall, in the ORM and in the database alike, so it is
    audited twice: every place that enters it is listed, with why, in
    `tests/test_cross_tenant_paths.py` (a new one fails the suite until it is listed), and
    entering it logs the caller at DEBUG (logger `kam.tenancy`; some paths run on every
    request, so INFO would bury everything else). A nested entry logs nothing more: the
    outer one already said who crossed.
    """

    def __enter__(self):
        if not _cross_tenant.get() and logger.isEnabledFor(logging.DEBUG):
            caller = sys._getframe(1)
            logger.debug("cross-tenant access by %s:%s (%s)", caller.f_globals.get("__name__"),
                        caller.f_lineno, caller.f_code.co_name)
        self._token = _cross_tenant.set(True)

    def __exit__(self, *exc_info):
        _cross_tenant.reset(self._token)


def _scope_filter():
    """The filter to add to a query, or None inside cross_tenant()."""
    if _cross_tenant.get():
        return None
    return models.Q(tenant=require_tenant())


class TenantQuery(Query):
    def get_compiler(self, using=None, connection=None, elide_empty=True):
        scope = _scope_filter()
        query = self
        if scope is not None:
            # Scope a copy, so that compiling twice never stacks the filter.
            query = self.clone()
            query.add_q(scope)
        return Query.get_compiler(query, using, connection, elide_empty)


class TenantQuerySet(models.QuerySet):
    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model, query or TenantQuery(model), using, hints)

    def _scoped(self):
        scope = _scope_filter()
        return self if scope is None else self.filter(scope)

    # UPDATE and DELETE build their own query classes, so scope them up front.
    def update(self, **kwargs):
        # auto_now is applied by save() only: a set-based write moves `updated_at` here,
        # so that incremental sync (`?updated_since=`) sees it like a save.
        kwargs.setdefault("updated_at", timezone.now())
        scoped = self._scoped()
        if not rows_changed.has_listeners(self.model) or _bulk_updating.get():
            return super(TenantQuerySet, scoped).update(**kwargs)
        # The rows to report are those the UPDATE matches, so read them first: after it,
        # the filter may match others (update(is_active=False) of the active ones).
        pks = list(models.QuerySet.values_list(scoped, "pk", flat=True))
        count = super(TenantQuerySet, scoped).update(**kwargs)
        if count:
            _rows_changed(self.model, pks=pks)
        return count

    update.alters_data = True

    def _update(self, values):
        return super(TenantQuerySet, self._scoped())._update(values)

    def delete(self):
        return super(TenantQuerySet, self._scoped()).delete()

    delete.alters_data = True

    def _raw_delete(self, using):
        return super(TenantQuerySet, self._scoped())._raw_delete(using)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if kwargs.get("update_conflicts") and kwargs.get("update_fields") is not None:
            # An upsert's updated rows take the inserted row's `updated_at` (auto_now).
            kwargs["update_fields"] = _with_updated_at(kwargs["update_fields"])
        for obj in objs:
            obj.assign_current_tenant()
        _check_foreign_ids(self.model, objs)
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            # An upsert's rows may have existed: `created` says they are all new.
            _rows_changed(self.model, rows=created, created=not kwargs.get("update_conflicts"))
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        fields = _with_updated_at(fields)
        now = timezone.now()
        for obj in objs:
            obj.assign_current_tenant()
            obj.updated_at = now
        _check_foreign_ids(self.model, objs, fields=fields)
        # Django's bulk_update runs update() per batch: the rows are reported once, below.
        token = _bulk_updating.set(True)
        try:
            count = super().bulk_update(objs, fields, *args, **kwargs)
        finally:
            _bulk_updating.reset(token)
        if objs:
            _rows_changed(self.model, rows=objs)
        return count

    bulk_update.alters_data = True


def _with_updated_at(fields):
    fields = list(fields)
    return fields if "updated_at" in fields else [*fields, "updated_at"]


def _rows_changed(model, *, rows=None, pks=None, created=False):
    if not rows_changed.has_listeners(model):
        return
    tenant = get_current_tenant()
    if tenant is None and rows:
        from accounts.models import Tenant

        tenant = Tenant.objects.filter(pk=rows[0].tenant_id).first()
    rows_changed.send(sender=model, tenant=tenant, rows=rows, pks=pks, created=created)


def _check_foreign_ids(model, objs, fields=None):
    """Bulk writes save no instance, so check their foreign keys here, one query per key
    field whatever the number of rows: raises ValidationError naming the field."""
    errors = {}
    for name, message in foreign_id_errors(model, objs, fields=fields).items():
        errors[name] = message
    if errors:
        raise ValidationError(errors)


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantOwnedModel(models.Model):
    """A row that belongs to one tenant; queries see only the current tenant's rows."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", editable=False
    )

    # When the row last changed: save() sets it (auto_now), and so do the querysets'
    # update(), bulk_update() and upserts above, and save(update_fields=...) below; the
    # API's lists filter by it (`?updated_since=`, kam.filters) for incremental sync.
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    # Users named in foreign keys must be members of the tenant (not so for Membership).
    users_must_be_members = True

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.assign_current_tenant()
        errors = self.cross_tenant_errors()
        if errors:
            raise ValidationError(errors)
        if kwargs.get("update_fields"):  # a partial save changes the row all the same
            kwargs["update_fields"] = _with_updated_at(kwargs["update_fields"])
        super().save(*args, **kwargs)

    def assign_current_tenant(self):
        current = get_current_tenant()
        if self.tenant_id is None:
            if current is None:
                raise TenantNotSet(f"Cannot save {type(self).__name__} without a tenant.")
            self.tenant = current
        elif current is not None and self.tenant_id != current.pk and not _cross_tenant.get():
            raise TenantNotSet(
                f"{type(self).__name__} of tenant {self.tenant_id} saved under tenant {current.pk}."
            )

    def cross_tenant_errors(self):
        """Field errors for foreign keys that leave the tenant: a tenant-owned target of
        another tenant (assigned as an object or by id), or a user who is not a member
        of this tenant."""
        return foreign_id_errors(type(self), [self])

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude)
        if self.tenant_id is None and get_current_tenant() is not None:
            self.tenant = get_current_tenant()
        errors = self.cross_tenant_errors()
        if errors:
            raise ValidationError(errors)


def sync_index(name):
    """The index of a model whose API list integrators page through by `updated_since`
    (`WHERE tenant_id = … AND updated_at >= … ORDER BY updated_at, id`)."""
    return models.Index(fields=["tenant", "updated_at", "id"], name=name)


ID_CHUNK = 5000  # ids per look-up query, well inside every database's parameter limit


def _tenant_foreign_keys(model, fields=None):
    """(field, kind) of `model`'s foreign keys to check: "row" for a tenant-owned target,
    "member" for a user who must be a member of the tenant."""
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.name == "tenant" or field.related_model is None:
            continue
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        if field.related_model is get_user_model():
            if getattr(model, "users_must_be_members", False):
                yield field, "member"
        elif issubclass(field.related_model, TenantOwnedModel):
            yield field, "row"


def _tenants_of(objs):
    """The context to look up the targets of `objs` in: the current one when the rows are
    all of the current tenant (the usual save, which then crosses nothing), else
    cross_tenant() (rows saved with their tenant named, outside any tenant context)."""
    current = get_current_tenant()
    if _cross_tenant.get() or (current is not None
                               and all(obj.tenant_id == current.pk for obj in objs)):
        return nullcontext()
    return cross_tenant()


def foreign_id_errors(model, objs, fields=None):
    """{field name: message} for the foreign keys of `objs` (rows of `model`, each with
    its tenant set) that leave their tenant, whether assigned as objects or by id: one
    query per foreign key field whatever the number of rows (ids are looked up in
    chunks). `fields` limits the check to those fields (a bulk_update's)."""
    errors = {}
    for field, kind in _tenant_foreign_keys(model, fields):
        wanted = {}  # (target id, tenant id) pairs to look up
        for obj in objs:
            target_id = getattr(obj, field.attname)
            if target_id is None or obj.tenant_id is None:
                continue
            if kind == "row" and field.is_cached(obj):
                target = field.get_cached_value(obj)
                if target is not None and target.pk == target_id:
                    if target.tenant_id != obj.tenant_id:
                        errors[field.name] = _("Select an object of this workspace.")
                    continue
            wanted.setdefault(target_id, set()).add(obj.tenant_id)
        if not wanted or field.name in errors:
            continue
        found = set()
        ids = list(wanted)
        with _tenants_of(objs):
            for start in range(0, len(ids), ID_CHUNK):
                chunk = ids[start:start + ID_CHUNK]
                if kind == "row":
                    rows = field.related_model._base_manager.filter(pk__in=chunk)
                    found.update(rows.values_list("pk", "tenant_id"))
                else:
                    from accounts.models import Membership

                    found.update(Membership.objects.filter(user_id__in=chunk).values_list(
                        "user_id", "tenant_id"))
        if any((target_id, tenant_id) not in found
               for target_id, tenants in wanted.items() for tenant_id in tenants):
            errors[field.name] = (_("Select an object of this workspace.") if kind == "row"
                                  else _("Select a member of this workspace."))
    return errors


def copy_created_at(app_label, *model_names):
    """A migration step (RunPython) for the models that gain `updated_at`: the rows that
    existed take their `created_at` (the migration's time is what the others get)."""

    def run(apps, schema_editor):
        for name in model_names:
            apps.get_model(app_label, name)._base_manager.update(
                updated_at=models.F("created_at"))

    return run
