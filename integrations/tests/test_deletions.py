"""Tombstones: deletes of API resources (single, cascaded, bulk) are listed by
`GET /api/v1/deletions/`, per tenant, filtered by `since` and `resource`, and purged after
the retention by the `integrations-cleanup` job."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from customers.models import Contact
from integrations import cleanup
from integrations.deletions import Deletion, resource_names
from jobs.services import RunLog
from kam.tenancy import tenant_context
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PeriodFigureFactory,
)

API = "/api/v1"



def listed(client, **params):
    response = client.get(f"{API}/deletions/", {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return {(row["resource"], row["object_id"]) for row in response.json()["results"]}


def test_deleting_a_customer_lists_it_and_its_cascaded_rows(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant, code="CJA")
        contact = ContactFactory(tenant=tenant, customer=customer, external_id="crm-7")
        figure = PeriodFigureFactory(tenant=tenant, customer=customer)
        kept = CustomerFactory(tenant=tenant)
    client = api("admin")

    assert client.delete(f"{API}/customers/{customer.pk}/").status_code == 204

    rows = client.get(f"{API}/deletions/").json()["results"]
    assert {(row["resource"], row["object_id"]) for row in rows} == {
        ("customers", customer.pk), ("contacts", contact.pk), ("customer-figures", figure.pk)}
    by_resource = {row["resource"]: row for row in rows}
    assert by_resource["customers"]["code"] == "CJA"
    assert by_resource["contacts"]["external_id"] == "crm-7"
    assert ("customers", kept.pk) not in listed(client)
    assert listed(client, resource="contacts") == {("contacts", contact.pk)}


def test_a_bulk_delete_leaves_a_tombstone_per_row(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        contacts = ContactFactory.create_batch(3, tenant=tenant, customer=customer)
        Contact.objects.filter(customer=customer).delete()

    assert listed(api("viewer")) == {("contacts", contact.pk) for contact in contacts}


def test_another_tenants_deletions_never_appear(tenant, other_tenant, api):
    with tenant_context(other_tenant):
        CustomerFactory(tenant=other_tenant, code="CJA").delete()
    with tenant_context(tenant):
        mine = CustomerFactory(tenant=tenant, code="CJA")
        mine_pk = mine.pk
        mine.delete()

    assert listed(api("viewer")) == {("customers", mine_pk)}


def test_since_keeps_later_deletions_and_unknown_input_is_a_400(tenant, api):
    with tenant_context(tenant):
        old, new = CustomerFactory.create_batch(2, tenant=tenant)
        old_pk, new_pk = old.pk, new.pk
        old.delete()
        new.delete()
        Deletion.objects.filter(object_id=old_pk).update(
            deleted_at=datetime(2026, 1, 1, tzinfo=UTC))
    client = api("viewer")

    assert listed(client, since="2026-01-02T00:00:00Z") == {("customers", new_pk)}
    assert listed(client, since="2026-01-01T00:00:00") == {("customers", old_pk),
                                                            ("customers", new_pk)}
    response = client.get(f"{API}/deletions/", {"resource": "spaceships"})
    assert response.status_code == 400 and "resource" in response.json()
    response = client.get(f"{API}/deletions/", {"since": "last week"})
    assert response.status_code == 400 and "since" in response.json()


def test_every_resource_of_the_router_is_known():
    names = resource_names()

    assert {"customers", "contacts", "customer-figures", "programmes", "milestones",
            "opl-items", "tier-assessments"} <= set(names)
    assert "deletions" not in names


def test_the_cleanup_job_purges_old_tombstones_twice_safely(tenant):
    with tenant_context(tenant):
        old, new = CustomerFactory.create_batch(2, tenant=tenant)
        old_pk, new_pk = old.pk, new.pk
        old.delete()
        new.delete()
        Deletion.objects.filter(object_id=old_pk).update(
            deleted_at=timezone.now() - timedelta(days=91))
        day = tenant.today()

        first, second = RunLog(), RunLog()
        cleanup.run(tenant, day, first)
        cleanup.run(tenant, day, second)

        assert first.counts["tombstones_deleted"] == 1
        assert second.counts["tombstones_deleted"] == 0
        assert list(Deletion.objects.values_list("object_id", flat=True)) == [new_pk]


def test_deleting_a_tenant_writes_no_tombstones(tenant):
    from kam.tenancy import cross_tenant

    with tenant_context(tenant):
        CustomerFactory(tenant=tenant)
    with cross_tenant():
        tenant.delete()
        assert not Deletion.objects.exists()


def test_deletions_list_runs_a_bounded_number_of_queries(tenant, api,
                                                         django_assert_max_num_queries):
    with tenant_context(tenant):
        for customer in CustomerFactory.create_batch(20, tenant=tenant):
            customer.delete()
    client = api("viewer")

    with django_assert_max_num_queries(6):
        assert len(listed(client)) == 20


def test_the_cleanup_job_purges_finished_webhook_deliveries_past_their_retention(tenant):
    from integrations.tests.webhook_factories import WebhookDeliveryFactory
    from integrations.webhooks import WebhookDelivery

    with tenant_context(tenant):
        old_done = WebhookDeliveryFactory(tenant=tenant, status="delivered")
        old_waiting = WebhookDeliveryFactory(tenant=tenant, status="pending")
        recent_done = WebhookDeliveryFactory(tenant=tenant, status="failed")
        WebhookDelivery.objects.filter(pk__in=[old_done.pk, old_waiting.pk]).update(
            created_at=timezone.now() - timedelta(days=31))

        first, second = RunLog(), RunLog()
        cleanup.run(tenant, tenant.today(), first)
        cleanup.run(tenant, tenant.today(), second)

        assert first.counts["webhook_deliveries_deleted"] == 1
        assert second.counts["webhook_deliveries_deleted"] == 0
        # Still waiting to be sent or replayed: kept, however old.
        assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {
            old_waiting.pk, recent_done.pk}
