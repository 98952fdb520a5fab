"""`manage.py run_job NAME [--tenant SLUG] [--date YYYY-MM-DD]`: run a scheduled job by hand,
in this process, exactly as the worker would (a JobRun is recorded for each tenant)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from jobs import registry, services
from jobs.models import JobRun
from jobs.selectors import label_counts
from kam.tenancy import tenant_context


class Command(BaseCommand):
    help = "Run a scheduled job now, for one tenant or every active one."

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"one of: {', '.join(registry.JOBS)}")
        parser.add_argument("--tenant", metavar="SLUG",
                            help="the tenant's slug (default: every active tenant)")
        parser.add_argument("--date", metavar="YYYY-MM-DD",
                            help="the day to run for (default: each tenant's today)")

    def handle(self, *args, name, tenant=None, date=None, **options):
        if name not in registry.JOBS:
            raise CommandError(f"Unknown job {name!r}. The jobs are: {', '.join(registry.JOBS)}")
        day = _parse_date(date)
        if tenant:
            tenants = list(Tenant.objects.filter(slug=tenant))
            if not tenants:
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        else:
            tenants = list(Tenant.objects.filter(is_active=True).order_by("slug"))
        failed = 0
        for each in tenants:
            with tenant_context(each):
                try:
                    run = services.run(name, tenant=each, day=day,
                                       trigger=JobRun.Trigger.COMMAND)
                except Exception as exc:  # recorded on the run; report and go on
                    failed += 1
                    self.stderr.write(f"{each.slug}: failed: {type(exc).__name__}: {exc}")
                    continue
            counts = ", ".join(f"{label} {value}" for label, value in label_counts(run.counts))
            seconds = run.duration.total_seconds() if run.duration else 0
            self.stdout.write(f"{each.slug}: {run.status} {run.day} ({seconds:.1f} s)"
                              f"{': ' + counts if counts else ''}"
                              f"{f'; {run.problem_count} problems' if run.problem_count else ''}")
            for problem in run.problems[:20]:
                self.stdout.write(f"  - {problem['message']}")
        if failed:
            raise CommandError(f"{name} failed for {failed} of {len(tenants)} tenants.")


def _parse_date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must look like 2026-07-01, not {value!r}.") from None
