"""Satisfaction jobs, one tenant per run (the beat entries fan out per tenant)."""

from celery import shared_task
from django.urls import reverse
from django.utils.translation import gettext as _

from kam.celery import TenantTask
from kam.tenancy import require_tenant
from notifications.services import notify

from . import opl, selectors


@shared_task(base=TenantTask, name="satisfaction.tasks.chase_opl_items")
def chase_opl_items(*, tenant_id):
    """Remind the owners (and accountable KAMs) of overdue and stale OPL items. Runs every
    two weeks; one notification per item, person and fortnight, so a rerun sends nothing."""
    tenant = require_tenant()
    today = tenant.today()
    year, week, _day = today.isocalendar()
    fortnight = f"{year}-{week // 2}"
    items = selectors.filter_items(selectors.opl_items(today=today), today=today,
                                   status="active").filter(
        opl.overdue_q(today) | opl.stale_q())
    sent = 0
    for item in items:
        why = _("overdue") if item.is_overdue else _("no update for 14 days")
        for user in {u for u in (item.owner, item.accountable) if u is not None}:
            _n, created = notify(
                tenant=tenant, recipient=user, kind="opl_chase",
                text=_("OPL item “%(title)s” (%(customer)s): %(why)s.") % {
                    "title": item.title, "customer": item.customer.name, "why": why},
                dedup_key=f"opl-chase:{item.pk}:{user.pk}:{fortnight}",
                url=reverse("opl_detail", args=[item.pk]), obj=item)
            sent += created
    return {"notified": sent}
