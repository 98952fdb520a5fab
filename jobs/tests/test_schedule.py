"""The schedule: periods, the registry, beat's entries and which tenants are due when."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils.module_loading import import_string

from accounts.models import Tenant
from jobs import registry, services
from jobs.models import OutboxMessage
from kam import periods
from kam.celery import app as celery_app
from tests.factories import JobRunFactory, TenantFactory


@pytest.mark.parametrize(("cadence", "day", "start"), [
    ("daily", date(2026, 5, 14), date(2026, 5, 14)),
    ("weekly", date(2026, 5, 14), date(2026, 5, 11)),
    ("weekly", date(2026, 5, 11), date(2026, 5, 11)),
    ("fortnightly", date(2026, 5, 14), date(2026, 5, 4)),
    ("fortnightly", date(2026, 5, 18), date(2026, 5, 18)),
    ("fortnightly", date(2027, 1, 1), date(2026, 12, 28)),
    ("monthly", date(2026, 5, 14), date(2026, 5, 1)),
])
def test_period_start(cadence, day, start):
    assert periods.period_start(cadence, day) == start


def test_quarters_and_months():
    assert periods.Quarter.of(date(2026, 11, 3)).start == date(2026, 10, 1)
    assert periods.Quarter.of(date(2026, 11, 3)).end == date(2026, 12, 31)
    assert periods.Quarter.of(date(2026, 2, 3)).end == date(2026, 3, 31)
    assert periods.previous_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert periods.blocks_since(date(2026, 5, 1), date(2026, 5, 8), 7) == 1


def test_every_job_has_a_function_and_a_beat_entry():
    schedule = celery_app.conf.beat_schedule
    celery_app.loader.import_default_modules()
    for job in registry.JOBS.values():
        assert callable(import_string(job.function)), job.name
        assert job.cadence in periods.CADENCES
        entry = schedule[f"job-{job.name}"]
        assert entry["task"] == "jobs.tasks.fan_out_due"
        assert entry["args"] == (job.name,)
        assert entry["schedule"].minute == {job.minute}  # hourly
        assert entry["task"] in celery_app.tasks
    assert schedule["drain-outbox"]["task"] in celery_app.tasks
    assert schedule["drain-outbox"]["schedule"] == 60.0


def test_unknown_job_names_list_the_jobs():
    with pytest.raises(registry.UnknownJob) as exc:
        registry.get("nope")
    assert "rescoring" in str(exc.value)


@pytest.fixture
def shanghai_and_la(db):
    return (TenantFactory(slug="sh", timezone="Asia/Shanghai"),
            TenantFactory(slug="la", timezone="America/Los_Angeles"))


def test_jobs_are_due_from_their_hour_in_each_tenants_time_zone(shanghai_and_la):
    shanghai, la = shanghai_and_la
    # 2026-05-14 23:30 UTC: 07:30 on the 15th in Shanghai, 16:30 on the 14th in LA.
    now = datetime(2026, 5, 14, 23, 30, tzinfo=UTC)
    due = services.due_tenants("opl-reminders", now)  # from 07:00 local
    assert due == [(shanghai, date(2026, 5, 15)), (la, date(2026, 5, 14))]
    # 22:30 UTC: 06:30 in Shanghai, not yet.
    assert services.due_tenants("opl-reminders", now - timedelta(hours=1)) == [
        (la, date(2026, 5, 14))]
    # Monthly report: due from 06:00 on the 1st, then all month (catching up).
    first = datetime(2026, 5, 31, 21, 0, tzinfo=UTC)  # 05:00 on 1 June in Shanghai
    assert services.due_tenants("management-report", first) == [(la, date(2026, 5, 31))]
    assert services.due_tenants("management-report", first + timedelta(hours=1))[0] == (
        shanghai, date(2026, 6, 1))


def test_a_finished_or_running_period_is_not_due_again(shanghai_and_la):
    shanghai, la = shanghai_and_la
    now = datetime(2026, 5, 14, 23, 30, tzinfo=UTC)
    JobRunFactory(tenant=shanghai, job="opl-reminders", day=date(2026, 5, 15),
                  period_start=date(2026, 5, 15), status="partial")
    JobRunFactory(tenant=la, job="opl-reminders", day=date(2026, 5, 14),
                  period_start=date(2026, 5, 14), status="running", started_at=now)
    assert services.due_tenants("opl-reminders", now) == []
    # A run "running" for longer than any job may is stuck: run again.
    assert services.due_tenants("opl-reminders", now + timedelta(hours=1)) == [
        (la, date(2026, 5, 14))]


def test_failed_runs_are_tried_again_a_few_times(shanghai_and_la):
    shanghai, la = shanghai_and_la
    Tenant.objects.filter(pk=la.pk).update(is_active=False)
    now = datetime(2026, 5, 14, 23, 30, tzinfo=UTC)
    for _attempt in range(services.MAX_FAILED_RUNS):
        assert services.due_tenants("opl-reminders", now) == [(shanghai, date(2026, 5, 15))]
        JobRunFactory(tenant=shanghai, job="opl-reminders", day=date(2026, 5, 15),
                      period_start=date(2026, 5, 15), status="failed")
    assert services.due_tenants("opl-reminders", now) == []


def test_the_fan_out_queues_each_due_tenant_through_the_outbox(shanghai_and_la):
    shanghai, la = shanghai_and_la
    now = datetime(2026, 5, 14, 23, 30, tzinfo=UTC)

    assert services.enqueue_due("opl-reminders", now=now) == 2

    rows = list(OutboxMessage.objects.order_by("tenant_id").values_list(
        "task_name", "tenant_id", "kwargs"))
    assert rows == [
        ("jobs.tasks.run_job", shanghai.pk, {"name": "opl-reminders", "tenant_id": shanghai.pk,
                                             "day": "2026-05-15", "trigger": "schedule"}),
        ("jobs.tasks.run_job", la.pk, {"name": "opl-reminders", "tenant_id": la.pk,
                                       "day": "2026-05-14", "trigger": "schedule"}),
    ]
