"""The `history-retention` job: the tenant's history of changes older than its
`history_retention_days` (records settings) is deleted. Idempotent: a second run finds
nothing left to delete."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from . import history
from .selectors import record_settings


def purge_history(tenant, day, log):
    # As of the end of the run's day (tenant-local) or now, whichever is earlier: a run
    # for a past day deletes less, never more.
    now = min(timezone.now(), datetime.combine(day, time.max, tzinfo=tenant.tzinfo))
    keep = timedelta(days=record_settings(tenant).history_retention_days)
    with transaction.atomic():
        log.count("deleted", history.delete_expired(tenant=tenant, before=now - keep))
