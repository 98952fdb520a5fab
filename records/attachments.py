"""Attachments: files kept on a domain row (an OPL item's 8D report, a PPAP element's PSW,
an interaction's minutes), and the registry of what they may be attached to.

The records app sits below the domain apps, so it knows none of them: each registers its
kinds of object at start-up (`register`, from its AppConfig.ready) with the rules of who
sees and who edits one of them. Viewing an attachment follows who may read its object;
uploading and deleting follow who may edit it. An object that is not the tenant's, or
that the user may not see, is a 404 like any other.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOwnedModel

NAME_MAX_LENGTH = 200


# --- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachable:
    """A kind of object attachments hang on: its key (`opl-item`), model, label, and
    the rules `can_view(request, obj)` and `can_edit(request, obj)`; `url(obj)` is the
    page that shows the object (where the attachments list is)."""

    key: str
    model: type[models.Model]
    label: Any
    can_view: Callable[[Any, Any], bool]
    can_edit: Callable[[Any, Any], bool]
    url: Callable[[Any], str] | None = None
    select_related: tuple[str, ...] = ()


_registry: dict[str, Attachable] = {}


def register(key, model, *, label, can_view, can_edit, url=None, select_related=()):
    """Allow attachments on rows of `model` under `key` (a stable name of the API)."""
    _registry[key] = Attachable(key=key, model=model, label=label, can_view=can_view,
                                can_edit=can_edit, url=url, select_related=tuple(select_related))
    # The object's files go with it: its attachments are deleted with the row (and their
    # files once that commits, below).
    post_delete.connect(_object_deleted, sender=model, weak=False,
                        dispatch_uid=f"records-attachments-{key}")


def attachable(key) -> Attachable | None:
    return _registry.get(key)


def attachable_for(model) -> Attachable | None:
    return next((entry for entry in _registry.values() if entry.model is model), None)


def object_types():
    """The registered keys, sorted (the API's `object_type` choices)."""
    return sorted(_registry)


def _object_deleted(sender, instance, **kwargs):
    entry = attachable_for(sender)
    if entry is not None:
        Attachment.objects.filter(object_type=entry.key, object_id=instance.pk).delete()


# --- the table ----------------------------------------------------------------------------


def attachment_path(instance, filename):
    """`tenants/<tenant>/attachments/<random>/<safe name>`: the tenant's own prefix, and
    a random folder so that names never collide nor can be guessed."""
    safe = get_valid_filename(filename)[-100:] or "file"
    return f"tenants/{instance.tenant_id}/attachments/{secrets.token_hex(16)}/{safe}"


class Attachment(TenantOwnedModel):
    """A file on a row of a domain app (`object_type` names its kind in the registry)."""

    object_type = models.CharField(_("attached to"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("object"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # From the content, never the browser's claim (records.uploads).
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "object_type", "object_id"],
                                name="attachment_object_idx")]
        ordering = ["-created_at", "-id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


def _attachment_deleted(sender, instance, **kwargs):
    # The file goes once the row's deletion commits: a rollback keeps both.
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


post_delete.connect(_attachment_deleted, sender=Attachment,
                    dispatch_uid="records-attachment-file")
