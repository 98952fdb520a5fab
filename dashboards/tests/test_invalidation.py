"""Derived figures never go stale silently: every model that account health and the
executive dashboard read is listed in dashboards.derived, and a write to each of them —
a save, a delete, an UPDATE statement, a bulk insert or bulk update — marks the touched
customers' stored health stale and moves the tenant's dashboard version on. So do the
product's bulk paths as users meet them: the service-standards page, the customer
import, the API's bulk figures.

The lists are not trusted by hand: the first test records the tables the health and
dashboard queries touch and compares them with the lists."""

import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer, ServiceStandard
from dashboards import caching, derived, health, selectors
from dashboards.derived import DASHBOARD_SOURCES, HEALTH_PARTS
from dashboards.models import AccountHealth
from dashboards.tests.portfolio import build_portfolio
from kam.tenancy import TenantOwnedModel, tenant_context
from tests.test_isolation import factory_for

# Tenant-owned tables the queries read that are not sources: the derived value itself.
NOT_SOURCES = {AccountHealth}


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 120


def tables_read(run):
    """The tenant-owned models whose tables the queries of `run()` name."""
    by_table = {model._meta.db_table: model for model in apps.get_models()
                if issubclass(model, TenantOwnedModel)}
    with CaptureQueriesContext(connection) as captured:
        run()
    names = set()
    for query in captured.captured_queries:
        names.update(re.findall(r'"([a-z_]+)"', query["sql"]))
    return {by_table[name] for name in names if name in by_table}


def test_the_lists_name_every_model_health_and_the_dashboard_read(tenant, in_tenant):
    build_portfolio(tenant, size=5)
    customers = Customer.objects.all()

    read_by_health = tables_read(lambda: health.compute(customers, tenant=tenant))
    read_by_dashboard = tables_read(
        lambda: selectors.dashboard(selectors.scope_for(tenant)))

    assert read_by_health - NOT_SOURCES <= set(HEALTH_PARTS), (
        read_by_health - NOT_SOURCES - set(HEALTH_PARTS))
    assert read_by_dashboard - NOT_SOURCES <= DASHBOARD_SOURCES, (
        read_by_dashboard - NOT_SOURCES - DASHBOARD_SOURCES)


def version(tenant):
    return caching._version(tenant.pk)


def fresh(tenant):
    """Store every customer's health as of now; return the dashboard version."""
    derived.refresh(Customer.objects.all(), tenant=tenant, everything=True)
    assert not AccountHealth.objects.filter(stale=True).exists()
    return version(tenant)


def customer_of(row):
    from dashboards.derived import _from_instances

    if isinstance(row, Customer):
        return row.pk
    ids = _from_instances(type(row), [row]) if HEALTH_PARTS.get(type(row)) else []
    return ids[0] if ids else None


def assert_invalidated(tenant, before, customer_id, model):
    assert version(tenant) != before, f"{model.__name__}: the dashboard was not told"
    if model in HEALTH_PARTS:
        rows = AccountHealth.objects.all()
        if HEALTH_PARTS[model] is not None and customer_id is not None:
            rows = rows.filter(customer_id=customer_id)
            if not rows.exists():  # a new customer: no stored health yet, read computes it
                return
        assert rows.filter(stale=True).exists(), (
            f"{model.__name__}: the stored health stayed fresh")


def a_field_to_change(model):
    """A concrete, editable, non-key field of `model` and a new value for a row: a flag
    flipped, a text extended, or a date moved a day."""
    import datetime

    for field in model._meta.concrete_fields:
        if (field.primary_key or field.is_relation or not field.editable or field.unique
                or field.choices):
            continue
        kind = field.get_internal_type()
        if kind == "BooleanField":
            return field.name, lambda row, name=field.name: not getattr(row, name)
        if kind in ("TextField", "CharField") and (field.max_length or 100) > 20:
            return field.name, lambda row, name=field.name: f"{getattr(row, name)}."
        if kind in ("DateField", "DateTimeField") and getattr(field, "auto_now", False) is False \
                and not field.null:
            return field.name, lambda row, name=field.name: (
                getattr(row, name) + datetime.timedelta(days=1))
    for field in model._meta.concrete_fields:  # else a number, one up (or within its range)
        if (field.primary_key or field.is_relation or not field.editable or field.unique
                or field.choices):
            continue
        if field.get_internal_type() in ("IntegerField", "PositiveIntegerField",
                                         "PositiveSmallIntegerField", "DecimalField"):
            return field.name, lambda row, field=field: another_number(field, row)
    return None, None


def another_number(field, row):
    """A value of `field` other than `row`'s and within the field's validators' range
    (the database checks it too: kam.bounds)."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    current = getattr(row, field.name) or 0
    low = max((v.limit_value for v in field.validators if isinstance(v, MinValueValidator)),
              default=None)
    high = min((v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)),
               default=None)
    for value in (current + 1, current - 1, low, high):
        if (value is not None and value != current and (low is None or value >= low)
                and (high is None or value <= high)):
            return value
    raise AssertionError(f"{field} has no other value")


SOURCES = sorted(DASHBOARD_SOURCES, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", SOURCES, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("write", ["save", "delete", "update", "bulk_update", "bulk_create"])
def test_every_write_to_a_source_invalidates(tenant, in_tenant, cached, model, write,
                                             django_capture_on_commit_callbacks):
    from tests.factories import CustomerFactory

    CustomerFactory(tenant=tenant)  # so that a tenant-wide write has a health to mark
    row = factory_for(model)(tenant=tenant)
    name, new_value = a_field_to_change(model)
    if write in ("update", "bulk_update") and name is None:
        pytest.skip(f"{model.__name__} has no plain field to change")
    if write == "bulk_create":
        # The same row inserted again in bulk: deleted first (that write is not measured).
        model.objects.filter(pk=row.pk).delete()
        row.pk = None
    before = fresh(tenant)
    customer_id = customer_of(row)

    with django_capture_on_commit_callbacks(execute=True):
        if write == "save":
            row.save()
        elif write == "delete":
            row.delete()
        elif write == "update":
            model.objects.filter(pk=row.pk).update(**{name: new_value(row)})
        elif write == "bulk_update":
            setattr(row, name, new_value(row))
            model.objects.bulk_update([row], [name])
        else:
            model.objects.bulk_create([row])
    customer_id = customer_id or customer_of(row)

    if model is Customer and write == "delete":  # its health went with it
        assert not AccountHealth.objects.filter(customer_id=customer_id).exists()
        assert version(tenant) != before
    else:
        assert_invalidated(tenant, before, customer_id, model)


# --- the bulk paths users meet -----------------------------------------------------------

def test_saving_the_service_standards_page_invalidates(client, tenant, in_tenant, cached,
                                                       django_capture_on_commit_callbacks):
    from tests.factories import MembershipFactory

    build_portfolio(tenant, size=2)
    before = fresh(tenant)
    client.force_login(MembershipFactory(tenant=tenant, role="admin").user)
    current = {(s.tier, s.kind): s.max_days for s in ServiceStandard.objects.all()}
    data = {f"{tier}__{kind}": days for (tier, kind), days in current.items()}
    data["A__executive_visit"] = 30

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scoring_standards"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert ServiceStandard.objects.get(tier="A", kind="executive_visit").max_days == 30
    assert AccountHealth.objects.filter(stale=True).count() == Customer.objects.count()
    assert version(tenant) != before


def test_a_customer_import_invalidates(tenant, in_tenant, cached,
                                       django_capture_on_commit_callbacks):
    from customers import importing

    portfolio = build_portfolio(tenant, size=2)
    before = fresh(tenant)
    target = portfolio.customers[0]

    with django_capture_on_commit_callbacks(execute=True):
        result = importing.upsert_customers(tenant, [
            {"code": target.code, "name": "Renamed Motors", "is_active": "no"}])

    assert not result.errors, result.errors
    assert AccountHealth.objects.get(customer=target).stale
    assert not AccountHealth.objects.get(customer=portfolio.customers[1]).stale
    assert version(tenant) != before


def test_the_api_bulk_figures_invalidate(tenant, cached, bearer_client,
                                         django_capture_on_commit_callbacks):
    import json

    from tests.factories import MembershipFactory

    with tenant_context(tenant):
        portfolio = build_portfolio(tenant, size=2)
        before = fresh(tenant)
    client = bearer_client(MembershipFactory(tenant=tenant, role="admin"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/customer-figures/bulk/", json.dumps([{
            "customer_code": portfolio.customers[1].code, "period": "2026Q1",
            "revenue": "12.50", "on_time_delivery": "81"}]),
            content_type="application/json")

    assert response.status_code in (200, 201), response.content
    with tenant_context(tenant):
        assert AccountHealth.objects.get(customer=portfolio.customers[1]).stale
        assert not AccountHealth.objects.get(customer=portfolio.customers[0]).stale
    assert version(tenant) != before
