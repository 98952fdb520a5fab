"""Sending webhook deliveries: claim what is due, POST it signed, record the outcome.

At least once: a delivery is claimed (status `sending`, `next_attempt_at` a lease ahead)
in a transaction of its own before it is sent, so a worker killed while sending leaves
it claimed and, once the lease is over, it is due again; a receiver drops repeats by the
`webhook-id` header, the same on every attempt. Claims take rows with SKIP LOCKED where
the database has it, so two workers never claim the same row.

Retries follow Standard Webhooks' schedule (SCHEDULE, about 27 hours in all); a
delivery that has used up its attempts is `failed`. After DISABLE_AFTER_FAILED_DELIVERIES
such deliveries in a row (no success in between) the webhook is switched off and the
workspace's admins are told (in-app and by e-mail).
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from standardwebhooks.webhooks import Webhook as Signer

from kam import messages

from .events import refresh_subscriptions
from .webhooks import Webhook, WebhookDelivery

if TYPE_CHECKING:
    from accounts.models import Tenant

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

# Seconds to wait before each attempt: the first at once, then 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h and 10 h (Standard Webhooks' recommendation).
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
DISABLE_AFTER_FAILED_DELIVERIES = 3
BATCH = 20  # deliveries claimed at once: all of them sent well within the lease
USER_AGENT = "KAM-Webhooks/1"


def timeout() -> float:
    """Seconds one POST may take. In-process (the embedded default) the request that made
    the change waits for it, so less there."""
    from jobs.outbox import runs_in_process

    return settings.WEBHOOK_EAGER_TIMEOUT if runs_in_process() else settings.WEBHOOK_TIMEOUT


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to post the event to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON body, the same bytes on every attempt."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


def signed_headers(*, secret: str, event_id: str, body: bytes, at=None) -> dict[str, str]:
    at = at or timezone.now()
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(event_id, at, body),
    }


@dataclass
class Outcome:
    status_code: int | None
    error: str = ""

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, *, secret: str, event_id: str, body: bytes) -> Outcome:
    """POST one signed body; never raises for what the receiver or the network does."""
    if not url.lower().startswith(("https://", "http://")):
        return Outcome(None, "Only http(s) URLs receive webhooks.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and _private_target(url):
        return Outcome(None, "Refused: the address is on this machine or a private network.")
    # The URL was checked to be http(s) when the webhook was saved (services.url_errors).
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method="POST",
        headers=signed_headers(secret=secret, event_id=event_id, body=body))
    try:
        with _opener.open(request, timeout=timeout()) as response:
            response.read(4096)
            code = response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
        reason = f"HTTP {exc.code} {exc.reason}"
        if 300 <= code < 400:
            reason = f"HTTP {code}: redirects are not followed"
        return Outcome(code, reason)
    except (OSError, ValueError) as exc:  # refused, timed out, DNS, TLS, a bad URL
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000])
    if not 200 <= code < 300:
        return Outcome(code, f"HTTP {code}")
    return Outcome(code)


def _private_target(url: str) -> bool:
    """Whether the URL's host resolves to a private address (a name may point anywhere,
    whatever it was when the webhook was saved)."""
    from .services import is_private_address

    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the POST fails and says so
    return host == "localhost" or any(is_private_address(info[4][0]) for info in found)


def due(now=None):
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(
        status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lte=now,
        webhook__is_active=True)


def claim(*, now=None, limit=BATCH) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries of the current tenant for this worker (one
    transaction: the rows are `sending` under a lease when it commits)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = due(now).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        batch = list(rows.select_related("webhook")[:limit])
        until = now + lease()
        if batch:
            WebhookDelivery.objects.filter(pk__in=[row.pk for row in batch]).update(
                status=Status.SENDING, next_attempt_at=until, attempts=F("attempts") + 1)
    for row in batch:
        row.attempts += 1
        row.status = Status.SENDING
        row.next_attempt_at = until  # the lease: names this claim in `record`
    return batch


def _send(row):
    return post(row.webhook.url, secret=row.webhook.secret, event_id=row.event_id,
                body=body_of(row))


def record(rows_and_outcomes, *, now=None) -> dict[str, int]:
    """Save what each attempt got: delivered, due again later, or failed for good; keep
    each webhook's failure counts and switch off the ones failing for too long."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    succeeded, failed_for_good, failures = set(), {}, {}
    delivered = {}  # (status code, lease) -> ids: one UPDATE each
    with transaction.atomic():
        for row, outcome in rows_and_outcomes:
            if outcome.ok:
                delivered.setdefault((outcome.status_code, row.next_attempt_at), []).append(
                    row.pk)
                succeeded.add(row.webhook_id)
                counts["delivered"] += 1
                continue
            # Only the claim this worker holds (a lease run out may have been re-claimed).
            mine = WebhookDelivery.objects.filter(pk=row.pk, status=Status.SENDING,
                                                  next_attempt_at=row.next_attempt_at)
            failures[row.webhook_id] = failures.get(row.webhook_id, 0) + 1
            if row.attempts < row.attempts_allowed:
                wait = SCHEDULE[min(row.attempts, len(SCHEDULE) - 1)]
                mine.update(status=Status.PENDING, status_code=outcome.status_code,
                            last_error=outcome.error,
                            next_attempt_at=now + timedelta(seconds=wait))
                counts["retrying"] += 1
            else:
                mine.update(status=Status.FAILED, status_code=outcome.status_code,
                            last_error=outcome.error, next_attempt_at=None)
                failed_for_good[row.webhook_id] = failed_for_good.get(row.webhook_id, 0) + 1
                counts["failed"] += 1
        for (code, until), ids in delivered.items():
            WebhookDelivery.objects.filter(pk__in=ids, status=Status.SENDING,
                                           next_attempt_at=until).update(
                status=Status.DELIVERED, status_code=code, delivered_at=now,
                next_attempt_at=None, last_error="")
        for webhook_id in succeeded:
            Webhook.objects.filter(pk=webhook_id).update(
                consecutive_failures=0, failed_deliveries=0, last_success_at=now)
        for webhook_id, n in failures.items():
            if webhook_id in succeeded:
                continue
            Webhook.objects.filter(pk=webhook_id).update(
                consecutive_failures=F("consecutive_failures") + n, last_failure_at=now,
                failed_deliveries=F("failed_deliveries") + failed_for_good.get(webhook_id, 0))
        if failed_for_good:
            for webhook in Webhook.objects.filter(
                    pk__in=list(set(failed_for_good) - succeeded), is_active=True,
                    failed_deliveries__gte=DISABLE_AFTER_FAILED_DELIVERIES):
                disable_for_failures(webhook, now=now)
    return counts


def deliver_due(tenant: Tenant, *, now=None, budget: float | None = None,
                batch: int = BATCH) -> dict:
    """Send the current tenant's due deliveries, `batch` at a time (sent in parallel
    threads), until none is due or `budget` seconds have passed; returns the counts and
    `more` (some are still due). A batch is claimed only while time is left, so the call
    ends within `budget` plus one batch's sends."""
    started = time.monotonic()
    budget = budget if budget is not None else settings.WEBHOOK_TASK_BUDGET
    totals = {"delivered": 0, "retrying": 0, "failed": 0, "more": False}
    with ThreadPoolExecutor(max_workers=settings.WEBHOOK_SEND_THREADS) as pool:
        while True:
            if time.monotonic() - started > budget:
                totals["more"] = due(now).exists()
                break
            claimed = claim(now=now, limit=batch)
            if not claimed:
                break
            outcomes = list(pool.map(_send, claimed))
            for key, value in record(zip(claimed, outcomes, strict=True), now=now).items():
                totals[key] += value
    return totals


# --- switching a failing webhook off ----------------------------------------------------

def disable_for_failures(webhook: Webhook, *, now=None) -> bool:
    """Switch `webhook` off after repeated failed deliveries and tell the admins; False
    if it was already off (a concurrent worker did it)."""
    now = now or timezone.now()
    reason = messages.message(
        _("%(n)s deliveries in a row failed after every retry (last error: %(error)s)."),
        n=webhook.failed_deliveries, error=last_error(webhook))
    with translation.override(webhook.tenant.default_language or settings.LANGUAGE_CODE):
        reason_text = messages.render(reason)
    turned_off = Webhook.objects.filter(pk=webhook.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason_text[:300])
    if not turned_off:
        return False
    refresh_subscriptions(webhook.tenant)
    stop_pending(webhook)
    notify_admins(webhook, now=now)
    logger.warning("Webhook %s of tenant %s disabled after repeated failures", webhook.pk,
                   webhook.tenant_id)
    return True


def last_error(webhook: Webhook) -> str:
    row = (WebhookDelivery.objects.filter(webhook=webhook).exclude(last_error="")
           .order_by("-next_attempt_at", "-id").values_list("last_error", flat=True).first())
    return (row or "")[:200]


def stop_pending(webhook: Webhook) -> int:
    """A webhook switched off gets nothing more: its waiting deliveries fail (each can be
    replayed once it is on again)."""
    return WebhookDelivery.objects.filter(
        webhook=webhook, status__in=[Status.PENDING, Status.SENDING]).update(
        status=Status.FAILED, next_attempt_at=None,
        last_error=messages.render(messages.message(_("The webhook was switched off.")))[:1000])


def notify_admins(webhook: Webhook, *, now) -> int:
    from accounts import roles
    from accounts.selectors import tenant_members
    from jobs import outbox
    from notifications import emails, services

    tenant = webhook.tenant
    text = messages.message(
        _("The webhook to %(url)s was switched off after repeated failed deliveries."),
        url=webhook.url)
    url = reverse("webhook_detail", args=[webhook.pk])
    sent = 0
    for user in tenant_members(tenant, roles=roles.roles_for("manage_workspace"),
                               active_users=True):
        with emails.recipient_language(user, tenant):
            _note, created = services.notify(
                tenant=tenant, recipient=user, kind="webhook_disabled", text=text,
                dedup_key=f"webhook-disabled:{webhook.pk}:{now.isoformat()}:{user.pk}",
                url=url, obj=webhook)
        sent += created
    if sent:
        outbox.enqueue("jobs.tasks.send_emails", tenant_id=tenant.pk,
                       kinds=["webhook_disabled"])
    return sent
