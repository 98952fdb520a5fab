"""Every number people enter has a range the product can compute with (kam.bounds): a field
error in the forms and the API (whose schema states it), and a database check. A value
that got into the database some other way does not take the pages down."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.validators import MaxValueValidator
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.urls import reverse

from kam.tenancy import tenant_context
from tests.factories import CustomerFactory, InteractionFactory, ServiceStandardFactory

DOMAIN_APPS = ("accounts", "notifications", "jobs", "customers", "teams", "projects",
               "satisfaction", "dashboards")

# Numbers no person enters: written by the product itself (run statistics, counters,
# computed scores, values copied from a template when a survey opens), or a fixed list
# the product creates (the 18 PPAP elements).
COMPUTED = {
    ("jobs", "JobRun", "problem_count"), ("jobs", "OutboxMessage", "attempts"),
    ("notifications", "OutgoingEmail", "attempts"),
    ("customers", "Customer", "score"), ("customers", "ScoringPolicy", "version"),
    ("customers", "ScoringRun", "duration_ms"), ("customers", "ScoringRun", "customers_total"),
    ("customers", "ScoringRun", "customers_scored"), ("customers", "ScoringRun", "changes"),
    ("customers", "TierAssessment", "score"), ("customers", "TierAssessment", "rank"),
    ("customers", "TierAssessment", "revenue"),
    ("customers", "TierAssessment", "revenue_share"),
    ("customers", "ImportJob", "total_rows"), ("customers", "ImportJob", "processed_rows"),
    ("customers", "ImportJob", "created_count"), ("customers", "ImportJob", "updated_count"),
    ("customers", "ImportJob", "error_count"),
    ("dashboards", "AccountHealth", "value"), ("dashboards", "AccountHealth", "cadence_met"),
    ("dashboards", "AccountHealth", "cadence_standards"),
    ("projects", "Risk", "score"), ("projects", "PpapElement", "element"),
    ("satisfaction", "Survey", "scale_max"), ("satisfaction", "Answer", "weight"),
    ("satisfaction", "Answer", "score"), ("satisfaction", "Answer", "scale_min"),
    ("satisfaction", "Answer", "scale_max"),
}
NUMBERS = (models.IntegerField, models.DecimalField, models.FloatField)


def entered_numbers():
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            if hasattr(model, "instance_type"):  # a history (records.history): copies
                continue
            for field in model._meta.concrete_fields:
                if (isinstance(field, NUMBERS) and not field.primary_key
                        and not isinstance(field, models.ForeignKey)):
                    yield app, model, field


def checked_fields(model):
    names = set()
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            names.update(_fields_of(constraint.condition))
    return names


def _fields_of(q):
    for child in q.children:
        if isinstance(child, models.Q):
            yield from _fields_of(child)
        else:
            yield child[0].split("__", 1)[0]


@pytest.mark.parametrize("app,model,field", [
    pytest.param(app, model, field, id=f"{model.__name__}.{field.name}")
    for app, model, field in entered_numbers()
    if (app, model.__name__, field.name) not in COMPUTED])
def test_every_number_people_enter_has_an_upper_bound_in_the_model_and_the_database(
        app, model, field):
    if not field.choices:
        assert any(isinstance(v, MaxValueValidator) for v in field.validators), (
            f"{model.__name__}.{field.name} has no MaxValueValidator (kam.bounds.between)")
    assert field.name in checked_fields(model), (
        f"{model.__name__}.{field.name} has no database check (kam.bounds.check_between)")


def test_the_computed_list_names_only_fields_that_exist():
    existing = {(app, model.__name__, field.name) for app, model, field in entered_numbers()}
    assert existing >= COMPUTED, COMPUTED - existing


# --- a service standard of 3,000,000 days ---------------------------------------------------

def test_the_api_refuses_a_service_standard_beyond_ten_years(admin_api_client, tenant):
    created = admin_api_client.post("/api/v1/service-standards/", {
        "tier": "A", "kind": "call", "max_days": 3_000_000}, content_type="application/json")
    standard = ServiceStandardFactory(tenant=tenant, tier="B", kind="call", max_days=30)
    changed = admin_api_client.patch(f"/api/v1/service-standards/{standard.pk}/",
                                     {"max_days": 3_000_000}, content_type="application/json")
    ten_years = admin_api_client.post("/api/v1/service-standards/", {
        "tier": "A", "kind": "call", "max_days": 3650}, content_type="application/json")

    assert created.status_code == 400 and "max_days" in created.json(), created.content
    assert changed.status_code == 400 and "max_days" in changed.json(), changed.content
    assert ten_years.status_code == 201, ten_years.content
    with tenant_context(tenant):
        standard.refresh_from_db()
        assert standard.max_days == 30


def test_the_schema_states_the_bounds(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    max_days = components["ServiceStandard"]["properties"]["max_days"]
    payment_days = components["PeriodFigure"]["properties"]["payment_days"]

    assert (max_days["minimum"], max_days["maximum"]) == (1, 3650)
    assert (payment_days["minimum"], payment_days["maximum"]) == (0, 365)


def test_the_standards_form_refuses_a_standard_beyond_ten_years(admin_client, tenant):
    response = admin_client.post(reverse("scoring_standards"), {"A__call": "3000000"})

    assert response.status_code == 200
    assert "A__call" in response.context["form"].errors
    with tenant_context(tenant):
        from customers.models import ServiceStandard
        assert not ServiceStandard.objects.filter(tier="A", kind="call").exists()


def test_the_database_refuses_a_standard_beyond_ten_years(tenant):
    standard = ServiceStandardFactory(tenant=tenant, tier="A", kind="call", max_days=30)
    with tenant_context(tenant):
        from customers.models import ServiceStandard
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceStandard.objects.filter(pk=standard.pk).update(max_days=3_000_000)


@contextmanager
def without_check(model, name, value):
    """Let `value` past one of `model`'s checks, as an old row or another tool might have
    written it; yields the value that could be stored. The test's transaction puts the
    check back. On PostgreSQL that takes the table's owner: a role that does not own it
    stores the largest value the check allows instead."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            yield value
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
        return
    constraint = next(c for c in model._meta.constraints if c.name == name)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Rows written so far leave deferred key checks pending, which forbid an
                # ALTER TABLE in the same transaction.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with connection.schema_editor(atomic=False) as editor:
                editor.remove_constraint(model, constraint)
    except DatabaseError:
        yield max(v.limit_value for v in model._meta.get_field("max_days").validators
                  if isinstance(v, MaxValueValidator))
    else:
        yield value


@pytest.mark.parametrize("last_on", [date(2026, 11, 20), date(9999, 12, 1)],
                         ids=["recent-visit", "visit-at-the-calendars-end"])
def test_an_extreme_standard_in_the_database_does_not_take_the_pages_down(
        admin_client, admin_api_client, tenant, last_on):
    from customers.models import ServiceStandard

    customer = CustomerFactory(tenant=tenant, tier="A", name="Extreme Motors")
    InteractionFactory(tenant=tenant, customer=customer, kind="business_review",
                       occurred_on=last_on)
    standard = ServiceStandardFactory(tenant=tenant, tier="A", kind="business_review",
                                      max_days=90)
    with tenant_context(tenant), without_check(ServiceStandard, "standard_max_days_range",
                                               2**31 - 1) as extreme:
        ServiceStandard.objects.filter(pk=standard.pk).update(max_days=extreme)

    pages = {
        "customer list": admin_client.get(reverse("customer_list")),
        "account page": admin_client.get(reverse("customer_detail", args=[customer.pk])),
        "dashboard": admin_client.get(reverse("dashboard")),
        "health API": admin_api_client.get("/api/v1/dashboard/health/"),
        "accounts API": admin_api_client.get("/api/v1/dashboard/accounts/"),
    }

    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert "Extreme Motors" in pages["account page"].content.decode()


def test_cadence_never_overflows():
    from customers import cadence

    today = date(2026, 12, 4)
    last = date(9999, 12, 30)
    assert cadence.due_on(last, 2**31 - 1, today) == date.max
    assert cadence.is_overdue(today - timedelta(days=10), 2**31 - 1, today) is False
    assert cadence.is_overdue(date(2000, 1, 1), 90, today) is True
