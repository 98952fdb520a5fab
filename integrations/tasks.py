"""Celery tasks of the webhook deliveries (integrations.delivery does the work)."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from jobs import outbox
from jobs.tasks import TRANSIENT
from kam.celery import TenantTask
from kam.tenancy import require_tenant

from . import delivery, events

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="integrations.tasks.deliver_webhooks",
             autoretry_for=TRANSIENT)
def deliver_webhooks(*, tenant_id):
    """Send the tenant's due webhook deliveries (queued after a change or a replay, by
    beat every minute for each tenant, and when a worker starts). Idempotent: each row is
    claimed before it is sent, so a repeat (a redelivery, two tasks at once) sends
    nothing twice; what its time leaves due is queued again."""
    in_process = outbox.runs_in_process()
    events.refresh_subscriptions(require_tenant())
    if in_process:
        # The request that made the change waits: one round of parallel sends at a time,
        # within a short budget (what is left waits for the next change or replay).
        result = delivery.deliver_due(require_tenant(), budget=settings.WEBHOOK_EAGER_BUDGET,
                                      batch=settings.WEBHOOK_SEND_THREADS)
    else:
        result = delivery.deliver_due(require_tenant(), budget=settings.WEBHOOK_TASK_BUDGET)
    if result["more"] and not in_process:
        outbox.enqueue(deliver_webhooks, tenant_id=tenant_id)
    return result


@worker_ready.connect
def deliver_when_a_worker_starts(sender=None, **kwargs):
    """A worker that starts (after a crash, a deploy) sends what waited meanwhile."""
    from kam.tasks import fan_out

    try:
        fan_out.delay(deliver_webhooks.name)
    except Exception:  # the broker went away again: beat's next round does it
        logger.warning("Could not queue the webhook sweep at worker start", exc_info=True)
