"""Scheduled job of the dashboards app (see jobs.registry): the nightly account-health
refresh, then the day's first dashboard. `run(tenant, day, log)`, safe to run twice: it
recomputes and overwrites."""

from customers.models import Customer

from . import caching, health


def refresh_health(tenant, day, log):
    """Recompute and store every active customer's health for `day`, so the day's pages
    and API read it instead of computing it; then, for today, compute the cached
    dashboard, so that the day's first executive does not wait for it."""
    found = health.refresh(Customer.objects.filter(is_active=True), tenant=tenant, today=day,
                           everything=True)
    log.count("customers", len(found))
    log.count("at_risk", sum(1 for h in found.values() if h.band == health.AT_RISK))
    if day == tenant.today():
        caching.refill(tenant)
