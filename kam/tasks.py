from celery import shared_task

from accounts.models import Tenant


@shared_task(name="kam.tasks.fan_out", acks_late=True, reject_on_worker_lost=True)
def fan_out(task_name, **kwargs):
    """Enqueue `task_name` once for every active tenant (beat's entry point)."""
    from kam.celery import app

    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        app.signature(task_name, kwargs={**kwargs, "tenant_id": tenant_id}).delay()
    return len(tenant_ids)
