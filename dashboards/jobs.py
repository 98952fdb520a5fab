"""Scheduled jobs of the dashboards app (see jobs.registry): the nightly refresh of the
derived data (every customer's health, then the day's first dashboard) and the weekly
health snapshots. `run(tenant, day, log)`, safe to run twice: they recompute and
overwrite."""

from . import derived, health, services


def refresh_health(tenant, day, log):
    """Recompute and store every active customer's health for `day`, so the day's pages
    and API read it instead of computing it; then, for today, compute the cached
    dashboard, so that the day's first executive does not wait for it."""
    found = derived.refresh_all(tenant, day=day)
    log.count("customers", len(found))
    log.count("at_risk", sum(1 for h in found.values() if h.band == health.AT_RISK))


def health_snapshots(tenant, day, log):
    """Keep every active customer's health as the snapshot of `day`'s week (a rerun in the
    same week rewrites it) and propose an OPL item to the KAM of each account whose band
    dropped since its previous snapshot."""
    taken = services.take_health_snapshots(tenant=tenant, day=day)
    log.count("snapshots", taken.snapshots)
    log.count("proposed", taken.proposed)
