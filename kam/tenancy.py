"""Tenant isolation that fails closed.

The current tenant lives in a context variable. It is set by `accounts.middleware`
(browser), by `accounts.authentication` (API token) and by `kam.celery.TenantTask`
(jobs), and always reset afterwards.

Every tenant-owned model inherits `TenantOwnedModel`. Its default manager scopes each
query to the current tenant *when the SQL is compiled*, not when the queryset is
built, so querysets declared at import time (form fields, serializer fields) are safe,
and a query compiled with no tenant raises `TenantNotSet` instead of leaking rows.

Code that must see several tenants on purpose (the scheduler's fan-out, platform
admin, a user's own memberships) says so with `with cross_tenant():`.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.sql import Query
from django.utils.translation import gettext_lazy as _

_current_tenant = ContextVar("kam_current_tenant", default=None)
_cross_tenant = ContextVar("kam_cross_tenant", default=False)


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


@contextmanager
def cross_tenant():
    """Lift the tenant filter for code that reads several tenants by design."""
    token = _cross_tenant.set(True)
    try:
        yield
    finally:
        _cross_tenant.reset(token)


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
        return super(TenantQuerySet, self._scoped()).update(**kwargs)

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
        for obj in objs:
            obj.assign_current_tenant()
        return super().bulk_create(objs, *args, **kwargs)


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantOwnedModel(models.Model):
    """A row that belongs to one tenant; queries see only the current tenant's rows."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", editable=False
    )

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
        another tenant, or a user who is not a member of this tenant."""
        errors = {}
        user_fields = {}
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "tenant":
                continue
            if field.related_model is get_user_model() and self.users_must_be_members:
                user_id = getattr(self, field.attname)
                if user_id is not None:
                    user_fields[field.name] = user_id
                continue
            if not issubclass(field.related_model, TenantOwnedModel):
                continue
            if not field.is_cached(self):
                continue
            target = field.get_cached_value(self)
            if target is not None and target.tenant_id != self.tenant_id:
                errors[field.name] = _("Select an object of this workspace.")
        if user_fields and self.tenant_id is not None:
            from accounts.models import Membership

            with cross_tenant():
                members = set(Membership.objects.filter(
                    tenant_id=self.tenant_id, user_id__in=user_fields.values()
                ).values_list("user_id", flat=True))
            for name, user_id in user_fields.items():
                if user_id not in members:
                    errors[name] = _("Select a member of this workspace.")
        return errors

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude)
        if self.tenant_id is None and get_current_tenant() is not None:
            self.tenant = get_current_tenant()
        errors = self.cross_tenant_errors()
        if errors:
            raise ValidationError(errors)
