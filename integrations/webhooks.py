"""Webhook subscriptions and their deliveries (the tables; the rules are in
integrations.events, integrations.delivery and integrations.services)."""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOwnedModel

SECRET_PREFIX = "whsec_"  # noqa: S105 — Standard Webhooks' prefix, no secret


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class Webhook(TenantOwnedModel):
    """A tenant's subscription: the events in `events` (integrations.events.EVENTS) are
    POSTed to `url`, signed with `secret`.

    Failing deliveries are counted; after `delivery.DISABLE_AFTER_FAILED_DELIVERIES`
    deliveries in a row have used up their retries the webhook is switched off
    (`disabled_at`, `disabled_reason`) and the admins are told."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Attempts failed since the last success, and deliveries that used up every retry.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failed_deliveries = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "id"]
        indexes = [models.Index(fields=["tenant", "is_active"], name="webhook_tenant_active")]
        verbose_name = _("webhook")

    def __str__(self):
        return self.url


class WebhookDelivery(TenantOwnedModel):
    """One event for one webhook, and its attempts. `event_id` is the `webhook-id` header:
    the same on every retry and replay, so a receiver drops what it has already seen.

    A row is due while `status` is pending and `next_attempt_at` has come. A worker claims
    it by setting `sending` with `next_attempt_at` a lease ahead: a worker killed while
    sending leaves the row claimed, and once the lease is over it is due again (at least
    once)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=64)
    event_id = models.CharField(_("event id"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Attempts this row may take: the retry schedule's length; a replay allows one more.
    attempts_allowed = models.PositiveSmallIntegerField(default=8)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "next_attempt_at"],
                         name="delivery_due"),
            models.Index(fields=["tenant", "webhook", "-created_at"],
                         name="delivery_webhook_log"),
            models.Index(fields=["event_id"], name="delivery_event_id"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.event} {self.event_id}"


@receiver([post_save, post_delete], sender=Webhook)
def _subscriptions_changed(sender, instance, **kwargs):
    """Whoever writes a webhook (a service, a factory, the admin), its tenant's set of
    subscribed events follows (integrations.events)."""
    from accounts.models import Tenant

    from .events import refresh_subscriptions

    try:
        tenant = instance.tenant
    except Tenant.DoesNotExist:  # deleted with its tenant
        return
    refresh_subscriptions(tenant)
