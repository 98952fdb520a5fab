"""Scheduled job of the dashboards app (see jobs.registry): the nightly refresh of the
derived data (every customer's health, then the day's first dashboard). `run(tenant, day,
log)`, safe to run twice: it recomputes and overwrites."""

from . import derived, health


def refresh_health(tenant, day, log):
    """Recompute and store every active customer's health for `day`, so the day's pages
    and API read it instead of computing it; then, for today, compute the cached
    dashboard, so that the day's first executive does not wait for it."""
    found = derived.refresh_all(tenant, day=day)
    log.count("customers", len(found))
    log.count("at_risk", sum(1 for h in found.values() if h.band == health.AT_RISK))
