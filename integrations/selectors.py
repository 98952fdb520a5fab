"""Reads of webhooks and their delivery log."""

from django.db.models import Count, Q

from .webhooks import Webhook, WebhookDelivery


def webhooks_with_counts():
    """Every webhook of the current tenant with its deliveries waiting and failed."""
    Status = WebhookDelivery.Status
    return Webhook.objects.annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status__in=[Status.PENDING,
                                                                       Status.SENDING])),
        failed=Count("deliveries", filter=Q(deliveries__status=Status.FAILED)),
    ).order_by("url", "id")


def delivery_log(webhook, *, status=None, event=None):
    rows = WebhookDelivery.objects.filter(webhook=webhook)
    if status:
        rows = rows.filter(status=status)
    if event:
        rows = rows.filter(event=event)
    return rows.order_by("-created_at", "-id")
