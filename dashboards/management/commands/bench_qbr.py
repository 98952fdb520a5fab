"""Benchmark of the QBR pack (`make bench-qbr`): renders the internal and the
customer-facing PDF (and the XLSX) of an A account of the demo tenant (`make seed`)
several times and prints the median and the minimum with the number of queries. Target:
a PDF under 3 s. `--language zh-hans` times the Chinese pack."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Tenant
from customers.models import Customer
from dashboards import pdf, qbr
from kam.tenancy import tenant_context

TARGET_SECONDS = 3.0


class Command(BaseCommand):
    help = "Time the QBR pack PDF of an A account of the demo tenant (target: under 3 s)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo", help="Tenant slug (default: demo).")
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--language", default="en")

    def handle(self, *args, **options):
        if pdf.unavailable():
            raise CommandError(pdf.unavailable())
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}: run `make seed` first.")
        with tenant_context(tenant), translation.override(options["language"]):
            customer = (Customer.objects.filter(tier="A", is_active=True)
                        .order_by("code").first())
            if customer is None:
                raise CommandError("The tenant has no active A account.")
            quarter = qbr.last_complete_quarter(tenant)
            self.stdout.write(f"{customer.code} {customer.name}, {quarter}, "
                              f"language {options['language']}")
            failed = False
            for variant in (qbr.INTERNAL, qbr.CUSTOMER):
                for file_format in (qbr.PDF, qbr.XLSX):
                    seconds, queries, size = self.time(customer, quarter, variant,
                                                       file_format, tenant,
                                                       options["repeat"])
                    median = statistics.median(seconds)
                    line = (f"  {variant:8} {file_format:4}  median {median:.2f} s  "
                            f"min {min(seconds):.2f} s  {queries} queries  "
                            f"{size / 1024:.0f} KiB")
                    if file_format == qbr.PDF and median >= TARGET_SECONDS:
                        failed = True
                        line += f"  (target {TARGET_SECONDS:.0f} s missed)"
                    self.stdout.write(line)
        if failed:
            raise CommandError(f"A PDF took {TARGET_SECONDS:.0f} s or more.")
        self.stdout.write(self.style.SUCCESS(f"Every PDF under {TARGET_SECONDS:.0f} s."))

    def time(self, customer, quarter, variant, file_format, tenant, repeat):
        seconds = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                pack = qbr.build(customer, quarter=quarter, variant=variant, tenant=tenant)
                content, _type, _name = qbr.render(pack, file_format)
                seconds.append(time.perf_counter() - started)
        return seconds, len(captured), len(content)
