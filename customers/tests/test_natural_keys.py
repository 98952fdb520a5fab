"""Natural keys: customers and programmes by code (filter exact ignoring case, read and
upsert by code), contacts and figures by external id (unique per tenant when given)."""

import json

import pytest

from customers.models import Contact, Customer, PeriodFigure
from kam.tenancy import tenant_context
from projects.models import Programme
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PeriodFigureFactory,
    ProgrammeFactory,
)

API = "/api/v1"



def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_code_filter_is_exact_and_ignores_case(tenant, other_tenant, api):
    with tenant_context(other_tenant):
        CustomerFactory(tenant=other_tenant, code="CJA")
    with tenant_context(tenant):
        cja = CustomerFactory(tenant=tenant, code="CJA")
        CustomerFactory(tenant=tenant, code="CJA2")
        programme = ProgrammeFactory(tenant=tenant, customer=cja, code="IP-01")
        ProgrammeFactory(tenant=tenant, customer=cja, code="IP-011")
    client = api("viewer")

    assert ids(client.get(f"{API}/customers/?code=cja")) == [cja.pk]
    assert ids(client.get(f"{API}/customers/", {"code": " CJA "})) == [cja.pk]
    assert ids(client.get(f"{API}/customers/?code=CJ")) == []
    assert ids(client.get(f"{API}/programmes/?code=ip-01")) == [programme.pk]


@pytest.mark.parametrize("code", ["", "x" * 31, "a\x00b"])
def test_a_code_no_row_can_have_is_a_400(tenant, api, code):
    response = api("viewer").get(f"{API}/customers/", {"code": code})

    assert response.status_code == 400 and "code" in response.json()


def test_put_by_code_creates_then_updates(tenant, api):
    client = api("admin")

    created = put(client, f"{API}/customers/by-code/CJA/", {"name": "Chang Jiang"})
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "CJA"

    updated = put(client, f"{API}/customers/by-code/cja/",
                  {"name": "Chang Jiang Auto", "city": "Wuhan"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["id"] == created.json()["id"]
    with tenant_context(tenant):
        customer = Customer.objects.get()
    assert (customer.code, customer.name, customer.city) == ("CJA", "Chang Jiang Auto", "Wuhan")

    read = client.get(f"{API}/customers/by-code/Cja/")
    assert read.status_code == 200 and read.json()["id"] == customer.pk
    assert client.get(f"{API}/customers/by-code/NOPE/").status_code == 404


def test_put_by_code_validates_like_create(tenant, api):
    client = api("admin")

    response = put(client, f"{API}/customers/by-code/CJA/", {"code": "GWM", "name": "X"})
    assert response.status_code == 400 and "code" in response.json()
    response = put(client, f"{API}/customers/by-code/CJA/", {"name": ""})
    assert response.status_code == 400 and "name" in response.json()
    with tenant_context(tenant):
        assert not Customer.objects.exists()


def test_put_by_code_follows_the_roles_and_the_team(tenant, api):
    with tenant_context(tenant):
        CustomerFactory(tenant=tenant, code="CJA", name="Chang Jiang")

    assert put(api("viewer"), f"{API}/customers/by-code/CJA/",
               {"name": "Renamed"}).status_code == 403
    # A manager edits only the accounts of their team.
    assert put(api("manager"), f"{API}/customers/by-code/CJA/",
               {"name": "Renamed"}).status_code == 403
    with tenant_context(tenant):
        assert Customer.objects.get().name == "Chang Jiang"


def test_another_tenants_code_is_not_found_and_not_overwritten(tenant, other_tenant, api):
    with tenant_context(other_tenant):
        CustomerFactory(tenant=other_tenant, code="CJA", name="Theirs")
    client = api("admin")

    assert client.get(f"{API}/customers/by-code/CJA/").status_code == 404
    assert put(client, f"{API}/customers/by-code/CJA/", {"name": "Ours"}).status_code == 201
    with tenant_context(other_tenant):
        assert Customer.objects.get().name == "Theirs"


def test_put_programme_by_code(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
    client = api("admin")
    body = {"customer": customer.pk, "name": "Instrument panel", "sop_date": "2027-06-01",
            "nomination_date": "2025-03-01", "stage": "development"}

    created = put(client, f"{API}/programmes/by-code/IP-01/", body)
    assert created.status_code == 201, created.content
    updated = put(client, f"{API}/programmes/by-code/ip-01/", {**body, "name": "Door panel"})
    assert updated.status_code == 200, updated.content
    with tenant_context(tenant):
        assert list(Programme.objects.values_list("code", "name")) == [("IP-01", "Door panel")]


def test_external_ids_filter_upsert_and_stay_unique(tenant, other_tenant, api):
    with tenant_context(other_tenant):
        ContactFactory(tenant=other_tenant, external_id="crm-1")
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        contact = ContactFactory(tenant=tenant, customer=customer, external_id="crm-1")
        ContactFactory(tenant=tenant, customer=customer, external_id="CRM-1")
    client = api("admin")

    assert ids(client.get(f"{API}/contacts/?external_id=crm-1")) == [contact.pk]

    body = {"customer": customer.pk, "name": "Li Wei", "department": "purchasing",
            "level": "executive"}
    created = put(client, f"{API}/contacts/by-external-id/crm-2/", body)
    assert created.status_code == 201, created.content
    assert created.json()["external_id"] == "crm-2"
    updated = put(client, f"{API}/contacts/by-external-id/crm-2/", {**body, "name": "Li Wei Jr"})
    assert (updated.status_code, updated.json()["id"]) == (200, created.json()["id"])

    taken = client.patch(f"{API}/contacts/{created.json()['id']}/",
                         json.dumps({"external_id": "crm-1"}), content_type="application/json")
    assert taken.status_code == 400 and "external_id" in taken.json()
    with tenant_context(tenant):
        assert Contact.objects.filter(external_id="crm-2").count() == 1


def test_figures_by_external_id(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        figure = PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                                     external_id="erp-2026q1")
    client = api("admin")

    assert ids(client.get(f"{API}/customer-figures/?external_id=erp-2026q1")) == [figure.pk]
    response = put(client, f"{API}/customer-figures/by-external-id/erp-2026q2/",
                   {"customer": customer.pk, "period": "2026Q2", "revenue": "1000.00"})
    assert response.status_code == 201, response.content
    with tenant_context(tenant):
        assert PeriodFigure.objects.get(external_id="erp-2026q2").period == "2026Q2"


def test_blank_external_ids_do_not_collide(tenant):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        ContactFactory.create_batch(2, tenant=tenant, customer=customer, external_id="")

        assert Contact.objects.filter(external_id="").count() == 2


def test_bulk_figures_and_their_import_take_external_ids(tenant, api):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant, code="OEM")
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2025Q4",
                            external_id="erp-taken")
        kept = PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q1",
                                   external_id="erp-q1")
    client = api("admin")
    url = f"{API}/customer-figures/bulk/"

    refused = client.post(url, json.dumps([
        {"customer_code": "OEM", "period": "2026Q2", "revenue": 1, "external_id": "erp-q2"},
        {"customer_code": "OEM", "period": "2026Q3", "revenue": 1, "external_id": "erp-q2"},
        {"customer_code": "OEM", "period": "2026Q4", "revenue": 1, "external_id": "erp-taken"},
    ]), content_type="application/json")
    assert refused.status_code == 400, refused.content
    assert {(e["row"], e["field"]) for e in refused.json()["errors"]} == {
        (2, "external_id"), (3, "external_id")}

    accepted = client.post(url, json.dumps([
        {"customer_code": "OEM", "period": "2026Q1", "revenue": 5},  # keeps its external id
        {"customer_code": "OEM", "period": "2026Q2", "revenue": 1, "external_id": "erp-q2"},
    ]), content_type="application/json")
    assert accepted.status_code == 200, accepted.content
    with tenant_context(tenant):
        assert PeriodFigure.objects.get(pk=kept.pk).external_id == "erp-q1"
        assert PeriodFigure.objects.get(period="2026Q2").external_id == "erp-q2"
