"""Demo health history for `manage.py seed_demo` (runs after every other app's seed):
twelve weeks of snapshots, so the trends and arrows say something. Most accounts move a
little within their band; the weakest one declines into a worse band this week, which
proposes an OPL item to its KAM through the weekly job's own path. Deterministic and
idempotent: a tenant that already has snapshots is left as it is."""

import random
from datetime import timedelta

from django.utils import timezone

from customers.models import Customer

from . import derived, health, services
from .models import HealthSnapshot

WEEKS = 12  # this week included


def seed(tenant):
    if HealthSnapshot.objects.exists():
        return
    rng = random.Random(f"kam-health-{tenant.slug}")
    today = tenant.today()
    this_week = services.week_of(today)
    found = derived.current(Customer.objects.filter(is_active=True), tenant=tenant,
                            today=today)
    if not found:
        return
    declining = _declining(found)
    now = timezone.now()
    rows = []
    for pk, h in sorted(found.items()):
        values = (_declining_values(h.value, rng) if pk == declining
                  else _steady_values(h.value, rng))
        for back, value in zip(range(WEEKS - 1, 0, -1), values, strict=True):
            scale = 1 if not h.value or value is None else value / h.value
            parts = {key: None if score is None else round(min(100.0, score * scale), 1)
                     for key, score in zip(health.PART_KEYS, h.scores, strict=True)}
            rows.append(HealthSnapshot(
                tenant=tenant, customer_id=pk, week=this_week - timedelta(weeks=back),
                value=value, band=health.band(value), parts=parts,
                taken_at=now - timedelta(weeks=back)))
    HealthSnapshot.objects.bulk_create(rows)
    # This week's snapshot, and the declining account's proposal, as the job takes them.
    services.take_health_snapshots(tenant=tenant, day=today, now=now)


def _declining(found):
    """The account that declines: the lowest health that is in a band below good."""
    candidates = [h for h in found.values()
                  if h.value is not None and h.band in (health.WATCH, health.AT_RISK)]
    if not candidates:
        return None
    return min(candidates, key=lambda h: (h.value, h.customer_id)).customer_id


def _steady_values(value, rng):
    """The earlier weeks, oldest first: a small walk inside the band of `value`."""
    if value is None:
        return [None] * (WEEKS - 1)
    low, high = health.band_range(health.band(value))
    return [min(high, max(low, value + rng.randint(-4, 4))) for _week in range(WEEKS - 1)]


def _declining_values(value, rng):
    """Oldest first: from well inside the better band down to just above its floor."""
    better = health.BAND_ORDER[health.BAND_ORDER.index(health.band(value)) + 1]
    floor = health.band_range(better)[0]
    start = min(100, floor + 18)
    steps = WEEKS - 1
    return [max(floor + 1, round(start - (start - floor - 1) * week / (steps - 1))
                + rng.randint(0, 2))
            for week in range(steps)]
