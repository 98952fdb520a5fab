"""factory-boy factories for the scheduled jobs' models; re-exported by tests/factories.py."""

from datetime import date

import factory
from django.utils import timezone

from tests.factories import TenantOwnedFactory


class JobRunFactory(TenantOwnedFactory):
    class Meta:
        model = "jobs.JobRun"

    job = "opl-reminders"
    day = factory.LazyFunction(timezone.localdate)
    period_start = factory.SelfAttribute("day")
    status = "ok"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    counts = factory.LazyFunction(lambda: {"notified": 2})
    problems = factory.LazyFunction(
        lambda: [{"message": "Customer without an owner (KAM)", "url": ""}])
    problem_count = 1


class ManagementReportFactory(TenantOwnedFactory):
    class Meta:
        model = "jobs.ManagementReport"

    period_start = factory.Sequence(lambda n: date(2020 + n // 12 % 50, n % 12 + 1, 1))
    data = factory.LazyFunction(lambda: {
        "month": "2026-04-01", "as_of": "2026-05-01",
        "opl": {"opened": 3, "closed": 1, "by_status": {"open": 2}, "active": 2,
                "overdue": 1, "stale": 0,
                "top_overdue": [{"title": "Late 8D report", "customer": "Carmaker",
                                 "owner": "", "due": "2026-04-20", "url": ""}]},
        "satisfaction": None,
        "rag": {"counts": {"red": 1, "amber": 0, "green": 2, "none": 0},
                "red": [{"code": "P-1", "name": "Door panel", "customer": "Carmaker",
                         "reason": "Late", "url": ""}]},
        "tiers": [{"customer": "Carmaker", "from": "B", "to": "A", "url": ""}],
    })
