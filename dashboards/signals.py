"""Keeps what the dashboards derive honest: a write to any part of a customer's health
marks that health stale (its next read recomputes it, dashboards.health.current), and a
write to anything the executive dashboard shows leaves the tenant's cached dashboards
behind (caching.figures_changed).

The write mechanism itself reports every write, so no writer has to remember:
- single rows: Django's post_save and post_delete;
- bulk writes: the tenant-owned querysets' `bulk_create`, `bulk_update` and `update()`
  send `kam.tenancy.rows_changed` with the rows or their ids;
- raw SQL (the scoring run's UPDATE of tiers): `customers.signals.customers_changed`.

`HEALTH_PARTS` and `DASHBOARD_SOURCES` list what health and the dashboard read; a test
(dashboards/tests/test_invalidation.py) compares them with the tables their queries touch.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from customers.models import (
    Contact,
    Customer,
    Interaction,
    PeriodFigure,
    ScoringPolicy,
    ServiceStandard,
    TierOverride,
)
from customers.signals import customers_changed
from kam.tenancy import get_current_tenant, rows_changed, tenant_context
from projects.models import Milestone, Programme, ProgrammeSettings
from satisfaction.models import (
    Answer,
    Campaign,
    Invitation,
    OplItem,
    Response,
    SatisfactionSettings,
    Survey,
)
from teams.models import Team, TeamMember

from . import caching, health

# model -> (the field that names the customer of a row, or the path to it); None: a
# tenant-wide setting that touches every customer.
HEALTH_PARTS = {
    Customer: "pk",  # its tier decides the service standards
    Contact: "customer_id",
    Interaction: "customer_id",
    PeriodFigure: "customer_id",
    OplItem: "customer_id",
    Programme: "customer_id",
    Milestone: "programme__customer_id",
    Survey: "customer_id",
    Invitation: "survey__customer_id",  # the coverage of a survey's index
    Response: "survey__customer_id",
    Answer: "response__survey__customer_id",
    TierOverride: "customer_id",
    Campaign: None,  # opening or closing one decides which survey counts
    ServiceStandard: None,
    ProgrammeSettings: None,  # the RAG tolerance and due-soon window
    SatisfactionSettings: None,  # when an open campaign counts
}
# What the executive dashboard shows besides health: every part of health, the tiers'
# policy and the account teams (the triangle panel).
DASHBOARD_SOURCES = {*HEALTH_PARTS, ScoringPolicy, Team, TeamMember}


def _direct(path):
    return path in ("pk", "customer_id")


def customers_of(model, *, rows=None, pks=None):
    """The customers whose health a write of `rows` (instances) or `pks` of `model`
    touches: ids, a queryset of ids, or None for every customer."""
    path = HEALTH_PARTS[model]
    if path is None:
        return None
    if rows is not None and _direct(path):
        return [row.pk if path == "pk" else row.customer_id for row in rows]
    if rows is not None:
        pks = [row.pk for row in rows if row.pk is not None]
        if not pks:  # instances without ids (a bulk insert that returns none)
            return None
    return model.objects.filter(pk__in=pks).values(path)


def _tenant_of(row):
    current = get_current_tenant()
    return current if current is not None and current.pk == row.tenant_id else row.tenant


def _cascaded(sender, origin):
    """Whether a delete comes from deleting something else (a customer, a tenant): its
    own delete signal, if any, covers it."""
    model = getattr(origin, "model", type(origin))
    return origin is not None and model is not sender


def _changed(model, tenant, *, rows=None, pks=None):
    if model in HEALTH_PARTS:
        with tenant_context(tenant):
            customers = customers_of(model, rows=rows, pks=pks)
            # A delete has no row left to look up: the instance still knows its customer.
            if customers is not None and not isinstance(customers, list):
                customers = list(customers.values_list(HEALTH_PARTS[model], flat=True)) \
                    or _from_instances(model, rows)
        health.mark_stale(tenant, customers)
    caching.figures_changed(tenant)


def _from_instances(model, rows):
    """The customers of deleted rows, read from the instances' own foreign keys."""
    if not rows:
        return []
    path = HEALTH_PARTS[model].split("__")
    ids = []
    for row in rows:
        value = row
        for step in path[:-1]:
            value = getattr(value, step, None)
        ids.append(getattr(value, path[-1], None) if value is not None else None)
    return [pk for pk in ids if pk is not None]


def _row_saved_or_deleted(sender, instance, **kwargs):
    if kwargs.get("raw") or _cascaded(sender, kwargs.get("origin")):
        return
    _changed(sender, _tenant_of(instance), rows=[instance])


def _rows_written(sender, tenant, rows=None, pks=None, **kwargs):
    if tenant is not None:
        _changed(sender, tenant, rows=rows, pks=pks)


for model in DASHBOARD_SOURCES:
    uid = f"{model._meta.label_lower}"
    post_save.connect(_row_saved_or_deleted, sender=model, dispatch_uid=f"health-save-{uid}")
    post_delete.connect(_row_saved_or_deleted, sender=model,
                        dispatch_uid=f"health-delete-{uid}")
    rows_changed.connect(_rows_written, sender=model, dispatch_uid=f"health-bulk-{uid}")


@receiver(customers_changed, dispatch_uid="health-customers-changed")
def _customers_changed(sender, tenant, customer_ids, **kwargs):
    if customer_ids:
        health.mark_stale(tenant, list(customer_ids))
        caching.figures_changed(tenant)
