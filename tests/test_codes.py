"""Codes are identifiers: customer and programme codes are unique per tenant ignoring case
and surrounding spaces, in the forms, the API and the database."""

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from customers.models import Customer
from kam.tenancy import tenant_context
from projects.models import Programme
from tests.factories import CustomerFactory, MembershipFactory, ProgrammeFactory

API = "/api/v1"


@pytest.fixture
def admin(tenant):
    return MembershipFactory(tenant=tenant, role="admin")


@pytest.mark.parametrize("code", ["cja", "cjA", " CJA ", "CJA"])
def test_the_customer_form_refuses_a_code_that_differs_only_by_case(client, tenant, admin,
                                                                     code):
    with tenant_context(tenant):
        CustomerFactory(tenant=tenant, code="CJA", name="Changjiang Auto")
    client.force_login(admin.user)

    response = client.post(reverse("customer_create"), {
        "code": code, "name": "Another", "segment": "oem_passenger",
        "lifecycle_stage": "developing", "is_active": "on"})

    assert response.status_code == 200
    assert "Another customer already has the code “CJA”" in response.content.decode()
    with tenant_context(tenant):
        assert Customer.objects.count() == 1


def test_the_api_refuses_a_customer_code_that_differs_only_by_case(tenant, admin,
                                                                   bearer_client):
    with tenant_context(tenant):
        CustomerFactory(tenant=tenant, code="CJA")
    client = bearer_client(admin)

    response = client.post(f"{API}/customers/", json.dumps({"code": "cja ", "name": "X"}),
                           content_type="application/json")

    assert response.status_code == 400, response.content
    assert "CJA" in response.json()["code"][0]


def test_a_code_is_stored_without_surrounding_spaces(tenant, admin, bearer_client):
    response = bearer_client(admin).post(
        f"{API}/customers/", json.dumps({"code": "  NEW-1 ", "name": "New Motors"}),
        content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "NEW-1"


def test_another_tenant_may_use_the_same_code(tenant, other_tenant, admin, bearer_client):
    with tenant_context(other_tenant):
        CustomerFactory(tenant=other_tenant, code="cja")
    response = bearer_client(admin).post(
        f"{API}/customers/", json.dumps({"code": "CJA", "name": "Changjiang"}),
        content_type="application/json")
    assert response.status_code == 201, response.content


def test_programme_codes_ignore_case_in_the_api(tenant, admin, bearer_client):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        ProgrammeFactory(tenant=tenant, customer=customer, code="IP-01")
    response = bearer_client(admin).post(f"{API}/programmes/", json.dumps({
        "customer": customer.pk, "code": "ip-01", "name": "Door panel",
        "sop_date": "2027-06-01", "stage": "rfq"}), content_type="application/json")
    assert response.status_code == 400 and "IP-01" in response.json()["code"][0]


def test_programme_codes_ignore_case_in_the_form(client, tenant, admin):
    with tenant_context(tenant):
        customer = CustomerFactory(tenant=tenant)
        ProgrammeFactory(tenant=tenant, customer=customer, code="IP-01")
    client.force_login(admin.user)
    response = client.post(reverse("programme_create"), {
        "customer": customer.pk, "code": " Ip-01", "name": "Door panel",
        "sop_date": "2027-06-01", "stage": "rfq", "ppap_level": 3})
    assert response.status_code == 200
    assert "Another programme already has the code “IP-01”" in response.content.decode()


@pytest.mark.parametrize(("model", "factory"), [(Customer, CustomerFactory),
                                                (Programme, ProgrammeFactory)])
def test_the_database_refuses_codes_that_differ_only_by_case(tenant, model, factory):
    """The rule holds below the ORM's checks: a raw insert of the other spelling fails."""
    with tenant_context(tenant):
        row = factory(tenant=tenant, code="ABC-1")
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column not in ("id",)]
    # In the tenant: raw SQL too sees and writes only its rows (row-level security).
    with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s",  # noqa: S608
                       [row.pk])
        values = list(cursor.fetchone())
        values[columns.index("code")] = "abc-1 "
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(columns))})", values)


def test_an_import_row_names_an_existing_customer_whatever_the_case(tenant, in_tenant):
    from customers import importing

    CustomerFactory(tenant=tenant, code="CJA", name="Changjiang Auto")
    parent = CustomerFactory(tenant=tenant, code="GRP-1", name="Changjiang Group")

    result = importing.upsert_customers(tenant, [
        {"code": " cja", "name": "Changjiang Automobile", "parent_code": "grp-1"},
        {"code": "NEW-9", "name": "New Motors", "parent_code": "Cja"}])

    assert not result.errors, [e.as_dict() for e in result.errors]
    assert (result.created, result.updated) == (1, 1)
    cja = Customer.objects.get(code="CJA")
    assert cja.name == "Changjiang Automobile" and cja.parent == parent
    assert Customer.objects.get(code="NEW-9").parent == cja
    assert Customer.objects.count() == 3


def test_an_import_takes_only_account_managers_as_owners(tenant, in_tenant):
    from customers import importing

    viewer = MembershipFactory(tenant=tenant, role="viewer").user
    manager = MembershipFactory(tenant=tenant, role="manager").user

    refused = importing.upsert_customers(tenant, [
        {"code": "A-1", "name": "A", "owner_email": viewer.email}])
    taken = importing.upsert_customers(tenant, [
        {"code": "A-1", "name": "A", "owner_email": manager.email.upper()}])

    assert [e.field for e in refused.errors] == ["owner_email"]
    assert not taken.errors and Customer.objects.get(code="A-1").owner == manager
