from .kinds import KINDS
from .models import Notification, NotificationPreference


def inbox(recipient):
    return Notification.objects.filter(recipient=recipient)


def unread_count(recipient):
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()


def email_preferences(user):
    """{kind: gets it by e-mail} for every kind, in the current tenant."""
    chosen = dict(NotificationPreference.objects.filter(user=user)
                  .values_list("kind", "email"))
    return {kind: chosen.get(kind, True) for kind in KINDS}
