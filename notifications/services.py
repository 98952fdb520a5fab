"""Writing and reading notifications; jobs call `notify`."""

from datetime import timedelta

from django.utils import timezone

from .models import Notification


def notify(*, tenant, recipient, kind, text, dedup_key, url="", obj=None):
    """Create a notification once per `dedup_key`; returns (notification, created)."""
    defaults = {"recipient": recipient, "kind": kind, "text": text[:500], "url": url}
    if obj is not None:
        defaults["object_type"] = obj._meta.label_lower
        defaults["object_id"] = str(obj.pk)
    return Notification.objects.get_or_create(
        tenant=tenant, dedup_key=dedup_key[:200], defaults=defaults
    )


def mark_read(recipient, ids=None):
    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def purge_read_before(cutoff):
    return Notification.objects.filter(read_at__lt=cutoff).delete()[0]


READ_NOTIFICATIONS_KEPT = timedelta(days=90)
