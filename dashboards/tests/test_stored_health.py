"""The stored account health: pages and the API read it; the nightly job refreshes it;
a write to any of its parts shows on the next read; a value from an earlier day is
recomputed; the job is safe to run twice."""

from datetime import timedelta

import pytest
from django.urls import reverse

from customers import services as customer_services
from customers.models import Customer
from dashboards import derived, health
from dashboards.jobs import refresh_health
from dashboards.models import AccountHealth
from jobs.services import RunLog
from projects import services as programme_services
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    MilestoneFactory,
    OplItemFactory,
    ServiceStandardFactory,
)


def value_of(customer, tenant, today=None):
    return derived.current(Customer.objects.filter(pk=customer.pk), tenant=tenant,
                          today=today)[customer.pk].value


def stored(customer):
    return AccountHealth.objects.get(customer=customer)


def test_fresh_health_is_read_not_recomputed(tenant, in_tenant, django_assert_num_queries):
    for _ in range(5):
        OplItemFactory(tenant=tenant, customer=CustomerFactory(tenant=tenant))
    first = derived.current(Customer.objects.all(), tenant=tenant)

    with django_assert_num_queries(2):  # nothing outdated; the stored rows
        again = derived.current(Customer.objects.all(), tenant=tenant)

    assert {pk: h.value for pk, h in again.items()} == {pk: h.value for pk, h in first.items()}
    assert {pk: h.inputs for pk, h in again.items()} == {pk: h.inputs for pk, h in first.items()}


def test_the_nightly_job_stores_every_customer_and_is_safe_to_repeat(tenant, in_tenant):
    customers = [CustomerFactory(tenant=tenant) for _ in range(3)]
    OplItemFactory(tenant=tenant, customer=customers[0],
                   due_date=tenant.today() - timedelta(days=2))
    OplItemFactory(tenant=tenant, customer=customers[1])
    day = tenant.today()

    for _ in range(2):
        log = RunLog()
        refresh_health(tenant, day, log)

    assert AccountHealth.objects.count() == 3
    assert log.counts["customers"] == 3
    assert stored(customers[0]).value < stored(customers[1]).value
    assert not AccountHealth.objects.filter(stale=True).exists()


@pytest.mark.parametrize("write", ["opl_item", "contact", "milestone_slip", "milestone_delete",
                                   "figures_bulk", "tier_override"])
def test_a_write_to_a_part_shows_on_the_next_read(tenant, in_tenant, write, admin_membership):
    today = tenant.today()
    customer = CustomerFactory(tenant=tenant, tier="B")
    milestone = MilestoneFactory(tenant=tenant, programme__customer=customer,
                                 planned_date=today + timedelta(days=60))
    ServiceStandardFactory(tenant=tenant, tier="A", kind="executive_visit", max_days=90)
    # An interaction logged, so that the cadence part has data once a standard applies.
    InteractionFactory(tenant=tenant, customer=customer, kind="call", occurred_on=today)
    before = value_of(customer, tenant)
    assert not stored(customer).stale

    if write == "opl_item":
        OplItemFactory(tenant=tenant, customer=customer, due_date=today - timedelta(days=1))
    elif write == "contact":
        ContactFactory(tenant=tenant, customer=customer, department="purchasing",
                       decision_role="decision_maker", attitude=2)
    elif write == "milestone_slip":
        programme_services.update_milestone(milestone, user=admin_membership.user,
                                            reason="", forecast_date=today + timedelta(90))
    elif write == "milestone_delete":
        programme_services.remove_milestone(milestone)
    elif write == "figures_bulk":
        result = customer_services.upsert_figures(tenant, rows=[{
            "customer_code": customer.code, "period": "2026Q2", "revenue": "1000",
            "on_time_delivery": "80",
            "quality_ppm": "1000"}])
        assert not result.errors, result.errors
    elif write == "tier_override":
        customer_services.set_tier_override(
            customer, tier="A", reason="Strategic", expires_on=today + timedelta(30),
            user=admin_membership.user, role="admin")

    assert stored(customer).stale
    assert value_of(customer, tenant) != before
    assert not stored(customer).stale


def test_a_value_from_an_earlier_day_is_recomputed(tenant, in_tenant):
    today = tenant.today()
    customer = CustomerFactory(tenant=tenant)
    OplItemFactory(tenant=tenant, customer=customer, due_date=today)  # overdue tomorrow
    today_value = value_of(customer, tenant, today=today)

    tomorrow_value = value_of(customer, tenant, today=today + timedelta(days=1))

    assert tomorrow_value < today_value
    assert stored(customer).computed_on == today + timedelta(days=1)


def test_deleting_a_customer_removes_its_health(tenant, in_tenant):
    customer = CustomerFactory(tenant=tenant)
    OplItemFactory(tenant=tenant, customer=customer)
    value_of(customer, tenant)

    customer.delete()

    assert not AccountHealth.objects.exists()


def test_the_health_filter_reads_the_stored_values(client, tenant, in_tenant,
                                                   admin_membership):
    today = tenant.today()
    sound = CustomerFactory(tenant=tenant, name="Sound Motors")
    ContactFactory(tenant=tenant, customer=sound, department="purchasing",
                   decision_role="decision_maker", attitude=2)
    OplItemFactory(tenant=tenant, customer=sound, status="verified")
    failing = CustomerFactory(tenant=tenant, name="Failing Motors")
    for _ in range(5):
        OplItemFactory(tenant=tenant, customer=failing, due_date=today - timedelta(days=3))
    client.force_login(admin_membership.user)

    page = client.get(reverse("customer_list"), {"health": "at_risk"}).content.decode()

    assert "Failing Motors" in page and "Sound Motors" not in page
    assert stored(failing).value < health.WATCH_FROM
