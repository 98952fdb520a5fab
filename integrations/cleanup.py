"""The `integrations-cleanup` job: tombstones past DELETION_RETENTION_DAYS, idempotency
keys past their IDEMPOTENCY_KEY_HOURS and finished webhook deliveries past
WEBHOOK_DELIVERY_RETENTION_DAYS, of one tenant. Idempotent: a second run finds
nothing left to delete."""

from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from . import deletions, idempotency, services


def run(tenant, day, log):
    # As of the end of the run's day (tenant-local) or now, whichever is earlier: a run
    # for a past day purges less, and none cuts a key's 24 hours short.
    now = min(timezone.now(), datetime.combine(day, time.max, tzinfo=tenant.tzinfo))
    with transaction.atomic():
        log.count("tombstones_deleted", deletions.purge(now=now))
        log.count("idempotency_keys_deleted", idempotency.purge(now=now))
        log.count("webhook_deliveries_deleted", services.purge_deliveries(now=now))
