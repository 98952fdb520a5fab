"""The executive dashboard's figures, kept in the cache (Redis in production) so that
executives seldom wait while a whole portfolio is added up.

- An entry holds the figures of a tenant, day and filter set, when they were computed,
  and the tenant's figures version they were computed at. Labels in the figures are
  lazy, so one entry serves every language.
- A committed write to anything the dashboard shows (dashboards.derived) moves the
  tenant's version on and has the worker refill the whole portfolio's entry a few
  seconds later: one refill per burst of writes.
- An entry of the current version younger than DASHBOARD_CACHE_SECONDS is served as it
  is. Otherwise it is still served while the worker refills it (the page asks for a
  filtered one): the figures are then a few seconds behind the last write, or up to that
  many seconds behind the clock (an open item going stale after two weeks without an
  update). An entry still behind a write after REFILL_GRACE_SECONDS is recomputed by the
  page: the worker is not keeping up. A filter set's first page of the day is computed.
- The nightly account-health job computes the day's first whole-portfolio entry.
- Without a worker (tasks run in-process, the embedded default) nothing is scheduled:
  the page computes whatever is not current, as it does when the cache is unreachable.
- The page says when its figures were computed and offers to recompute them.
"""

import contextlib
import logging
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from . import selectors
from .filters import DashboardFilter

logger = logging.getLogger(__name__)

# How long an entry is kept. Its key names the day, so it is not read after the day.
KEEP_SECONDS = 24 * 3600
# A scheduled refill blocks scheduling another for the same tenant until it starts, or
# at most this long (a refill lost with its worker does not block them for good).
PENDING_SECONDS = 60
# How long after a write the entry from before it may still be served.
REFILL_GRACE_SECONDS = 60
NO_VERSION = ("", 0.0)


def _version_key(tenant_id):
    return f"kam:t{tenant_id}:dashboard-version"


def _pending_key(tenant_id, filters):
    return f"kam:t{tenant_id}:dashboard-refill:{urlencode(sorted(filters.items()))}"


def _filters(scope):
    """The filters of `scope` as query parameters: {name: value as text}."""
    return {name: str(getattr(value, "pk", value)) for name, value in scope.filters.items()}


def _entry_key(scope):
    return (f"kam:t{scope.tenant.pk}:dashboard:{scope.today.isoformat()}:"
            f"{urlencode(sorted(_filters(scope).items()))}")


def _version(tenant_id):
    """(token, when it was set) of the tenant's figures version."""
    return cache.get(_version_key(tenant_id)) or NO_VERSION


def _enabled():
    return settings.DASHBOARD_CACHE_SECONDS > 0


def _has_worker():
    from kam.celery import app

    return not app.conf.task_always_eager


def figures_changed(tenant):
    """A write changed what the dashboard shows: once the transaction commits, the
    tenant's entries are behind its version and the worker is asked to refill the whole
    portfolio's."""
    def bump():
        try:
            cache.set(_version_key(tenant.pk), (uuid.uuid4().hex, time.time()), None)
        except Exception:  # a write must not fail with the cache
            logger.warning("Dashboard cache unreachable", exc_info=True)
            return
        schedule_refill(tenant, delay=settings.DASHBOARD_REFILL_DELAY_SECONDS)

    if _enabled():
        transaction.on_commit(bump)


def schedule_refill(tenant, filters=None, *, delay=0):
    """Have the worker refill the tenant's entry for `filters` (query parameters; None:
    the whole portfolio) in `delay` seconds, unless a refill of it is already waiting.
    True when one is waiting; False when none can be (no worker, cache or broker
    unreachable)."""
    if not (_enabled() and _has_worker()):
        return False
    from .tasks import refill_dashboard

    filters = filters or {}
    try:
        if not cache.add(_pending_key(tenant.pk, filters), 1, PENDING_SECONDS):
            return True
        refill_dashboard.apply_async(kwargs={"tenant_id": tenant.pk, "filters": filters},
                                     countdown=delay)
    except Exception:  # the page or the write goes on without it
        logger.warning("Dashboard refill not scheduled", exc_info=True)
        with contextlib.suppress(Exception):
            cache.delete(_pending_key(tenant.pk, filters))
        return False
    return True


def _compute_and_keep(scope, token):
    """(figures, computed at) of `scope`, kept in the cache as of version `token`."""
    figures = selectors.dashboard(scope)
    try:
        cache.set(_entry_key(scope), (figures, scope.now, token), KEEP_SECONDS)
    except Exception:
        logger.warning("Dashboard cache unreachable", exc_info=True)
    return figures, scope.now


def refill(tenant, filters=None):
    """Compute and keep the tenant's figures for today and `filters` (query parameters;
    None: the whole portfolio): the worker's part, safe to repeat. Writes committed
    while it runs schedule another refill. None when the filters are no longer valid
    (a region deleted meanwhile) or the cache is off."""
    if not _enabled():
        return None
    filters = filters or {}
    cache.delete(_pending_key(tenant.pk, filters))
    filterset = DashboardFilter(filters or None, queryset=selectors.base_customers(),
                                request=SimpleNamespace(tenant=tenant))
    if filters and not filterset.is_valid():
        return None
    token = _version(tenant.pk)[0]  # before computing: a later write moves it on
    return _compute_and_keep(selectors.scope_for(tenant, filterset), token)


def dashboard(scope, *, refresh=False):
    """(every panel of the dashboard of `scope`, when it was computed), from the cache
    when an entry there may be served (module docstring); `refresh` recomputes."""
    if not _enabled():
        return selectors.dashboard(scope), scope.now
    token, changed_at = NO_VERSION
    hit = None
    try:
        token, changed_at = _version(scope.tenant.pk)
        hit = None if refresh else cache.get(_entry_key(scope))
    except Exception:  # the page must not fail with the cache
        logger.warning("Dashboard cache unreachable", exc_info=True)
    if hit is not None:
        figures, computed_at, computed_token = hit
        current = computed_token == token
        if current and (scope.now - computed_at).total_seconds() <= (
                settings.DASHBOARD_CACHE_SECONDS):
            return figures, computed_at
        behind = 0 if current else time.time() - changed_at
        if behind <= REFILL_GRACE_SECONDS and schedule_refill(scope.tenant, _filters(scope)):
            return figures, computed_at
    return _compute_and_keep(scope, token)
