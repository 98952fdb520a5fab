"""Benchmark of the history of changes (`make bench-history`): the CSV import of 10,000
figure rows (2,500 customers × 4 quarters, check then commit, as the import pages do it)
with the history off and on, best of `--repeat` runs each; prints both and the ratio
(target: at most 1.5×). Works in its own tenant `bench-import`, emptied before and after.
"""

import time

from django.db import connection
from django.test.utils import override_settings

from customers.models import Customer, ImportJob, PeriodFigure
from kam.tenancy import tenant_context
from records import history

from .bench_import import Command as ImportBench

TARGET = 1.5


class Command(ImportBench):
    help = "Time the import of N figure rows with the history of changes off and on."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--repeat", type=int, default=2)

    def handle(self, *args, rows, seed, repeat, **options):
        import random

        from accounts.models import Membership, Role, Tenant, User

        from .bench_import import BENCH_SLUG

        tenant, _created = Tenant.objects.get_or_create(
            slug=BENCH_SLUG, defaults={"name": "Import benchmark"})
        user, _created = User.objects.get_or_create(email="bench-import@example.com")
        text = self.figures_csv(rows, random.Random(seed))
        with tenant_context(tenant):
            Membership.objects.update_or_create(
                tenant=tenant, user=user, defaults={"role": Role.ADMIN, "is_active": True})
            self.empty_all(tenant)
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                Customer.objects.bulk_create(
                    Customer(tenant=tenant, code=f"I{n:06d}", name=f"Carmaker {n}")
                    for n in range(1, rows // 4 + 2))
            self.stdout.write(f"database: {connection.vendor}, {rows:,} figure rows")
            best = {}
            for _round in range(repeat):
                for enabled in (False, True):
                    with override_settings(SIMPLE_HISTORY_ENABLED=enabled):
                        best[enabled] = min(best.get(enabled, float("inf")),
                                            self.timed(tenant, user, text))
                    self.empty_figures(tenant)
            self.empty_all(tenant)
        ratio = best[True] / best[False]
        self.stdout.write(f"history off: {best[False]:.2f} s, on: {best[True]:.2f} s, "
                          f"ratio {ratio:.2f}× (target ≤ {TARGET}×)"
                          + ("" if ratio <= TARGET else "  OVER TARGET"))

    def timed(self, tenant, user, text):
        started = time.perf_counter()
        self.run_file(tenant, user, "figures", text)
        return time.perf_counter() - started

    @staticmethod
    def empty_figures(tenant):
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            PeriodFigure.objects.all()._raw_delete(PeriodFigure.objects.db)
            for model in history.historical_models():
                model._default_manager.filter(tenant=tenant).delete()

    def empty_all(self, tenant):
        self.empty_figures(tenant)
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            ImportJob.objects.all().delete()
            Customer.objects.all().delete()
