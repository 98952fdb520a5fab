"""Satisfaction tasks, one tenant per run. The scheduled jobs themselves live in
`satisfaction.jobs` and run through `jobs.tasks.run_job`."""

from celery import shared_task

from kam.celery import TenantTask
from kam.tenancy import require_tenant

from . import jobs


@shared_task(base=TenantTask, name="satisfaction.tasks.chase_opl_items")
def chase_opl_items(*, tenant_id):
    """The fortnightly OPL chase (`satisfaction.jobs.opl_chase`) without a job run record;
    one notification per item, person and fortnight, so a rerun sends nothing."""
    from jobs.services import RunLog

    tenant = require_tenant()
    log = RunLog()
    jobs.opl_chase(tenant, tenant.today(), log)
    return {"notified": log.counts["notified"]}
