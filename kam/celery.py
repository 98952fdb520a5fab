"""The Celery app and the base class for per-tenant tasks."""

import logging
import os

from celery import Celery, Task
from celery.schedules import crontab

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

# Every task, plain or per tenant, is a KamTask (below): its redeliveries are capped.
app = Celery("kam", task_cls="kam.celery:KamTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# kam is no installed app, so its tasks (the beat's fan-out) are named here.
app.autodiscover_tasks(["kam"])

# One beat process; each entry fans out one task per active tenant (kam.tasks.fan_out).
app.conf.beat_schedule = {
    "purge-old-notifications": {
        "task": "kam.tasks.fan_out",
        "schedule": crontab(hour=3, minute=15),
        "args": ("notifications.tasks.purge_old_notifications",),
    },
    # Webhook retries whose time has come, and deliveries whose worker was lost.
    "webhook-deliveries": {
        "task": "kam.tasks.fan_out",
        "schedule": float(os.environ.get("KAM_BEAT_INTERVAL") or 0) or 60.0,
        "args": ("integrations.tasks.deliver_webhooks",),
    },
}


def _scheduled_jobs():
    from jobs.registry import beat_entries

    # KAM_BEAT_INTERVAL (seconds) makes every job entry fire that often: for the worker
    # tests and demos only; the jobs still run once per period (jobs.registry).
    interval = float(os.environ.get("KAM_BEAT_INTERVAL") or 0) or None
    return beat_entries(interval)


# The scheduled jobs (jobs.registry): hourly per job, each tenant once per period.
app.conf.beat_schedule.update(_scheduled_jobs())


# A delivery counter outlives every redelivery of its message: the visibility timeout
# times the deliveries allowed, with room to spare.
DELIVERIES_KEPT = 24 * 60 * 60


class KamTask(Task):
    """The base of every task: a message delivered more than TASK_MAX_DELIVERIES times is
    given up instead of run again.

    A task is acked late, so a worker killed while running it (out of memory, kill -9)
    gets it back: at once when the pool loses a child, after the visibility timeout when
    the whole worker died. A task that kills its worker every time would come back
    forever, so each delivery is counted in the cache (Redis), per task id and retry, and
    past the limit `gave_up` runs instead of the task. A retry is a new attempt with its
    own count: retries are bounded by `max_retries`.
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        deliveries = self.delivery_count()
        if deliveries > self.max_deliveries():
            logger.error("%s[%s] given up after %s deliveries", self.name, self.request.id,
                         deliveries - 1)
            return self.gave_up(deliveries=deliveries - 1, args=args, kwargs=kwargs)
        return super().__call__(*args, **kwargs)

    @staticmethod
    def max_deliveries():
        from django.conf import settings

        return settings.TASK_MAX_DELIVERIES

    def delivery_count(self):
        """How often this attempt of the task has been delivered, this time included; 1
        when it runs in-process (nothing is redelivered there) or the cache is away."""
        request = self.request
        if request.called_directly or request.is_eager or not request.id:
            return 1
        from django.core.cache import cache

        key = f"kam:deliveries:{request.id}:{request.retries or 0}"
        try:
            cache.add(key, 0, DELIVERIES_KEPT)
            return cache.incr(key)
        except Exception:  # the cache's errors vary; never refuse a task for want of it
            logger.warning("Delivery of %s[%s] not counted", self.name, request.id,
                           exc_info=True)
            return 1

    def gave_up(self, *, deliveries, args, kwargs):
        """Record that the task was given up (the subclasses say where: a failed job run,
        a failed import). The message is then acked: it is not delivered again."""
        return {"gave_up": f"delivered {deliveries} times without finishing"}


class TenantTask(KamTask):
    """A task that runs for one tenant: it takes `tenant_id` and sets the tenant context.

    Tasks built on it must be idempotent: they are acked late and requeued if the
    worker dies (at most TASK_MAX_DELIVERIES times, see KamTask), and retried with
    backoff on transient errors. The retry backoff (at most TASK_RETRY_BACKOFF_MAX) plus
    the time limit stay below the broker's visibility timeout (kam/settings.py), so a
    task being retried or still running is never also redelivered.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (ConnectionError, TimeoutError, OSError)
    retry_backoff = 5
    retry_backoff_max = 5 * 60  # settings.TASK_RETRY_BACKOFF_MAX
    retry_jitter = True
    max_retries = 5
    time_limit = 15 * 60  # settings.CELERY_TASK_TIME_LIMIT
    soft_time_limit = 14 * 60  # settings.CELERY_TASK_SOFT_TIME_LIMIT

    def __call__(self, *args, **kwargs):
        from accounts.models import Tenant
        from kam.changes import Source, change_context
        from kam.tenancy import tenant_context

        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TypeError(f"{self.name} needs a tenant_id keyword argument.")
        tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
        if tenant is None:
            # Deleted or deactivated between fan-out and run: nothing to do.
            logger.warning("%s skipped: tenant %s is gone or inactive", self.name, tenant_id)
            return {"skipped": f"tenant {tenant_id} is gone or inactive"}
        with tenant_context(tenant), change_context(Source.TASK, reference=self.name):
            # The delivery cap (KamTask) runs inside: `gave_up` records in the tenant.
            return super().__call__(*args, **kwargs)
