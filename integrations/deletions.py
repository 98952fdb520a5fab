"""Tombstones: every deleted row of an API resource leaves a `Deletion`, listed by
`GET /api/v1/deletions/?since=&resource=`, so an integrator syncing by `updated_since`
learns what is gone too.

Written by the delete itself: a post_delete receiver per resource model, which Django
sends for a single delete, a queryset's delete() and every cascaded row alike (a receiver
turns the model's fast delete off, so cascades are collected and signalled). Which models
are resources, and by which name, is read from the API router (settings.API_ROUTER, in
the composition root), so a resource registered later is covered without more code. The
router can be read only once every app is ready, after the receivers must be connected:
so every tenant-owned model gets one at start-up, and those of the models that are not
resources are disconnected when the router is first read (their fast delete comes
back). A tenant's own deletion (its rows going with it) leaves none.

Kept `DELETION_RETENTION_DAYS` (default 90); the `integrations-cleanup` job purges older
ones (integrations.cleanup).
"""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from kam import external_ids
from kam.tenancy import TenantOwnedModel


class Deletion(TenantOwnedModel):
    """A row of an API resource that was deleted: which resource, its id, and its natural
    keys (code, external id) for clients that sync by those."""

    resource = models.CharField(_("resource"), max_length=50)
    object_id = models.PositiveBigIntegerField(_("id"))
    code = models.CharField(_("code"), max_length=100, blank=True)
    external_id = models.CharField(_("external id"), max_length=external_ids.MAX_LENGTH,
                                   blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), default=timezone.now)

    class Meta:
        ordering = ["deleted_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "deleted_at", "id"], name="deletion_since"),
            models.Index(fields=["tenant", "resource", "deleted_at"],
                         name="deletion_resource_since"),
        ]
        verbose_name = _("deletion")

    def __str__(self):
        return f"{self.resource} {self.object_id}"


# --- which models are API resources ------------------------------------------------------

_resources = None  # {model: resource name}, computed from the router on first use


def resources():
    """{model: resource name} of the API's resources over tenant-owned rows."""
    global _resources
    if _resources is None:
        found = {}
        for prefix, viewset, _basename in import_string(settings.API_ROUTER).registry:
            model = _model_of(viewset)
            # A resource whose rows only a retention purge removes (a log) may opt out
            # with `tombstones = False` on its viewset.
            if (model is None or not issubclass(model, TenantOwnedModel)
                    or not getattr(viewset, "tombstones", True)
                    or model in _NOT_TRACKED or model in found):
                continue
            found[model] = prefix
        _resources = found
        for model in apps.get_models():
            if model not in found:
                post_delete.disconnect(sender=model, dispatch_uid=_uid(model))
    return _resources


def _model_of(viewset):
    """The viewset's model: its queryset's, else its serializer's (a get_queryset() needs
    a request)."""
    queryset = getattr(viewset, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(viewset, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)


def resource_names():
    return sorted(set(resources().values()))


# --- recording ---------------------------------------------------------------------------


def _record(sender, instance, origin=None, **kwargs):
    from accounts.models import Tenant

    if isinstance(origin, Tenant) or getattr(origin, "model", None) is Tenant:
        return  # the tenant's own rows go with it, tombstones included
    resource = resources().get(sender)
    if resource is None:
        return
    Deletion.objects.create(
        tenant_id=instance.tenant_id, resource=resource, object_id=instance.pk,
        code=getattr(instance, "code", "") or "",
        external_id=getattr(instance, "external_id", "") or "")


def _uid(model):
    return f"deletion-{model._meta.label}"


def connect():
    """Listen for the deletes of every tenant-owned model (integrations.apps.ready); the
    first look at the router keeps only the resources'."""
    for model in apps.get_models():
        if issubclass(model, TenantOwnedModel) and model not in _NOT_TRACKED:
            post_delete.connect(_record, sender=model, dispatch_uid=_uid(model))


# --- retention ---------------------------------------------------------------------------


def purge(*, now=None) -> int:
    """Delete the current tenant's tombstones older than the retention; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DELETION_RETENTION_DAYS)
    deleted, _counts = Deletion.objects.filter(deleted_at__lt=cutoff).delete()
    return deleted


_NOT_TRACKED = {Deletion}
