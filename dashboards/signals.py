"""Keeps the stored account health honest: a write to any of its parts marks the
customer's health stale, and its next read recomputes it (dashboards.health.current).
The same writes leave the tenant's cached dashboards behind (caching.figures_changed).

Model signals cover single-row saves and deletes; bulk writes and UPDATE statements of
the customers app send `customers.signals.customers_changed`. A path missed here would
still be corrected the next day: a stored health only holds for the day it was computed.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from customers.models import Contact, Customer, Interaction, PeriodFigure, ServiceStandard
from customers.signals import customers_changed
from kam.tenancy import get_current_tenant, tenant_context
from projects.models import Milestone, Programme, ProgrammeSettings
from satisfaction.models import Campaign, OplItem, Response, Survey

from . import caching, health

# model -> how a saved row names the customers whose health it touches
# (None: every customer of the tenant).
PARTS_OF_HEALTH = {
    Customer: lambda row: [row.pk],  # its tier decides the service standards
    Contact: lambda row: [row.customer_id],
    Interaction: lambda row: [row.customer_id],
    PeriodFigure: lambda row: [row.customer_id],
    OplItem: lambda row: [row.customer_id],
    Programme: lambda row: [row.customer_id],
    Milestone: lambda row: Programme.objects.filter(pk=row.programme_id).values("customer_id"),
    Response: lambda row: Survey.objects.filter(pk=row.survey_id).values("customer_id"),
    Campaign: lambda row: Survey.objects.filter(campaign=row.pk).values("customer_id"),
    ServiceStandard: lambda row: None,
    ProgrammeSettings: lambda row: None,  # the RAG tolerance and due-soon window
}


def _tenant_of(row):
    current = get_current_tenant()
    return current if current is not None and current.pk == row.tenant_id else row.tenant


def _cascaded(sender, origin):
    """Whether a delete comes from deleting something else (a customer, a tenant): its
    own delete signal, if any, covers it."""
    model = getattr(origin, "model", type(origin))
    return origin is not None and model is not sender


def _row_changed(sender, instance, **kwargs):
    if kwargs.get("raw") or _cascaded(sender, kwargs.get("origin")):
        return
    tenant = _tenant_of(instance)
    with tenant_context(tenant):
        customers = PARTS_OF_HEALTH[sender](instance)
    health.mark_stale(tenant, customers)
    caching.figures_changed(tenant)


for model in PARTS_OF_HEALTH:
    post_save.connect(_row_changed, sender=model, dispatch_uid=f"health-save-{model.__name__}")
    post_delete.connect(_row_changed, sender=model,
                        dispatch_uid=f"health-delete-{model.__name__}")


@receiver(customers_changed, dispatch_uid="health-customers-changed")
def _customers_changed(sender, tenant, customer_ids, **kwargs):
    if customer_ids:
        health.mark_stale(tenant, list(customer_ids))
        caching.figures_changed(tenant)
