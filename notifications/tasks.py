from celery import shared_task
from django.utils import timezone

from kam.celery import TenantTask

from . import services


@shared_task(base=TenantTask, name="notifications.tasks.purge_old_notifications")
def purge_old_notifications(*, tenant_id):
    """Delete notifications read more than 90 days ago (safe to repeat)."""
    cutoff = timezone.now() - services.READ_NOTIFICATIONS_KEPT
    return {"deleted": services.purge_read_before(cutoff)}
