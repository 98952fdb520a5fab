"""Incremental sync: every tenant-owned row has `updated_at`, moved by every write path
(save, partial save, update(), bulk_update, upserts, the scoring run's SQL); every API list
shows it and filters by `?updated_since=`, ordered by (updated_at, id)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from customers import scoring
from customers.models import Contact, Customer, PeriodFigure
from kam.tenancy import tenant_context
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PeriodFigureFactory,
)

API = "/api/v1"



def set_updated(model, pks, when):
    # Through the plain QuerySet, which does not move updated_at itself.
    from django.db.models import QuerySet

    QuerySet(model).filter(pk__in=pks).update(updated_at=when)


def test_updated_since_lists_changed_rows_in_sync_order(tenant, api):
    old = datetime(2026, 1, 1, tzinfo=UTC)
    with tenant_context(tenant):
        customers = CustomerFactory.create_batch(4, tenant=tenant)
        set_updated(Customer, [c.pk for c in customers], old)
        # Two changes after the client's last sync, the later one first by id.
        set_updated(Customer, [customers[0].pk], old + timedelta(days=2))
        set_updated(Customer, [customers[3].pk], old + timedelta(days=1))
    client = api("viewer")

    response = client.get(f"{API}/customers/?updated_since=2026-01-01T12:00:00Z&ordering=name")

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [customers[3].pk, customers[0].pk]
    assert rows[0]["updated_at"].startswith("2026-01-02")
    # Inclusive: asking from the last updated_at seen gives that row again.
    response = client.get(f"{API}/customers/", {"updated_since": rows[-1]["updated_at"]})
    assert [row["id"] for row in response.json()["results"]] == [customers[0].pk]


def test_a_datetime_without_time_zone_is_read_as_utc(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        set_updated(Customer, [customer.pk], datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    client = api("viewer")

    def ids(since):
        response = client.get(f"{API}/customers/", {"updated_since": since})
        return [row["id"] for row in response.json()["results"]]

    assert ids("2026-03-01T10:00:00") == [customer.pk]
    assert ids("2026-03-01T10:00:01") == []
    assert ids("2026-03-01T11:30:00+02:00") == [customer.pk]  # 09:30 UTC


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-02-30", ""])
def test_a_bad_updated_since_is_a_400_naming_it(tenant, api, value):
    response = api("viewer").get(f"{API}/contacts/", {"updated_since": value})

    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_updated_since_never_shows_another_tenants_rows(tenant, other_tenant, api):
    with tenant_context(other_tenant):
        ContactFactory(tenant=other_tenant)
    with tenant_context(tenant):
        mine = ContactFactory(tenant=tenant)

    response = api("viewer").get(f"{API}/contacts/?updated_since=2000-01-01T00:00:00Z")

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


@pytest.mark.parametrize("rows", [3, 30])
def test_a_synced_list_runs_a_bounded_number_of_queries(tenant, api, rows,
                                                         django_assert_max_num_queries):
    with tenant_context(tenant):
        for customer in CustomerFactory.create_batch(rows, tenant=tenant):
            PeriodFigureFactory(tenant=tenant, customer=customer)
    client = api("viewer")

    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/customer-figures/?updated_since=2000-01-01T00:00:00Z")

    assert response.json()["count"] == rows


def test_every_api_list_documents_updated_since_and_shows_updated_at(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    missing = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get or "{" in path or path == "/api/v1/deletions/":  # deletions: `since`
            continue
        page = get["responses"]["200"]["content"]["application/json"]["schema"]
        page = components.get(page.get("$ref", "").rsplit("/", 1)[-1], page)
        results = page.get("properties", {}).get("results")
        if results is None:
            continue  # not a paginated list of rows (a dashboard panel)
        item = components[results["items"]["$ref"].rsplit("/", 1)[-1]]
        if not path.startswith("/api/v1/dashboard/"):
            names = {parameter["name"] for parameter in get.get("parameters", [])}
            if "updated_since" not in names or "updated_at" not in item["properties"]:
                missing.append(path)
    assert missing == [], missing


def test_set_based_writes_move_updated_at(tenant):
    old = datetime(2026, 1, 1, tzinfo=UTC)
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        contacts = ContactFactory.create_batch(2, tenant=tenant, customer=customer)
        figure = PeriodFigureFactory(tenant=tenant, customer=customer)
        set_updated(Contact, [c.pk for c in contacts], old)
        set_updated(PeriodFigure, [figure.pk], old)
        set_updated(Customer, [customer.pk], old)

        Contact.objects.filter(pk=contacts[0].pk).update(notes="called")
        contacts[1].notes = "visited"
        Contact.objects.bulk_update([contacts[1]], ["notes"])
        figure.revenue = 5
        figure.save(update_fields=["revenue"])

        assert all(row.updated_at > old for row in Contact.objects.all())
        assert PeriodFigure.objects.get().updated_at > old
        assert Customer.objects.get().updated_at == old  # untouched rows keep theirs


def test_the_scoring_runs_sql_moves_the_customers_it_changes(tenant):
    old = datetime(2026, 1, 1, tzinfo=UTC)
    with tenant_context(tenant):
        customers = CustomerFactory.create_batch(5, tenant=tenant)
        for i, customer in enumerate(customers):
            for period in ("2026Q1", "2026Q2"):
                PeriodFigureFactory(tenant=tenant, customer=customer, period=period,
                                    revenue=1_000_000 - i * 100_000)
        set_updated(Customer, [c.pk for c in customers], old)

        run = scoring.run_scoring(tenant)

        assert run.customers_scored == 5
        tiered = Customer.objects.exclude(tier="")
        assert tiered.count() == 5
        assert all(customer.updated_at > old for customer in tiered)
        assert run.assessments.count() == 5
        assert all(assessment.updated_at > old for assessment in run.assessments.all())


def test_an_api_write_moves_updated_at(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        set_updated(Customer, [customer.pk], datetime(2026, 1, 1, tzinfo=UTC))
    before = timezone.now()

    response = api("admin").patch(f"{API}/customers/{customer.pk}/",
                                  json.dumps({"name": "Renamed"}),
                                  content_type="application/json")

    assert response.status_code == 200, response.content
    assert datetime.fromisoformat(response.json()["updated_at"]) >= before


def test_any_offset_python_reads_is_taken_and_converted_to_utc(tenant, api):
    client = api("viewer")

    # PostgreSQL refuses offsets beyond ±15:59: the filter sends UTC.
    assert client.get(f"{API}/customers/", {
        "updated_since": "2026-05-06T16:19:42.657-19:31"}).status_code == 200
    assert client.get(f"{API}/deletions/", {"since": "2026-05-06T16:19:42+17:57"}).status_code \
        == 200
    response = client.get(f"{API}/customers/", {"updated_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400 and "updated_since" in response.json()
