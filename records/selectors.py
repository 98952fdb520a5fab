"""Reads of the records app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import RecordSettings

if TYPE_CHECKING:
    from accounts.models import Tenant


def record_settings(tenant: Tenant) -> RecordSettings:
    """The tenant's records settings, or the defaults (unsaved) when it has none."""
    return (RecordSettings.objects.filter(tenant=tenant).first()
            or RecordSettings(tenant=tenant))


# --- attachments ----------------------------------------------------------------------------


def attachments_of(object_type: str, object_id: int):
    """The attachments of one object, newest first, with who uploaded them."""
    from .attachments import Attachment

    return (Attachment.objects.filter(object_type=object_type, object_id=object_id)
            .select_related("uploaded_by").order_by("-created_at", "-id"))


def attachment_counts(object_type: str, object_ids) -> dict[int, int]:
    """{object id: number of attachments} for many objects of one kind, in one query."""
    from django.db.models import Count

    from .attachments import Attachment

    rows = (Attachment.objects.filter(object_type=object_type, object_id__in=list(object_ids))
            .values("object_id").annotate(n=Count("id")).order_by())
    return {row["object_id"]: row["n"] for row in rows}
