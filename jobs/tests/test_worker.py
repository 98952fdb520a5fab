"""The jobs on a real Celery worker and beat, against PostgreSQL and Redis.

These tests start `celery -A kam worker` (and `celery -A kam beat`) as subprocesses on a
private `redis-server` of their own, pointed at the test database (tests.celery_stack),
and check the jobs' effects in that database. They run only where CI runs them: with
REDIS_URL set (Redis is installed) and PostgreSQL as the database; elsewhere they are
skipped, saying why.

The second test takes Redis away in the middle: a web request that queues work must still
succeed (the task waits in the outbox), and once Redis is back the work is done.
"""

import time
import zoneinfo
from datetime import timedelta

from django.utils import timezone

from customers.models import ImportJob
from jobs import registry
from jobs.models import JobRun, ManagementReport, OutboxMessage
from kam.tenancy import cross_tenant
from notifications.models import Notification
from tests.celery_stack import MARKS, wait_for
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    OplItemFactory,
    PeriodFigureFactory,
    TenantFactory,
    UserFactory,
)

pytestmark = MARKS


def afternoon_time_zone():
    """A time zone where it is now between 10:00 and 21:59, so that every job's hour has
    come (the latest is 09:00) without the date changing during the test."""
    now = timezone.now()
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}"  # POSIX signs
        if 10 <= now.astimezone(zoneinfo.ZoneInfo(name)).hour <= 21:
            return name
    raise AssertionError("no suitable time zone")


def finished_runs():
    with cross_tenant():
        return list(JobRun.objects.exclude(status=JobRun.Status.RUNNING)
                    .values_list("job", "status", "trigger", "task_id"))


def test_worker_and_beat_run_every_job_once_against_the_database(stack):
    tenant = TenantFactory(slug="worker-test", name="Worker Test Trim",
                           timezone=afternoon_time_zone())
    kam = MembershipFactory(tenant=tenant, role="manager", user=UserFactory(
        email="kam@worker.example.com")).user
    MembershipFactory(tenant=tenant, role="executive")
    for n in range(5):
        customer = CustomerFactory(tenant=tenant, code=f"W{n}", tier="C", owner=kam)
        PeriodFigureFactory(tenant=tenant, customer=customer, revenue=(n + 1) * 1_000_000)
    OplItemFactory(tenant=tenant, customer=customer, owner=kam, accountable=None,
                   due_date=tenant.today() - timedelta(days=2), title="Late 8D report")

    stack.start_redis()
    stack.start_worker()
    stack.start_beat(interval=3)

    wait_for(lambda: {job for job, status, *_rest in finished_runs()} >= set(registry.JOBS),
             "a finished run of every job", stack)

    def report_written():
        with cross_tenant():
            return ManagementReport.objects.filter(tenant=tenant).exists()

    wait_for(report_written, "the management report", stack)
    time.sleep(7)  # two more beat rounds: nothing may run (or be sent) twice

    runs = finished_runs()
    assert sorted(job for job, *_rest in runs) == sorted(registry.JOBS), stack.logs()
    assert all(status in ("ok", "partial") for _job, status, *_rest in runs), runs
    assert all(trigger == "schedule" and task_id for _j, _s, trigger, task_id in runs), runs
    with cross_tenant():
        assert Notification.objects.filter(tenant=tenant, kind="opl_overdue").count() == 1
        assert Notification.objects.filter(tenant=tenant, kind="tier_change").exists()
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_with_redis_down_a_web_request_succeeds_and_the_work_is_done_once_it_is_back(stack):
    tenant = TenantFactory(slug="outage-test", name="Outage Test Trim")
    admin = MembershipFactory(tenant=tenant, role="admin", user=UserFactory(
        email="admin@outage.example.com")).user
    OplItemFactory(tenant=tenant, owner=admin, accountable=None,
                   due_date=tenant.today() - timedelta(days=2), title="Late 8D report")
    stack.start_redis()
    stack.start_worker()
    time.sleep(3)  # let the worker connect before Redis goes away
    stack.stop("redis")

    result = stack.run_web(f"""
        import json, time
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client
        from accounts.models import User

        client = Client()
        client.force_login(User.objects.get(pk={admin.pk}))
        started = time.monotonic()
        upload = client.post("/customers/import/customers/", {{"file": SimpleUploadedFile(
            "customers.csv", b"code,name\\nOUT-1,Outage Motors\\n", content_type="text/csv")}})
        job_page = client.get(upload["Location"])
        run_now = client.post("/jobs/run/", {{"name": "opl-reminders"}})
        print(json.dumps({{"upload": upload.status_code, "page": job_page.status_code,
                          "run_now": run_now.status_code,
                          "seconds": time.monotonic() - started}}))
    """)

    assert result["upload"] == 302 and result["page"] == 200 and result["run_now"] == 302
    assert result["seconds"] < 20, result
    with cross_tenant():
        job = ImportJob.objects.get(tenant=tenant)
        assert job.status == "uploaded"  # waiting for the queue, not failed
        waiting = list(OutboxMessage.objects.filter(sent_at__isnull=True))
    assert {m.task_name for m in waiting} == {"customers.tasks.validate_import",
                                              "jobs.tasks.run_job"}
    assert all(m.attempts >= 1 and m.last_error for m in waiting)

    stack.start_redis()  # Redis is back; beat's drain (every second here) publishes
    stack.start_beat(interval=1)

    def done():
        with cross_tenant():
            job.refresh_from_db()
            manual = JobRun.objects.filter(tenant=tenant, job="opl-reminders",
                                           trigger="manual", status="ok").exists()
        return job.status == "validated" and manual

    wait_for(done, "the import check and the manual run after Redis came back", stack)
    with cross_tenant():
        assert not OutboxMessage.objects.filter(pk__in=[m.pk for m in waiting],
                                                sent_at__isnull=True).exists()
        assert Notification.objects.filter(tenant=tenant, kind="opl_overdue").count() == 1
