from __future__ import annotations

from typing import TYPE_CHECKING

from .kinds import KINDS
from .models import Notification, NotificationPreference

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User


def inbox(recipient: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=recipient)


def unread_count(recipient: User) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()


def email_preferences(user: User) -> dict[str, bool]:
    """{kind: gets it by e-mail} for every kind, in the current tenant."""
    chosen = dict(NotificationPreference.objects.filter(user=user)
                  .values_list("kind", "email"))
    return {kind: chosen.get(kind, True) for kind in KINDS}
