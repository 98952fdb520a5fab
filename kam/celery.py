"""The Celery app and the base class for per-tenant tasks."""

import logging
import os

from celery import Celery, Task
from celery.schedules import crontab

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One beat process; each entry fans out one task per active tenant (kam.tasks.fan_out).
app.conf.beat_schedule = {
    "purge-old-notifications": {
        "task": "kam.tasks.fan_out",
        "schedule": crontab(hour=3, minute=15),
        "args": ("notifications.tasks.purge_old_notifications",),
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


class TenantTask(Task):
    """A task that runs for one tenant: it takes `tenant_id` and sets the tenant context.

    Tasks built on it must be idempotent: they are acked late and requeued if the
    worker dies, and retried with backoff on transient errors. The retry backoff
    (at most 10 minutes) and the time limit stay below the broker's visibility timeout
    (1 hour), so a task being retried is never also redelivered.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (ConnectionError, TimeoutError, OSError)
    retry_backoff = 5
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    time_limit = 15 * 60
    soft_time_limit = 14 * 60

    def __call__(self, *args, **kwargs):
        from accounts.models import Tenant
        from kam.tenancy import tenant_context

        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TypeError(f"{self.name} needs a tenant_id keyword argument.")
        tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
        if tenant is None:
            # Deleted or deactivated between fan-out and run: nothing to do.
            logger.warning("%s skipped: tenant %s is gone or inactive", self.name, tenant_id)
            return {"skipped": f"tenant {tenant_id} is gone or inactive"}
        with tenant_context(tenant):
            return super().__call__(*args, **kwargs)
