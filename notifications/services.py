"""Writing and reading notifications; jobs call `notify`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from kam import messages

from . import emails
from .models import Notification, NotificationPreference

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from django.db.models import Model

    from accounts.models import Tenant, User


def notify(*, tenant: Tenant, recipient: User, kind: str, text: dict | str, dedup_key: str,
           url: str = "", obj: Model | None = None, email: bool = True,
           email_template: str | None = None, email_context: dict | None = None,
           ) -> tuple[Notification, bool]:
    """Create a notification once per `dedup_key`, and its e-mail copy (unless the
    recipient turned e-mail off for `kind`); returns (notification, created).

    `text` is a stored message (kam.messages), shown to each reader in their language,
    or a plain string stored as written. Call it in the recipient's language
    (`emails.recipient_language`): the e-mail is rendered then. Nothing is written or
    e-mailed again for a key that exists, so callers can run twice.
    """
    stored = text if messages.is_message(text) else {}
    written = messages.render(stored) if stored else str(text)
    defaults = {"recipient": recipient, "kind": kind, "text": written[:500], "message": stored,
                "url": url}
    if obj is not None:
        defaults["object_type"] = obj._meta.label_lower
        defaults["object_id"] = str(obj.pk)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            tenant=tenant, dedup_key=dedup_key[:200], defaults=defaults
        )
        if created and email:
            emails.queue_for_notification(notification, template=email_template,
                                          context=email_context)
    return notification, created


def mark_read(recipient: User, *, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def purge_read_before(cutoff: datetime) -> int:
    return Notification.objects.filter(read_at__lt=cutoff).delete()[0]


READ_NOTIFICATIONS_KEPT = timedelta(days=90)


@transaction.atomic
def set_email_preferences(tenant: Tenant, *, user: User, choices: Mapping[str, bool]) -> None:
    """Save which kinds `user` gets by e-mail: `choices` maps kind → bool."""
    for kind, wanted in choices.items():
        NotificationPreference.objects.update_or_create(
            tenant=tenant, user=user, kind=kind, defaults={"email": bool(wanted)})
