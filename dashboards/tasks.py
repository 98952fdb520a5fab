"""Celery task of the dashboards app: refilling a tenant's cached dashboard
(dashboards.caching) after its figures changed."""

from celery import shared_task

from kam.celery import TenantTask
from kam.tenancy import require_tenant

from . import caching


@shared_task(base=TenantTask, name="dashboards.tasks.refill_dashboard")
def refill_dashboard(*, tenant_id, filters=None):
    """Compute and cache the tenant's dashboard, of the whole portfolio or narrowed by
    `filters` (query parameters); safe to repeat."""
    caching.refill(require_tenant(), filters)
