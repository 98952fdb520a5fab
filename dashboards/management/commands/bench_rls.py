"""Benchmark of the database's tenant wall (`make bench-rls`, PostgreSQL).

Times the customer list (the page and `GET /api/v1/customers/`) and the executive
dashboard (computed, no cache) on the throwaway tenant of `bench_dashboard` (seeded the
same way: 5,000 customers by default), with row-level security (kam/db_rls.py: the
policies, and the tenant sent in front of every query) and without it (row security
disabled on the tenant-owned tables, queries sent as they are), alternately, and prints
the medians and their ratio. Target: at most 1.1 × the time without it.

It disables row security on the tables for the runs without it, as the owner of the
tables, and enables it again whatever happens: run it on a development database only.
"""

import random
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

from accounts.models import Membership, Role, Tenant
from customers.models import Customer
from dashboards import derived
from dashboards.management.commands import bench_dashboard
from kam import db_rls, db_roles
from kam.tenancy import tenant_context

PAGES = [("customer list page", "/customers/"),
         ("customer list API", "/api/v1/customers/"),
         ("dashboard page", "/dashboard/")]
TARGET = 1.1


def set_row_security(on):
    """Row security on the tenant-owned tables and the tenant in front of each query, both
    on or both off. Altering the tables is the owner's to do."""
    with db_roles.as_owner():
        if on:
            db_rls.ensure_row_security()
        else:
            with connection.cursor() as cursor:
                for table in db_rls.tenant_tables():
                    cursor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    wrappers = connection.execute_wrappers
    if on and db_rls.scope_statement not in wrappers:
        wrappers.append(db_rls.scope_statement)
    elif not on and db_rls.scope_statement in wrappers:
        wrappers.remove(db_rls.scope_statement)


class Command(BaseCommand):
    help = ("Time the customer list and the dashboard with and without row-level security "
            "on a throwaway tenant of N customers (PostgreSQL).")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5_000)
        parser.add_argument("--rounds", type=int, default=3,
                            help="Alternations of without / with row security.")
        parser.add_argument("--repeat", type=int, default=7, help="Requests per page and round.")
        parser.add_argument("--keep", action="store_true",
                            help="Keep the bench tenant (and reuse it on the next run).")

    def handle(self, *args, customers, rounds, repeat, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Row-level security is PostgreSQL's: set DATABASE_URL.")
        if min(customers, rounds, repeat) < 1:
            raise CommandError("--customers, --rounds and --repeat must be at least 1.")
        seeder = bench_dashboard.Command(stdout=self.stdout)
        tenant = Tenant.objects.filter(slug=bench_dashboard.SLUG).first()
        if tenant is None:
            tenant = Tenant.objects.create(slug=bench_dashboard.SLUG, name="Dashboard benchmark")
            self.stdout.write(f"seeding {customers} customers …")
            with tenant_context(tenant), transaction.atomic():
                seeder.seed(tenant, random.Random(20260801), customers, 8,
                            customers * 2, customers * 4)
        else:
            self.stdout.write("reusing the bench tenant (made with --keep)")
        try:
            with tenant_context(tenant):
                derived.refresh(Customer.objects.filter(is_active=True), tenant=tenant,
                                everything=True)
                executive = (Membership.objects.filter(role=Role.EXECUTIVE)
                             .select_related("user").first())
                count = Customer.objects.count()
            db_roles.analyze()
            self.stdout.write(f"{count} customers; {rounds} rounds × {repeat} requests per "
                              "page, without and with row security in turn")
            self.measure(executive.user, rounds, repeat)
        finally:
            set_row_security(True)
            if not keep:
                seeder.clean_up(tenant)

    def measure(self, user, rounds, repeat):
        client = Client()
        # The backend that loads the user from the session, whatever the log-in chain.
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        seconds = {(url, on): [] for _label, url in PAGES for on in (False, True)}
        with override_settings(ALLOWED_HOSTS=["testserver"], DASHBOARD_CACHE_SECONDS=0):
            for _round in range(rounds):
                for on in (False, True):
                    set_row_security(on)
                    for _label, url in PAGES:
                        self.get(client, url)  # warm up: the connection, the plans
                        for _ in range(repeat):
                            started = time.perf_counter()
                            self.get(client, url)
                            seconds[url, on].append(time.perf_counter() - started)
        worst = 0
        for label, url in PAGES:
            off, on = (statistics.median(seconds[url, state]) for state in (False, True))
            worst = max(worst, on / off)
            self.stdout.write(f"{label + ':':<21} without {off * 1000:7.1f} ms, "
                              f"with {on * 1000:7.1f} ms (medians): {on / off:.3f} ×")
        self.stdout.write(f"target: at most {TARGET} × — worst {worst:.3f} ×")

    def get(self, client, url):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
