"""Celery tasks of the scheduled jobs: thin wrappers around `jobs.services`."""

import logging
from datetime import date

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from kam.celery import TenantTask
from kam.tenancy import require_tenant

from . import outbox, services

logger = logging.getLogger(__name__)

# Transient faults worth a retry with backoff: the network, the database, the broker.
TRANSIENT = (*TenantTask.autoretry_for, OperationalError, InterfaceError, BrokerError)


class JobTask(TenantTask):
    """A scheduled job's task: given up after too many deliveries, it leaves a failed run
    on the jobs page instead of vanishing from it."""

    abstract = True

    def gave_up(self, *, deliveries, args, kwargs):
        day = kwargs.get("day")
        record = services.gave_up(kwargs["name"], tenant=require_tenant(),
                                  day=date.fromisoformat(day) if day else None,
                                  trigger=kwargs.get("trigger", "schedule"),
                                  task_id=self.request.id or "", deliveries=deliveries)
        return {"run": record.pk, "status": record.status}


@shared_task(base=JobTask, name="jobs.tasks.run_job", autoretry_for=TRANSIENT)
def run_job(*, name, tenant_id, day=None, trigger="schedule"):
    """Run the scheduled job `name` for one tenant (idempotent: see jobs.registry)."""
    record = services.run(name, tenant=require_tenant(),
                          day=date.fromisoformat(day) if day else None, trigger=trigger,
                          task_id=run_job.request.id or "")
    return {"run": record.pk, "status": record.status, **record.counts}


@shared_task(base=TenantTask, name="jobs.tasks.send_emails", autoretry_for=TRANSIENT)
def send_emails(*, tenant_id, kinds=None):
    """Go on sending the e-mails a job run (or a campaign's opening) had no time for; it
    queues itself again while some are left (jobs.services.send_emails). Each e-mail is
    claimed before it is sent, so a repeat sends none twice."""
    log = services.send_emails(tenant=require_tenant(), kinds=kinds)
    return dict(log.counts)


@shared_task(name="jobs.tasks.fan_out_due", acks_late=True, reject_on_worker_lost=True)
def fan_out_due(name):
    """Beat's hourly entry per job: queue it for each tenant it is due for."""
    return {"enqueued": services.enqueue_due(name)}


@shared_task(name="jobs.tasks.drain_outbox", acks_late=True, reject_on_worker_lost=True,
             time_limit=5 * 60, soft_time_limit=4 * 60)
def drain_outbox():
    """Publish the tasks that waited in the outbox while the broker was away."""
    return outbox.drain()


@worker_ready.connect
def drain_when_a_worker_starts(sender=None, **kwargs):
    """A worker that starts (after an outage, a deploy) drains what waited meanwhile."""
    try:
        drain_outbox.delay()
    except Exception:  # the broker went away again: beat's next drain will do it
        logger.warning("Could not queue the outbox drain at worker start", exc_info=True)
