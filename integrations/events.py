"""The events integrators can subscribe to, and `emit`, which the write paths call.

A write path (a service, the scoring run's set-based statements, an import's commit)
calls `emit(event, tenant=…, records=[data, …])` inside its own transaction: one
WebhookDelivery is written per matching active subscription per record, with one
bulk insert, so a rolled-back change sends nothing and a bulk write sends one event per
changed record. The delivery task is queued through the outbox, published once the
transaction commits (integrations.delivery sends them).

Each delivery's body follows Standard Webhooks: `{"type": event, "timestamp": ISO 8601,
"data": record}`; a record names the object by id and code and holds the values before
and after that matter (`{"tier": {"from": "B", "to": "A"}, …}`).

Whether a tenant subscribes to an event at all is kept on its row
(`Tenant.webhook_events`, refreshed on every webhook write), so a write path of a tenant
without webhooks pays no query for them.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import nullcontext
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.tenancy import get_current_tenant, tenant_context

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import Tenant

logger = logging.getLogger(__name__)

# name -> what it means (shown when choosing a webhook's events). `agreement.expiring` and
# `price_down.variance` join when commercial agreements exist.
EVENTS = {
    "customer.tier_changed": _("A customer's tier changed (scoring run, override set or "
                               "ended)"),
    "customer.health_band_changed": _("A customer's account health moved to another band"),
    "programme.stage_changed": _("A programme moved to another stage"),
    "milestone.slipped": _("A milestone's expected date moved later"),
    "milestone.rag_changed": _("A milestone's RAG changed with an edit"),
    "opl_item.created": _("An OPL item was created"),
    "opl_item.status_changed": _("An OPL item's status changed"),
    "survey.responded": _("A department answered a satisfaction survey"),
    "scoring_run.completed": _("A scoring run finished"),
    "import.completed": _("An import was committed"),
}

# The names alone, for the API schema's enum (WebhookEventEnum).
EVENT_NAMES = tuple(EVENTS)

# Sent only by "Send a test event", to the one webhook asked, whatever its events.
TEST_EVENT = "webhook.test"

DELIVERY_TASK = "integrations.tasks.deliver_webhooks"


def choices():
    return list(EVENTS.items())


def unknown(events: Iterable[str]) -> list[str]:
    """The names in `events` that are no event of the registry."""
    return [name for name in events if name not in EVENTS]


def new_event_id() -> str:
    """A message id (the `webhook-id` header), kept across retries and replays."""
    return f"msg_{uuid.uuid4().hex}"


def refresh_subscriptions(tenant: Tenant) -> list[str]:
    """Store on `tenant` (its row, and the object given) the events its active webhooks
    subscribe to: after every webhook write, and by each tenant's delivery round (which
    mends a row saved whole from an older copy)."""
    from accounts.models import Tenant as TenantModel

    from .webhooks import Webhook

    with tenant_context(tenant):
        found = set()
        for names in Webhook.objects.filter(is_active=True).values_list("events", flat=True):
            found.update(names or ())
    wanted = [name for name in (*EVENTS, TEST_EVENT) if name in found]
    if list(tenant.webhook_events or ()) != wanted:
        TenantModel.objects.filter(pk=tenant.pk).update(webhook_events=wanted)
    tenant.webhook_events = wanted
    return wanted


def subscribed_events(tenant: Tenant) -> set[str]:
    """The events some active webhook of `tenant` subscribes to (kept on the tenant: no
    query)."""
    return set(tenant.webhook_events or ())


def _plain(data):
    """`data` as plain JSON values (dates, decimals and ids as strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def body(event: str, data: dict, *, at=None) -> dict:
    return {"type": event, "timestamp": (at or timezone.now()).isoformat(), "data": data}


def emit(event: str, *, tenant: Tenant, records: Iterable[dict]) -> int:
    """Queue `event` once per record for each active webhook of `tenant` subscribed to
    it, in the caller's transaction; returns the number of deliveries written.

    Two queries and one bulk insert whatever the number of records (none when the tenant
    subscribes to nothing of the kind); the delivery task is published after commit."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}: add it to integrations.events.")
    if event not in subscribed_events(tenant):
        return 0
    records = list(records)
    if not records:
        return 0
    from .webhooks import Webhook

    current = get_current_tenant()
    same = current is not None and current.pk == tenant.pk
    with nullcontext() if same else tenant_context(tenant):
        hooks = [hook for hook in Webhook.objects.filter(is_active=True)
                 if event in (hook.events or ())]
        if not hooks:
            return 0
        return queue(event, tenant=tenant, hooks=hooks, records=records)


def queue(event: str, *, tenant: Tenant, hooks, records, at=None) -> int:
    """Write the deliveries of `records` to `hooks` (one bulk insert) and queue the task."""
    from jobs import outbox

    from .delivery import SCHEDULE
    from .webhooks import WebhookDelivery

    now = at or timezone.now()
    bodies = [body(event, _plain(data), at=now) for data in records]
    rows = [WebhookDelivery(tenant=tenant, webhook=hook, event=event,
                            event_id=new_event_id(), payload=payload, next_attempt_at=now,
                            attempts_allowed=len(SCHEDULE), created_at=now)
            for hook in hooks for payload in bodies]
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, batch_size=2000)
        outbox.enqueue(DELIVERY_TASK, tenant_id=tenant.pk)
    return len(rows)
