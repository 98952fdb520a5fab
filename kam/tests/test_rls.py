"""The database's tenant wall (PostgreSQL): row-level security forced on every
tenant-owned table (kam.db_rls), the tenant sent with every statement and gone when it
ends, the audited cross-tenant path, and the application's role owning nothing
(kam.db_roles). Raw SQL stands for any query the ORM's scoping would not see."""

import logging
import os

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Contact, Customer
from kam import db_rls, db_roles
from kam.tenancy import TenantOwnedModel, cross_tenant, tenant_context
from notifications.tasks import purge_old_notifications
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-level security is PostgreSQL's; on SQLite the ORM's scoping stands alone")

CUSTOMERS = Customer._meta.db_table
CONTACTS = Contact._meta.db_table
# Tables with a tenant_id that are not tenant data, each for a reason: the outbox holds
# tasks to publish, drained across tenants by design (jobs.outbox).
NOT_TENANT_OWNED = {"jobs_outboxmessage"}


@pytest.fixture
def two_tenants(tenant, other_tenant):
    """(mine, theirs): a customer with a contact in `tenant` and one in `other_tenant`."""
    with tenant_context(tenant):
        mine = CustomerFactory(tenant=tenant, code="MINE")
        ContactFactory(tenant=tenant, customer=mine)
    with tenant_context(other_tenant):
        theirs = CustomerFactory(tenant=other_tenant, code="THEIRS")
        ContactFactory(tenant=other_tenant, customer=theirs)
    return mine, theirs


def sql(statement, params=None):
    """Run raw SQL through Django's connection: (rows or None, rowcount)."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall() if cursor.description else None
        return rows, cursor.rowcount


def refused(statement, params=None):
    """True if the database refuses the statement (its savepoint is rolled back)."""
    try:
        with transaction.atomic():
            sql(statement, params)
            sql("SET CONSTRAINTS ALL IMMEDIATE")  # the tenant keys are deferred
    except DatabaseError:
        return True
    return False


def names():
    with cross_tenant():
        return dict(Customer.objects.values_list("code", "name"))


def insert_copy(model, pk, **values):
    """(sql, params): a raw INSERT of a copy of row `pk` of `model`, with `values`."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    with cross_tenant():
        row = list(sql(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s",  # noqa: S608
                       [pk])[0][0])
    for column, value in values.items():
        row[columns.index(column)] = value
    return (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))})", row)


# --- the policies --------------------------------------------------------------------


def test_every_tenant_owned_table_has_row_security_forced_with_the_policy(db):
    tables = db_rls.tenant_tables()
    # and the histories of those models (records.history), which copy their tenant_id.
    models = {model._meta.db_table for model in apps.get_models()
              if issubclass(model, TenantOwnedModel)
              or issubclass(getattr(model, "instance_type", type), TenantOwnedModel)}
    assert tables == sorted(models) and len(tables) > 40
    assert "customers_historicalcustomer" in tables
    rows, _ = sql("""
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, p.policyname, p.cmd,
               p.roles::text[], p.qual, p.with_check
        FROM pg_class c LEFT JOIN pg_policies p ON p.tablename = c.relname
        WHERE c.relname = ANY(%s)
    """, [tables])
    policy = ("((tenant_id = ( SELECT (NULLIF(current_setting('kam.tenant_id'::text, true), "
              "''::text))::bigint AS \"nullif\")) OR ( SELECT "
              "(current_setting('kam.cross_tenant'::text, true) = 'on'::text)))")
    found = {row[0]: row[1:] for row in rows}
    assert sorted(found) == tables
    for table, state in found.items():
        # Enabled, forced (the owner too), one policy for every command, reads and writes
        # alike, comparing the bare column (its indexes serve it) to the cast setting.
        assert state == (True, True, db_rls.POLICY, "ALL", ["public"], policy, policy), table
    assert db_rls.ensure_row_security() == 0  # idempotent


def test_the_policy_reads_its_settings_once_per_statement_not_per_row(tenant, two_tenants):
    # Scalar sub-selects are InitPlans: evaluated once, the rows compared with a constant
    # (the cost of the wall stays within 1.1 x of none: make bench-rls).
    with tenant_context(tenant):
        plan = "\n".join(row[0] for row in sql(f"EXPLAIN SELECT * FROM {CUSTOMERS}")[0])  # noqa: S608
    assert plan.count("InitPlan") == 2, plan
    assert "current_setting" not in plan.split("InitPlan")[0], plan


def test_every_table_with_a_tenant_column_is_tenant_owned_or_named(db):
    rows, _ = sql("""
        SELECT table_name FROM information_schema.columns
        WHERE column_name = 'tenant_id' AND table_schema = current_schema()
    """)
    assert {name for (name,) in rows} == set(db_rls.tenant_tables()) | NOT_TENANT_OWNED


# --- raw SQL against the policies ----------------------------------------------------


def test_with_no_tenant_raw_sql_reads_nothing_and_writes_nothing(two_tenants):
    mine, theirs = two_tenants
    assert sql(f"SELECT count(*) FROM {CUSTOMERS}")[0] == [(0,)]  # noqa: S608
    assert sql(f"SELECT count(*) FROM {CONTACTS}")[0] == [(0,)]  # noqa: S608
    assert sql(f"UPDATE {CUSTOMERS} SET name = 'Changed'")[1] == 0  # noqa: S608
    assert sql(f"DELETE FROM {CONTACTS}")[1] == 0  # noqa: S608
    assert refused(*insert_copy(Customer, mine.pk, code="RAW"))
    assert names() == {"MINE": mine.name, "THEIRS": theirs.name}
    with cross_tenant():
        assert Contact.objects.count() == 2


def test_in_one_tenant_raw_sql_cannot_see_or_change_another(tenant, two_tenants):
    mine, theirs = two_tenants
    with tenant_context(tenant):
        assert sql(f"SELECT code FROM {CUSTOMERS}")[0] == [("MINE",)]  # noqa: S608
        assert sql(f"SELECT count(*) FROM {CUSTOMERS} WHERE id = %s",  # noqa: S608
                   [theirs.pk])[0] == [(0,)]
        assert sql(f"UPDATE {CUSTOMERS} SET name = 'Taken' WHERE id = %s",  # noqa: S608
                   [theirs.pk])[1] == 0
        assert sql(f"DELETE FROM {CONTACTS} WHERE tenant_id = %s",  # noqa: S608
                   [theirs.tenant_id])[1] == 0
        # Neither a row written for the other tenant nor one given away to it.
        assert refused(*insert_copy(Customer, mine.pk, code="RAW", tenant_id=theirs.tenant_id))
        assert refused(f"UPDATE {CUSTOMERS} SET tenant_id = %s WHERE id = %s",  # noqa: S608
                       [theirs.tenant_id, mine.pk])
        # Its own rows it may change.
        assert sql(f"UPDATE {CUSTOMERS} SET name = 'Mine' WHERE id = %s",  # noqa: S608
                   [mine.pk])[1] == 1
    assert names() == {"MINE": "Mine", "THEIRS": theirs.name}


def test_a_raw_update_to_another_tenants_parent_fails(tenant, two_tenants):
    """Row security lets the contact be updated (it stays in its tenant); the composite
    tenant key (kam.db_keys) refuses the parent of another tenant."""
    _mine, theirs = two_tenants
    with tenant_context(tenant):
        assert refused(f"UPDATE {CONTACTS} SET customer_id = %s", [theirs.pk])  # noqa: S608
        assert Contact.objects.get().customer.code == "MINE"


# --- the setting, per statement --------------------------------------------------------


def test_each_statement_carries_its_own_tenant_inside_a_transaction(tenant, other_tenant,
                                                                    two_tenants):
    count = f"SELECT code FROM {CUSTOMERS}"  # noqa: S608
    with transaction.atomic():
        with tenant_context(tenant):
            assert sql(count)[0] == [("MINE",)]
        assert sql(count)[0] == []  # the transaction goes on, the tenant has ended
        with tenant_context(other_tenant):
            assert sql(count)[0] == [("THEIRS",)]
        try:
            with transaction.atomic(), tenant_context(tenant):
                sql(count)
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        with tenant_context(other_tenant):
            assert sql(count)[0] == [("THEIRS",)]


def test_the_queries_the_code_wrote_are_what_the_logs_and_tests_see(in_tenant):
    with CaptureQueriesContext(connection) as captured:
        list(Customer.objects.all())
    assert captured.captured_queries[0]["sql"].startswith("SELECT ")
    assert "set_config" not in captured.captured_queries[0]["sql"]


def test_iterator_reads_within_the_tenant(tenant, two_tenants):
    with tenant_context(tenant):
        assert [c.code for c in Customer.objects.iterator(chunk_size=1)] == ["MINE"]


def session_state():
    """(kam.tenant_id, visible customers) on the connection's session as it is, read past
    Django's cursor, which would state a tenant of its own."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('kam.tenant_id', true), "
                       "current_setting('kam.cross_tenant', true)")
        settings = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {CUSTOMERS}")  # noqa: S608
        return (*settings, cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_the_tenant_does_not_outlive_a_request_or_a_task_on_a_reused_connection(
        admin_client, tenant):
    with tenant_context(tenant):
        CustomerFactory.create_batch(3, tenant=tenant)

    response = admin_client.get(reverse("customer_list"))
    assert response.status_code == 200 and len(response.context["page"]) == 3
    reused = connection.connection
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert session_state() in (("", "", 0), (None, None, 0))

    purge_old_notifications.apply(kwargs={"tenant_id": tenant.pk}).get()
    assert connection.connection is reused
    assert session_state() in (("", "", 0), (None, None, 0))

    # An autocommit statement is its own transaction: the tenant goes with it.
    with tenant_context(tenant):
        assert sql(f"SELECT count(*) FROM {CUSTOMERS}")[0] == [(3,)]  # noqa: S608
    assert connection.connection is reused
    assert session_state() in (("", "", 0), (None, None, 0))


# --- the cross-tenant path -------------------------------------------------------------


def test_cross_tenant_reads_every_tenant_and_is_logged(two_tenants, caplog):
    with caplog.at_level(logging.DEBUG, logger="kam.tenancy"), cross_tenant():
        assert sql(f"SELECT code FROM {CUSTOMERS} ORDER BY code")[0] == [  # noqa: S608
            ("MINE",), ("THEIRS",)]
        with cross_tenant():  # nested: said once, by the outer one
            pass
    said = [r.getMessage() for r in caplog.records if r.name == "kam.tenancy"]
    assert len(said) == 1
    assert said[0].startswith("cross-tenant access by kam.tests.test_rls:")
    assert said[0].endswith("(test_cross_tenant_reads_every_tenant_and_is_logged)")


# --- the roles -------------------------------------------------------------------------


def test_the_connection_is_bound_by_row_security(db):
    rows, _ = sql("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert rows == [(False, False)], "a superuser or BYPASSRLS role passes every policy"


@pytest.mark.skipif(not os.environ.get("DATABASE_OWNER_URL"),
                    reason="one role owns and uses the tables without DATABASE_OWNER_URL")
def test_the_application_role_owns_nothing_and_may_only_read_and_write(db):
    rows, _ = sql("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole")
    assert rows == [(0,)]
    assert refused(f"ALTER TABLE {CUSTOMERS} NO FORCE ROW LEVEL SECURITY")
    assert refused(f"TRUNCATE {CUSTOMERS}")
    rows, _ = sql("""
        SELECT t FROM unnest(%s::text[]) AS t WHERE NOT (
            has_table_privilege(t, 'SELECT') AND has_table_privilege(t, 'INSERT')
            AND has_table_privilege(t, 'UPDATE') AND has_table_privilege(t, 'DELETE'))
    """, [db_roles._model_tables()])
    assert rows == []
    assert db_roles.grant_app_role() == 0  # as itself: nothing to grant


@pytest.mark.django_db(transaction=True)
def test_a_table_that_lacks_row_security_gets_it_on_the_next_migrate():
    with db_roles.as_owner():
        sql(f"ALTER TABLE {CONTACTS} NO FORCE ROW LEVEL SECURITY")
        sql(f'DROP POLICY "{db_rls.POLICY}" ON {CONTACTS}')
    try:
        call_command("migrate", verbosity=0)
        rows, _ = sql("SELECT relforcerowsecurity, (SELECT count(*) FROM pg_policies "
                      "WHERE tablename = %s) FROM pg_class WHERE relname = %s",
                      [CONTACTS, CONTACTS])
        assert rows == [(True, 1)]
    finally:
        with db_roles.as_owner():
            db_rls.ensure_row_security()
