"""The history of changes of customers, contacts and figures (records.history): who,
when, from where, field, old → new, from every way rows change; in bulk without a query
per row; per tenant; kept for the tenant's retention."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import scoring, services
from customers.models import Customer, PeriodFigure
from customers.tests.test_import import FIGURES_HEADER, commit, csv_file, job_of, upload
from customers.tests.test_views import customer_data
from jobs import services as job_services
from kam.tenancy import tenant_context
from records import history
from records.models import RecordSettings
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    MembershipFactory,
    PeriodFigureFactory,
    UserFactory,
)

API = "/api/v1"


def rows_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def changed(rows, field):
    return [row for row in rows if row["field"] == field]


def test_an_api_change_names_the_token_field_old_and_new(tenant, api):
    client = api("admin")
    customer = CustomerFactory(tenant=tenant, name="Great Wall")
    response = client.patch(f"{API}/customers/{customer.pk}/", json.dumps({"name": "GWM"}),
                            content_type="application/json")
    assert response.status_code == 200, response.content

    rows = rows_of(client, f"{API}/customers/{customer.pk}/history/")
    [row] = changed(rows, "name")
    assert (row["old"], row["new"], row["source"], row["change"]) == (
        "Great Wall", "GWM", "api", "changed")
    assert row["actor"] == {"kind": "token", "id": client.api_token.pk, "name": "test token"}
    assert rows[0] == row  # newest first; the factory's creation comes last
    assert rows[-1]["change"] == "created"


def test_a_page_change_names_the_user_and_shows_on_the_customer_page(
        client, tenant, in_tenant):
    user = UserFactory(full_name="Ada Lovelace")
    MembershipFactory(tenant=tenant, role="admin", user=user)
    client.force_login(user)
    customer = CustomerFactory(tenant=tenant, code="GRP", name="Group", tier="C")
    response = client.post(reverse("customer_edit", args=[customer.pk]),
                           customer_data(code="GRP", name="Group renamed"))
    assert response.status_code == 302

    [change] = [c for c in history.field_changes(customer) if c.field == "name"]
    assert (change.old, change.new, change.source) == ("Group", "Group renamed", "page")
    assert (change.actor_kind, change.actor_id, change.actor_name) == (
        "user", user.pk, "Ada Lovelace")
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    panel = page[page.index('id="panel-record-history"'):]
    panel = panel[:panel.index("</section>")]
    assert "Ada Lovelace" in panel and ">Group<" in panel and ">Group renamed<" in panel


def test_an_import_records_each_figure_with_the_import_and_its_uploader(
        admin_client, admin_membership, tenant, customers, run_tasks):
    with tenant_context(tenant):
        figure = PeriodFigureFactory(tenant=tenant, customer=customers[0], period="2026Q1",
                                     revenue=100)
    pk, _page = upload(admin_client, run_tasks, "figures", csv_file(
        f"{FIGURES_HEADER}\nOEM-1,2026Q1,250,1,1,1\nOEM-2,2026Q1,300,1,1,1"))
    commit(admin_client, run_tasks, pk)
    assert job_of(tenant, pk).status == "done"

    with tenant_context(tenant):
        [change] = [c for c in history.field_changes(figure) if c.field == "revenue"]
        new = PeriodFigure.objects.get(customer=customers[1])
        [created] = history.field_changes(new)
    assert (change.old, change.new, change.source, change.reference) == (
        "100", "250", "import", str(pk))
    assert change.actor_id == admin_membership.user_id
    assert change.source_label == f"import {pk}"
    assert (created.change, created.source, created.reference) == ("created", "import", str(pk))


@pytest.mark.parametrize("n", [3, 30])
def test_bulk_figures_record_one_row_each_without_a_query_per_row(
        tenant, in_tenant, n, django_assert_max_num_queries):
    customers = [CustomerFactory(tenant=tenant, code=f"B{i}") for i in range(n)]
    for customer in customers:
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1", revenue=1)
    rows = [{"customer_code": c.code, "period": period, "revenue": "7"}
            for c in customers for period in ("2026Q1", "2026Q2")]
    before = PeriodFigure.history.count()
    # The same statements for 3 and for 30 customers: none per row.
    with django_assert_max_num_queries(20):
        result = services.upsert_figures(tenant, rows=rows)
    assert (result.created, result.updated, result.errors) == (n, n, [])
    assert PeriodFigure.history.count() == before + 2 * n
    figure = PeriodFigure.objects.get(customer=customers[0], period="2026Q1")
    assert [(c.old, c.new) for c in history.field_changes(figure) if c.field == "revenue"] \
        == [("1", "7")]


def test_the_nightly_rescoring_records_the_tier_changes_as_the_job(tenant):
    with tenant_context(tenant):
        top = CustomerFactory(tenant=tenant, code="TOP", tier="C")
        for n, customer in enumerate([top, *(CustomerFactory(tenant=tenant, tier="C")
                                             for _ in range(9))]):
            PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                                revenue=(10 - n) * 1_000_000)
    with tenant_context(tenant):
        job_services.run("rescoring", tenant=tenant, day=date(2026, 5, 14))

    with tenant_context(tenant):
        [change] = [c for c in history.field_changes(top) if c.field == "tier"]
        # Each customer's first score, in one row each.
        assert Customer.history.filter(history_source="job").count() == 10
    assert (change.old, change.new, change.source, change.reference) == (
        "C", "A", "job", "rescoring")
    assert change.actor_kind == "system"


def test_scoring_records_its_set_based_update_without_a_query_per_customer(
        tenant, in_tenant, django_assert_max_num_queries):
    for n in range(40):
        customer = CustomerFactory(tenant=tenant, tier="C")
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                            revenue=(n + 1) * 1000)
    before = Customer.history.count()
    with django_assert_max_num_queries(40):
        scoring.run_scoring(tenant, as_of="2026Q1")
    # Every customer got its first score (some a new tier too): one row each.
    assert Customer.history.count() == before + 40
    customer = Customer.objects.exclude(tier="C").first()
    assert {c.field for c in history.field_changes(customer)} >= {"tier", "score"}
    # A re-run changes nobody, so records nothing.
    scoring.run_scoring(tenant, as_of="2026Q1")
    assert Customer.history.count() == before + 40


def test_another_tenants_history_is_404_and_never_listed(tenant, other_tenant, api):
    client = api("admin")
    with tenant_context(other_tenant):
        theirs = CustomerFactory(tenant=other_tenant)
        contact = ContactFactory(tenant=other_tenant, customer=theirs)
        contact.name = "Changed"
        contact.save()
    assert client.get(f"{API}/customers/{theirs.pk}/history/").status_code == 404
    assert client.get(f"{API}/contacts/{contact.pk}/history/").status_code == 404
    with tenant_context(tenant):
        assert history.field_changes(contact) == []


def test_contacts_and_figures_serve_their_history(tenant, api):
    client = api("admin")
    contact = ContactFactory(tenant=tenant, name="Old")
    figure = PeriodFigureFactory(tenant=tenant, revenue=5)
    with tenant_context(tenant):
        contact.name = "New"
        contact.save()
        figure.revenue = 6
        figure.save()
    [row] = changed(rows_of(client, f"{API}/contacts/{contact.pk}/history/"),
                    "name")
    assert (row["old"], row["new"], row["source"]) == ("Old", "New", "system")
    [row] = changed(rows_of(client, f"{API}/customer-figures/{figure.pk}/history/"),
                    "revenue")
    assert (row["old"], row["new"]) == ("5", "6")


def test_retention_deletes_only_what_is_older_than_the_tenants_setting_twice_safely(
        tenant, other_tenant):
    with tenant_context(tenant):
        RecordSettings.objects.create(tenant=tenant, history_retention_days=365)
        customer = CustomerFactory(tenant=tenant)
        customer.name = "Renamed"
        customer.save()
        Customer.history.filter(id=customer.pk, history_type="+").update(
            history_date=timezone.now() - timedelta(days=400))
    with tenant_context(other_tenant):
        theirs = CustomerFactory(tenant=other_tenant)
        Customer.history.filter(id=theirs.pk).update(
            history_date=timezone.now() - timedelta(days=400))

    with tenant_context(tenant):
        first = job_services.run("history-retention", tenant=tenant)
        second = job_services.run("history-retention", tenant=tenant)

    assert (first.counts, second.counts.get("deleted", 0)) == ({"deleted": 1}, 0)
    with tenant_context(tenant):
        assert list(Customer.history.filter(id=customer.pk).values_list(
            "history_type", flat=True)) == ["~"]
    with tenant_context(other_tenant):  # the default keeps ten years
        assert Customer.history.filter(id=theirs.pk).count() == 1
