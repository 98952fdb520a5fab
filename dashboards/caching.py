"""The executive dashboard's figures, kept in the cache (Redis in production) so that
executives seldom wait while a whole portfolio is added up.

- An entry is (figures, when they were computed) for a tenant, its day, a filter set and
  the tenant's figures version. Labels in the figures are lazy, so one entry serves every
  language.
- A committed write to anything the dashboard shows (dashboards.signals) moves the
  tenant's version on, which leaves every entry behind, and has the worker refill the
  whole portfolio's figures a few seconds later: one refill per burst of writes.
- The whole portfolio's entry is also served when it is older than
  DASHBOARD_CACHE_SECONDS, while the worker refills it; a filtered entry that old is
  recomputed by the page. So what changes with nothing written (an open item going stale
  after two weeks without an update) shows at most that much later, plus the refill. The
  page says when its figures were computed and offers to recompute them.
- The nightly account-health job computes the day's first whole-portfolio entry.
- Without a worker (tasks run in-process, the embedded default) nothing is scheduled: the
  page computes what is missing or too old, as it does when the cache is unreachable.
"""

import contextlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from . import selectors

logger = logging.getLogger(__name__)

# How long an entry is kept. Its key names the day, so it is not read after the day.
KEEP_SECONDS = 24 * 3600
# A scheduled refill blocks scheduling another for the same tenant until it starts, or
# at most this long (a refill lost with its worker does not block them for good).
PENDING_SECONDS = 60


def _version_key(tenant_id):
    return f"kam:t{tenant_id}:dashboard-version"


def _pending_key(tenant_id):
    return f"kam:t{tenant_id}:dashboard-refill"


def _entry_key(scope):
    filters = sorted((name, str(getattr(value, "pk", value)))
                     for name, value in scope.filters.items())
    version = cache.get(_version_key(scope.tenant.pk), 0)
    return f"kam:t{scope.tenant.pk}:dashboard:v{version}:{scope.today.isoformat()}:{filters}"


def _enabled():
    return settings.DASHBOARD_CACHE_SECONDS > 0


def _has_worker():
    from kam.celery import app

    return not app.conf.task_always_eager


def figures_changed(tenant):
    """A write changed what the dashboard shows: once the transaction commits, the
    tenant's entries are left behind (their key names the version) and the worker is
    asked to refill the whole portfolio's."""
    def bump():
        try:
            cache.set(_version_key(tenant.pk), uuid.uuid4().hex, None)
        except Exception:  # a write must not fail with the cache
            logger.warning("Dashboard cache unreachable", exc_info=True)
            return
        schedule_refill(tenant, delay=settings.DASHBOARD_REFILL_DELAY_SECONDS)

    if _enabled():
        transaction.on_commit(bump)


def schedule_refill(tenant, *, delay=0):
    """Have the worker refill the tenant's whole-portfolio entry in `delay` seconds,
    unless a refill is already waiting. True when one is waiting; False when none can
    be (no worker, cache or broker unreachable)."""
    if not (_enabled() and _has_worker()):
        return False
    from .tasks import refill_dashboard

    try:
        if not cache.add(_pending_key(tenant.pk), 1, PENDING_SECONDS):
            return True
        refill_dashboard.apply_async(kwargs={"tenant_id": tenant.pk}, countdown=delay)
    except Exception:  # the page or the write goes on without it
        logger.warning("Dashboard refill not scheduled", exc_info=True)
        with contextlib.suppress(Exception):
            cache.delete(_pending_key(tenant.pk))
        return False
    return True


def refill(tenant):
    """Compute and keep the tenant's whole-portfolio figures for today (the worker's
    part; safe to repeat). Writes committed while it runs schedule another refill."""
    if not _enabled():
        return None
    cache.delete(_pending_key(tenant.pk))
    scope = selectors.scope_for(tenant)
    key = _entry_key(scope)  # the version before computing: a later write moves it on
    cache.set(key, (selectors.dashboard(scope), scope.now), KEEP_SECONDS)
    return key


def dashboard(scope, *, refresh=False):
    """(every panel of the dashboard of `scope`, when it was computed), from the cache
    when an entry there is fresh enough (module docstring); `refresh` recomputes."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return selectors.dashboard(scope), scope.now
    whole = not scope.filters
    key = hit = None
    try:
        key = _entry_key(scope)
        hit = None if refresh else cache.get(key)
    except Exception:  # the page must not fail with the cache
        logger.warning("Dashboard cache unreachable", exc_info=True)
    if hit is not None:
        age = (scope.now - hit[1]).total_seconds()
        if age <= seconds or (whole and schedule_refill(scope.tenant)):
            return hit
    result = (selectors.dashboard(scope), scope.now)
    if key is not None:
        try:
            cache.set(key, result, KEEP_SECONDS if whole else seconds)
        except Exception:
            logger.warning("Dashboard cache unreachable", exc_info=True)
    return result
