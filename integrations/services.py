"""Writes of webhook subscriptions: create, change, switch on and off, rotate the secret,
replay a delivery, send a test event."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs import outbox

from . import events
from .webhooks import Webhook, WebhookDelivery, new_secret

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import Tenant, User

Status = WebhookDelivery.Status


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_private_address(address: str) -> bool:
    """True for an address of this machine or a private, link-local or reserved network."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return not ip.is_global or ip.is_multicast


def url_errors(url: str) -> list[str]:
    """Why `url` cannot receive webhooks: https only (plain http for this machine's
    loopback addresses, or anywhere with DEBUG on), no private network unless
    WEBHOOK_ALLOW_PRIVATE_TARGETS, no credentials in it."""
    try:
        parts = urlsplit(url or "")
        host = parts.hostname or ""
    except ValueError:
        return [_("Enter a valid URL.")]
    if parts.scheme not in ("https", "http") or not host:
        return [_("Enter an https:// URL.")]
    if parts.scheme == "http" and not (settings.DEBUG or _is_loopback(host)):
        return [_("Use https://: events are sent only over TLS (plain http only to this "
                  "machine).")]
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and (_is_loopback(host)
                                                       or is_private_address(host)):
        return [_("Use a public address: events are not sent to this machine or a private "
                  "network.")]
    if parts.username or parts.password:
        return [_("Leave the user name and password out of the URL: events are signed "
                  "with the webhook's secret.")]
    return []


def event_errors(chosen: Iterable[str]) -> list[str]:
    chosen = list(chosen or ())
    if not chosen:
        return [_("Choose at least one event.")]
    bad = events.unknown(chosen)
    if bad:
        return [_("Unknown events: %(names)s. Known events: %(known)s.") % {
            "names": ", ".join(sorted(map(str, bad))), "known": ", ".join(events.EVENTS)}]
    return []


def _validate(webhook: Webhook) -> None:
    errors = {}
    if problems := url_errors(webhook.url):
        errors["url"] = problems
    if problems := event_errors(webhook.events):
        errors["events"] = problems
    try:
        webhook.full_clean(exclude=["url", "events"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


def _ordered(chosen):
    """The events in the registry's order, each once."""
    chosen = set(chosen)
    return [name for name in events.EVENTS if name in chosen]


@transaction.atomic
def create_webhook(*, tenant: Tenant, user: User | None, url: str, events: Iterable[str],
                   description: str = "", is_active: bool = True) -> Webhook:
    """A new subscription with a new secret (shown to its creator once)."""
    webhook = Webhook(tenant=tenant, url=(url or "").strip(), events=list(events or ()),
                      description=(description or "").strip(), is_active=is_active,
                      created_by=user, secret=new_secret())
    _validate(webhook)
    webhook.events = _ordered(webhook.events)
    webhook.save()
    return webhook


@transaction.atomic
def update_webhook(webhook: Webhook, **fields) -> Webhook:
    """Change `url`, `events`, `description` or `is_active`; switching it on clears the
    failure counts, switching it off stops what waits."""
    was_active = webhook.is_active
    for name in ("url", "events", "description", "is_active"):
        if name in fields:
            value = fields[name]
            setattr(webhook, name, value.strip() if isinstance(value, str) else value)
    if "events" in fields:
        webhook.events = list(webhook.events or ())
    _validate(webhook)
    webhook.events = _ordered(webhook.events)
    if webhook.is_active and not was_active:
        webhook.disabled_at, webhook.disabled_reason = None, ""
        webhook.consecutive_failures = webhook.failed_deliveries = 0
    elif was_active and not webhook.is_active:
        webhook.disabled_at = timezone.now()
        webhook.disabled_reason = _("Switched off by hand.")
    webhook.save()
    if was_active and not webhook.is_active:
        from .delivery import stop_pending

        stop_pending(webhook)
    return webhook


def set_active(webhook: Webhook, *, active: bool) -> Webhook:
    return update_webhook(webhook, is_active=active)


@transaction.atomic
def rotate_secret(webhook: Webhook) -> Webhook:
    """A new secret; deliveries from now on are signed with it."""
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret"])
    return webhook


@transaction.atomic
def delete_webhook(webhook: Webhook) -> None:
    webhook.delete()  # its deliveries go with it


@transaction.atomic
def replay(delivery: WebhookDelivery, *, now=None) -> WebhookDelivery:
    """Send `delivery` once more, with the same `webhook-id` (the receiver can tell a
    repeat); a failure of the replay is not retried."""
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().select_related("webhook").get(
        pk=delivery.pk)
    if not delivery.webhook.is_active:
        raise ValidationError({"webhook": [_("The webhook is switched off: switch it on "
                                             "before replaying its deliveries.")]})
    if delivery.status == Status.SENDING and delivery.next_attempt_at > now:
        raise ValidationError({"status": [_("This delivery is being sent right now.")]})
    delivery.status = Status.PENDING
    delivery.next_attempt_at = now
    # One attempt more; a delivery still being retried keeps the retries it has left.
    delivery.attempts_allowed = max(delivery.attempts_allowed, delivery.attempts + 1)
    delivery.save(update_fields=["status", "next_attempt_at", "attempts_allowed"])
    outbox.enqueue(events.DELIVERY_TASK, tenant_id=delivery.tenant_id)
    return delivery


@transaction.atomic
def send_test(webhook: Webhook, *, user: User | None = None) -> WebhookDelivery:
    """Queue a `webhook.test` event to `webhook` alone, whatever it subscribes to."""
    if not webhook.is_active:
        raise ValidationError({"webhook": [_("Switch the webhook on to send it a test "
                                             "event.")]})
    data = {"webhook": {"id": webhook.pk, "url": webhook.url},
            "message": "A test event sent from the webhook's page.",
            "sent_by": user.email if user is not None else None}
    events.queue(events.TEST_EVENT, tenant=webhook.tenant, hooks=[webhook], records=[data])
    return WebhookDelivery.objects.filter(webhook=webhook, event=events.TEST_EVENT).order_by(
        "-created_at", "-id").first()


def purge_deliveries(*, now) -> int:
    """Delete the current tenant's finished deliveries (delivered, or failed for good)
    older than WEBHOOK_DELIVERY_RETENTION_DAYS; returns how many. Waiting ones stay,
    whatever their age: they are still to be sent or replayed."""
    cutoff = now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    done = [WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]
    deleted, _by_model = WebhookDelivery.objects.filter(
        status__in=done, created_at__lt=cutoff).delete()
    return deleted
