"""Satisfaction tasks, one tenant per run. The scheduled jobs themselves live in
`satisfaction.jobs` and run through `jobs.tasks.run_job`."""

from celery import shared_task

from jobs import services as job_services
from kam.celery import TenantTask
from kam.tenancy import require_tenant

from . import jobs, services


@shared_task(base=TenantTask, name="satisfaction.tasks.chase_opl_items")
def chase_opl_items(*, tenant_id):
    """The fortnightly OPL chase (`satisfaction.jobs.opl_chase`) without a job run record;
    one notification per item, person and fortnight, so a rerun sends nothing."""
    from jobs.services import RunLog

    tenant = require_tenant()
    log = RunLog()
    jobs.opl_chase(tenant, tenant.today(), log)
    return {"notified": log.counts["notified"]}


@shared_task(base=TenantTask, name="satisfaction.tasks.send_link_emails")
def send_link_emails(*, tenant_id):
    """E-mail the invitation links queued by the opening of a campaign, once it has
    committed (queued through the outbox). Each goes out once; one that fails is retried
    by the tenant's next job run (jobs.services.run sends what is waiting), and a large
    campaign goes on in follow-up tasks (jobs.services.send_emails)."""
    log = job_services.send_emails(tenant=require_tenant(), kinds=[services.INVITATION_EMAIL])
    return {"sent": log.counts.get("emails_sent", 0),
            "failed": log.counts.get("emails_failed", 0),
            "left": log.counts.get("emails_left", 0)}
