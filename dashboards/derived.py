"""Derived data: what the dashboards keep so that pages and the API never add up a whole
portfolio on a request — each customer's stored account health (`AccountHealth`, the
rule is dashboards.health) and the tenant's cached executive dashboard (the mechanics are
dashboards.caching). One module, one entry point for each thing that happens to them:

- **invalidate** (`invalidate`): a write to anything they derive from. It is fed by the
  write mechanism itself (`connect`, at start-up), so no writer has to remember:
  Django's post_save and post_delete for single rows; the tenant-owned querysets'
  `kam.tenancy.rows_changed` for `bulk_create`, `bulk_update` and `update()`; and
  `customers.signals.customers_changed` for raw SQL (the scoring run's UPDATE of tiers).
  `HEALTH_PARTS` and `DASHBOARD_SOURCES` list what health and the dashboard read; a test
  (dashboards/tests/test_invalidation.py) compares them with the tables their queries
  touch.
- **refresh** (`refresh`): the nightly `account-health` job recomputes every customer's
  health and the day's first dashboard.
- **serve** (`current`, `explain`, `in_band`, `dashboard`): the stored health, recomputing
  only the outdated customers first (missing, marked stale, or of an earlier day), and
  the cached dashboard (dashboards.caching: served while the worker refills it).
"""

import orjson
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

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
from integrations import events
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
from .models import AccountHealth

# --- invalidate -------------------------------------------------------------------------------

def invalidate(tenant, customers=None, *, of_health=True):
    """A write changed what health (of `customers`: ids or a queryset of them; None: all of
    them) and the dashboard derive from: the stored health is marked stale and the
    tenant's cached dashboards fall behind once the transaction commits. `of_health=False`:
    only the dashboard (a source of the dashboard that is no part of health)."""
    if of_health:
        mark_stale(tenant, customers)
    caching.figures_changed(tenant)


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
    customers = None
    if model in HEALTH_PARTS:
        with tenant_context(tenant):
            customers = customers_of(model, rows=rows, pks=pks)
            # A delete has no row left to look up: the instance still knows its customer.
            if customers is not None and not isinstance(customers, list):
                customers = list(customers.values_list(HEALTH_PARTS[model], flat=True)) \
                    or _from_instances(model, rows)
    invalidate(tenant, customers, of_health=model in HEALTH_PARTS)


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


def _customers_changed(sender, tenant, customer_ids, **kwargs):
    if customer_ids:
        invalidate(tenant, list(customer_ids))


def connect():
    """Feed the invalidation from the write mechanism (dashboards/apps.py, at start-up)."""
    for model in DASHBOARD_SOURCES:
        uid = f"{model._meta.label_lower}"
        post_save.connect(_row_saved_or_deleted, sender=model,
                          dispatch_uid=f"derived-save-{uid}")
        post_delete.connect(_row_saved_or_deleted, sender=model,
                            dispatch_uid=f"derived-delete-{uid}")
        rows_changed.connect(_rows_written, sender=model, dispatch_uid=f"derived-bulk-{uid}")
    customers_changed.connect(_customers_changed, dispatch_uid="derived-customers-changed")


# --- serve: the stored health ------------------------------------------------------------------

STORED_FIELDS = ["value", "scores", "facts", "cadence_met", "cadence_standards",
                 "computed_on", "computed_at", "stale"]


def store(found, *, today, now, tenant=None):
    """Save each computed Health as its customer's AccountHealth (one upsert, in customer
    order, so that two requests storing the same customers lock them in the same order
    and cannot deadlock), and send `customer.health_band_changed` for each stored health
    that moved to another band (read first, one query, only if a webhook wants it)."""
    moved = _band_changes(found, tenant) if tenant is not None else []
    AccountHealth.objects.bulk_create(
        [AccountHealth(customer_id=pk, value=h.value, scores=orjson.dumps(h.scores).decode(),
                       facts=orjson.dumps(h.inputs).decode(),
                       cadence_met=h.cadence_counts[0], cadence_standards=h.cadence_counts[1],
                       computed_on=today, computed_at=now, stale=False)
         for pk, h in sorted(found.items())],
        update_conflicts=True, unique_fields=["customer"], update_fields=STORED_FIELDS)
    if moved:
        events.emit(BAND_EVENT, tenant=tenant, records=moved)


BAND_EVENT = "customer.health_band_changed"


def _band_changes(found, tenant):
    """The band-change records of `found` against the health stored before (a customer
    never computed before has no change: its first health is no move)."""
    if BAND_EVENT not in events.subscribed_events(tenant):
        return []
    moved = []
    before = AccountHealth.objects.filter(customer_id__in=list(found)).values_list(
        "customer_id", "customer__code", "customer__name", "value")
    for pk, code, name, old in before:
        new = found[pk].value
        if health.band(old) != health.band(new):
            moved.append({"customer": {"id": pk, "code": code, "name": name},
                          "band": {"from": health.band(old), "to": health.band(new)},
                          "health": {"from": old, "to": new}})
    return moved


def outdated(customers, today):
    """The customers of `customers` whose stored health is missing, stale or older than
    `today`."""
    # A left join on the one-to-one key rather than NOT EXISTS: right after the nightly
    # refresh moves every row to a new day, statistics still say no row is of `today`,
    # and the planner's anti-join then compares every customer with every row.
    return customers.filter(Q(health_record__isnull=True) | Q(health_record__stale=True)
                            | Q(health_record__computed_on__lt=today)
                            | Q(health_record__computed_on__gt=today))


def refresh(customers, *, tenant, today=None, now=None, everything=False):
    """Recompute and store the health of the outdated customers of `customers` (of all
    of them with `everything`); returns {customer id: Health} of those recomputed."""
    today = today or tenant.today()
    now = now or timezone.now()
    found = health.compute(customers if everything else outdated(customers, today),
                           tenant=tenant, today=today, now=now)
    if found:
        store(found, today=today, now=now, tenant=tenant)
    return found


def current(customers, *, tenant, today=None, now=None):
    """{customer id: Health} of every customer of `customers`, from the stored rows, the
    outdated ones recomputed first. A fixed number of queries: two when all is fresh."""
    today = today or tenant.today()
    found = refresh(customers, tenant=tenant, today=today, now=now)
    stored = (AccountHealth.objects.filter(customer__in=customers.order_by().values("pk"),
                                           computed_on=today)
              .order_by().values_list("customer_id", "customer__code", "customer__name",
                                      "customer__tier", "scores", "value", "cadence_met",
                                      "cadence_standards", "facts"))
    for pk, code, name, tier, scores, *rest in stored:
        if pk not in found:
            found[pk] = health.Health(pk, tuple(orjson.loads(scores)), stored=rest,
                                      customer={"id": pk, "code": code, "name": name,
                                                "tier": tier})
    return found


def mark_stale(tenant, customers=None):
    """Flag the stored health of `customers` of `tenant` (ids, or a queryset of them;
    None: every customer) for recomputation on its next read. Called from model signals,
    which may fire outside a request, so the tenant is set here."""
    with tenant_context(tenant):
        rows = AccountHealth.objects.filter(stale=False)
        if customers is not None:
            rows = rows.filter(customer__in=customers)
        rows.update(stale=True)


def explain(customer, *, tenant, today=None, now=None):
    """The Health of one customer, with its parts (for the account page)."""
    return current(Customer.objects.filter(pk=customer.pk), tenant=tenant, today=today,
                   now=now).get(customer.pk)


def in_band(customers, key, *, tenant, today=None):
    """`customers` narrowed to those whose health is in band `key` (or NO_DATA): a
    queryset; the outdated ones are recomputed first, then the stored values filter in
    SQL."""
    today = today or tenant.today()
    refresh(customers, tenant=tenant, today=today)
    return customers.filter(health.band_q(key, "health_record__"),
                            health_record__computed_on=today)


# --- refresh ------------------------------------------------------------------------------------

def refresh_all(tenant, *, day):
    """The nightly refresh: every active customer's health for `day`, then, for today, the
    day's first cached dashboard (so the day's first executive does not wait for it).
    Returns {customer id: Health}."""
    found = refresh(Customer.objects.filter(is_active=True), tenant=tenant, today=day,
                    everything=True)
    if day == tenant.today():
        caching.refill(tenant)
    return found


def dashboard(scope, *, refresh=False):
    """(figures, computed at) of the executive dashboard of `scope`, from the cache when it
    is current (dashboards.caching)."""
    return caching.dashboard(scope, refresh=refresh)
