from .models import Notification


def inbox(recipient):
    return Notification.objects.filter(recipient=recipient)


def unread_count(recipient):
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()
