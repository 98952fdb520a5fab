"""Benchmark of the CSV import (`make bench-import`): a file of 10,000 customers, then a
file of 10,000 figure rows (2,500 customers × 4 quarters), each checked (dry run) and
committed the way the import pages do it. Both must finish well under a minute.

Works in its own tenant `bench-import`, emptied before and after the run.
"""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role, Tenant, User
from customers import import_jobs
from customers.models import Customer, ImportJob, PeriodFigure
from kam import periods
from kam.tenancy import tenant_context

BENCH_SLUG = "bench-import"
FIGURE_COLUMNS = ["customer_code", "period", "revenue", "volume", "supply_share",
                  "gross_margin", "payment_days", "cost_to_serve", "quality_ppm",
                  "on_time_delivery", "market_influence", "loyalty", "strategic_fit"]


class Command(BaseCommand):
    help = "Time the CSV import of N customers and N figure rows (check, then commit)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=20260101)

    def handle(self, *args, rows, seed, **options):
        if rows < 4:
            raise CommandError("--rows must be at least 4.")
        tenant, _created = Tenant.objects.get_or_create(
            slug=BENCH_SLUG, defaults={"name": "Import benchmark"})
        user, _created = User.objects.get_or_create(email="bench-import@example.com")
        rng = random.Random(seed)
        with tenant_context(tenant):
            Membership.objects.update_or_create(
                tenant=tenant, user=user, defaults={"role": Role.ADMIN, "is_active": True})
            self.empty()
            self.stdout.write(f"database: {connection.vendor}, {rows:,} rows per file")
            customers_csv = "code,name,segment,lifecycle_stage\n" + "".join(
                f"I{n:06d},Carmaker {n},oem_passenger,key\n" for n in range(1, rows + 1))
            self.run_file(tenant, user, "customers", customers_csv)
            self.run_file(tenant, user, "figures", self.figures_csv(rows, rng))
            self.empty()

    def figures_csv(self, rows, rng):
        quarters = periods.window_periods("2026Q2", 4)
        lines = [",".join(FIGURE_COLUMNS)]
        for n in range(rows):
            code, period = f"I{n // 4 + 1:06d}", quarters[n % 4]
            revenue = round(rng.lognormvariate(14, 1.2), 2)
            lines.append(",".join(str(value) for value in (
                code, period, revenue, rng.randint(0, 200_000), round(rng.uniform(2, 80), 2),
                round(rng.uniform(3, 35), 2), rng.choice([30, 60, 90]),
                round(revenue * 0.02, 2), round(rng.uniform(0, 800), 1),
                round(rng.uniform(82, 100), 2), rng.randint(1, 5), rng.randint(1, 5),
                rng.randint(1, 5))))
        return "\n".join(lines) + "\n"

    def run_file(self, tenant, user, kind, text):
        job = import_jobs.create_job(tenant, kind=kind, name=f"{kind}.csv",
                                   content=text.encode(), user=user)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as check_queries:
            job = import_jobs.validate_job(job)
        checked = time.perf_counter() - started
        if job.status != ImportJob.Status.VALIDATED:
            raise CommandError(f"{kind}: the check failed: {job.errors[:3]}")
        import_jobs.start_commit(job)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as commit_queries:
            job = import_jobs.commit_job(job)
        committed = time.perf_counter() - started
        if job.status != ImportJob.Status.DONE:
            raise CommandError(f"{kind}: the commit failed: {job.errors[:3]}")
        self.stdout.write(
            f"{kind:<9} {job.total_rows:,} rows: check {checked:.2f} s "
            f"({len(check_queries)} queries), commit {committed:.2f} s "
            f"({len(commit_queries)} queries), total {checked + committed:.2f} s")

    @staticmethod
    def empty():
        PeriodFigure.objects.all().delete()
        Customer.objects.all().delete()
        ImportJob.objects.all().delete()
