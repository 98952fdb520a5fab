"""A foreign key never crosses tenants, however it is assigned: as an object or by id, in
a save or a bulk write (checked in one query per key field), and on PostgreSQL by the
database itself (kam.db_keys)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from customers.models import PeriodFigure
from kam import db_keys
from kam.tenancy import cross_tenant, tenant_context
from tests.factories import CustomerFactory, PeriodFigureFactory

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="the database keys are PostgreSQL's")


@pytest.fixture
def foreign_customer(other_tenant):
    with tenant_context(other_tenant):
        return CustomerFactory(tenant=other_tenant, code="THEIRS")


def test_a_save_checks_a_foreign_key_given_by_id(in_tenant, foreign_customer):
    figure = PeriodFigure(customer_id=foreign_customer.pk, period="2026Q1", revenue=1)
    with pytest.raises(ValidationError) as caught:
        figure.save()
    assert "customer" in caught.value.message_dict
    assert not PeriodFigure.objects.exists()


def test_an_id_that_does_not_exist_is_refused_too(in_tenant):
    with pytest.raises(ValidationError):
        PeriodFigure(customer_id=987654321, period="2026Q1", revenue=1).save()


def test_bulk_create_checks_every_row_in_one_query(in_tenant, foreign_customer,
                                                   django_assert_num_queries):
    mine = [CustomerFactory(tenant=in_tenant) for _ in range(30)]
    rows = [PeriodFigure(customer_id=c.pk, period="2026Q1", revenue=1) for c in mine]

    with pytest.raises(ValidationError) as caught:
        PeriodFigure.objects.bulk_create(
            [*rows, PeriodFigure(customer_id=foreign_customer.pk, period="2026Q1", revenue=1)])
    assert "customer" in caught.value.message_dict
    assert not PeriodFigure.objects.exists()

    # The customers' ids, the insert, its history and the stored health it makes stale.
    with django_assert_num_queries(4):
        PeriodFigure.objects.bulk_create(rows)
    assert PeriodFigure.objects.count() == 30


def test_bulk_update_checks_the_keys_it_writes(in_tenant, foreign_customer):
    figure = PeriodFigureFactory(tenant=in_tenant)
    figure.customer_id = foreign_customer.pk
    with pytest.raises(ValidationError):
        PeriodFigure.objects.bulk_update([figure], ["customer"])
    figure.refresh_from_db()
    assert figure.customer.tenant_id == in_tenant.pk


@postgres_only
def test_every_tenant_foreign_key_has_its_database_twin(db):
    with connection.cursor() as cursor:
        existing = db_keys._existing_keys(cursor)
    missing = [key for key in db_keys.tenant_foreign_keys() if key not in existing]
    assert not missing, missing
    assert db_keys.ensure_tenant_keys() == 0  # idempotent


@postgres_only
def test_the_database_refuses_another_tenants_row_below_the_orm(in_tenant, foreign_customer):
    table = PeriodFigure._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, customer_id, period, revenue, updated_at) "  # noqa: S608
            "VALUES (%s, %s, '2026Q1', 1, now())", [in_tenant.pk, foreign_customer.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with cross_tenant():
        assert not PeriodFigure.objects.filter(customer=foreign_customer).exists()
