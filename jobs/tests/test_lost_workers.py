"""What a run leaves when its worker is lost, and what it cannot finish in its time: runs
abandoned by a dead worker, tasks given up after too many deliveries, the visibility
timeout against the time limits, and the e-mails a run sends in batches."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from customers import import_jobs
from customers.models import ImportJob
from customers.tasks import validate_import
from jobs import outbox, services, tasks
from jobs.models import JobRun, OutboxMessage
from jobs.tasks import run_job
from kam import messages
from kam.celery import KamTask, TenantTask
from kam.celery import app as celery_app
from kam.tenancy import tenant_context
from notifications import emails
from tests.factories import JobRunFactory, MembershipFactory

DAY = date(2026, 5, 14)


# --- the numbers ---------------------------------------------------------------------------

def test_the_visibility_timeout_covers_the_longest_a_message_is_held_and_no_more():
    visibility = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    held = settings.TASK_RETRY_BACKOFF_MAX + settings.CELERY_TASK_TIME_LIMIT
    # Above the longest wait for a retry plus the longest run, or a live task is
    # delivered twice; not much above, or a killed worker's task waits for nothing.
    assert held < visibility <= held + 10 * 60
    assert visibility == 25 * 60
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == visibility
    # The base task's options are the settings' numbers.
    assert TenantTask.time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert TenantTask.soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert TenantTask.retry_backoff_max == settings.TASK_RETRY_BACKOFF_MAX
    # A run is abandoned once past the hard time limit, before its task comes back.
    assert (timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) < services.STUCK_AFTER
            < timedelta(seconds=visibility))
    assert timedelta(seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT) > services.SEND_EMAILS_UNTIL


def test_every_task_counts_its_deliveries():
    celery_app.loader.import_default_modules()
    ours = {name: task for name, task in celery_app.tasks.items()
            if not name.startswith("celery.")}
    assert "jobs.tasks.fan_out_due" in ours and "kam.tasks.fan_out" in ours
    for name, task in ours.items():
        assert isinstance(task, KamTask), name


# --- abandoned runs ------------------------------------------------------------------------

def test_the_next_delivery_of_a_task_marks_its_earlier_run_abandoned(tenant):
    lost = JobRunFactory(tenant=tenant, job="opl-reminders", day=DAY, period_start=DAY,
                         status="running", finished_at=None, task_id="task-1")
    other = JobRunFactory(tenant=tenant, job="opl-reminders", day=DAY, period_start=DAY,
                          status="running", finished_at=None, task_id="task-2")

    with tenant_context(tenant):
        again = services.run("opl-reminders", tenant=tenant, day=DAY, task_id="task-1")
        lost.refresh_from_db()
        other.refresh_from_db()

    assert again.status == "ok"
    assert lost.status == "abandoned" and lost.finished_at is not None
    assert "stopped before the run finished" in lost.error
    assert other.status == "running"  # another task, still within its time


def test_the_fan_out_abandons_runs_past_the_time_limit_and_runs_the_job_again(tenant):
    now = timezone.now()
    local = now.astimezone(tenant.tzinfo)
    day = local.date()
    started = now - services.STUCK_AFTER - timedelta(minutes=1)
    lost = JobRunFactory(tenant=tenant, job="campaigns", day=day, period_start=day,
                         status="running", finished_at=None, started_at=started)
    recent = JobRunFactory(tenant=tenant, job="account-health", day=day, period_start=day,
                           status="running", finished_at=None, started_at=now)

    assert services.enqueue_due("campaigns", now=now) == 1  # due from 00:00: now

    with tenant_context(tenant):
        lost.refresh_from_db()
        recent.refresh_from_db()
    assert lost.status == "abandoned"
    assert recent.status == "running"


def test_abandoned_runs_count_as_failures_of_the_period(tenant):
    now = timezone.now()
    day = now.astimezone(tenant.tzinfo).date()
    for _attempt in range(services.MAX_FAILED_RUNS):
        assert services.due_tenants("campaigns", now) == [(tenant, day)]
        JobRunFactory(tenant=tenant, job="campaigns", day=day, period_start=day,
                      status="abandoned")
    assert services.due_tenants("campaigns", now) == []


def test_the_jobs_page_shows_an_abandoned_run(tenant, admin_client):
    run = JobRunFactory(tenant=tenant, job="campaigns", status="abandoned",
                        error="The worker running this job stopped before the run finished.")

    listing = admin_client.get(reverse("job_list")).content.decode()
    page = admin_client.get(reverse("job_run", args=[run.pk])).content.decode()

    assert "Abandoned" in listing
    assert "Abandoned" in page and "The run was abandoned:" in page


# --- poison messages -----------------------------------------------------------------------

@pytest.fixture
def delivered(monkeypatch):
    """`delivered(n)`: the next task sees its message delivered for the n-th time."""

    def deliveries(n):
        monkeypatch.setattr(KamTask, "delivery_count", lambda self: n)

    return deliveries


def test_a_job_delivered_too_often_is_given_up_as_a_failed_run(tenant, delivered):
    lost = JobRunFactory(tenant=tenant, job="opl-reminders", day=DAY, period_start=DAY,
                         status="running", finished_at=None, task_id="poison")
    delivered(settings.TASK_MAX_DELIVERIES + 1)

    result = run_job.apply(kwargs={"name": "opl-reminders", "tenant_id": tenant.pk,
                                   "day": DAY.isoformat()}, task_id="poison", throw=True).get()

    with tenant_context(tenant):
        given_up = JobRun.objects.get(pk=result["run"])
        lost.refresh_from_db()
    assert given_up.status == "failed" and given_up.task_id == "poison"
    assert f"stopped {settings.TASK_MAX_DELIVERIES} times" in given_up.error
    assert lost.status == "abandoned"
    # It counts against the period: the fan-out tries a few times, not forever.
    assert given_up.period_start == DAY


def test_a_job_within_its_deliveries_runs(tenant, delivered):
    delivered(settings.TASK_MAX_DELIVERIES)
    result = run_job.apply(kwargs={"name": "opl-reminders", "tenant_id": tenant.pk,
                                   "day": DAY.isoformat()}, throw=True).get()
    assert result["status"] == "ok"


def test_an_import_delivered_too_often_fails_with_a_message(tenant, delivered):
    user = MembershipFactory(tenant=tenant, role="admin").user
    with tenant_context(tenant):
        job = import_jobs.create_job(tenant, kind="customers", name="customers.csv",
                                     content=b"code,name\nX-1,X Motors\n", user=user)
    delivered(settings.TASK_MAX_DELIVERIES + 1)

    validate_import.apply(kwargs={"job_id": job.pk, "tenant_id": tenant.pk}, throw=True)

    with tenant_context(tenant):
        job.refresh_from_db()
    assert job.status == ImportJob.Status.INVALID
    [error] = job.errors
    assert "stopped the worker 3 times" in messages.render(error["message"])


def test_deliveries_are_counted_per_task_id_and_retry(tenant, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "deliveries"}}
    task = celery_app.tasks["jobs.tasks.drain_outbox"]

    def count(task_id, retries=0):
        task.push_request(id=task_id, retries=retries, is_eager=False, called_directly=False)
        try:
            return task.delivery_count()
        finally:
            task.pop_request()

    assert [count("a"), count("a"), count("a")] == [1, 2, 3]
    assert count("b") == 1
    assert count("a", retries=1) == 1  # a retry is a new attempt with its own count
    task.push_request(id="a", is_eager=True)
    try:
        assert task.delivery_count() == 1  # in-process: nothing is ever redelivered
    finally:
        task.pop_request()


# --- e-mails in batches --------------------------------------------------------------------

def queue_emails(tenant, n):
    with tenant_context(tenant):
        for i in range(n):
            emails.queue(tenant=tenant, dedup_key=f"test:{i}", kind="test",
                         to_address=f"person{i}@example.com", subject=f"Hello {i}",
                         text="A body.")


def test_a_run_sends_every_waiting_e_mail_in_batches(tenant, monkeypatch, mailoutbox):
    monkeypatch.setattr(emails, "BATCH", 2)
    queue_emails(tenant, 5)

    with tenant_context(tenant):
        run = services.run("opl-reminders", tenant=tenant, day=DAY)

    assert run.status == "ok" and run.counts == {"emails_sent": 5}
    assert len(mailoutbox) == 5


def test_what_a_run_has_no_time_for_is_reported_and_sent_by_the_next(tenant, monkeypatch,
                                                                      mailoutbox):
    monkeypatch.setattr(emails, "BATCH", 2)
    monkeypatch.setattr(services, "SEND_EMAILS_UNTIL", timedelta(0))  # the time is up
    queue_emails(tenant, 5)

    with tenant_context(tenant):
        first = services.run("opl-reminders", tenant=tenant, day=DAY)

    assert first.status == "partial"
    assert first.counts == {"emails_left": 5}
    assert first.problems[0]["message"] == (
        "5 e-mails are still waiting: the run's time was up; they are sent next, in the "
        "background.")
    # It sent none, so it queued no follow-up: the next run goes on (no loop on a budget
    # too short for one e-mail).
    assert not OutboxMessage.objects.filter(task_name="jobs.tasks.send_emails").exists()
    assert mailoutbox == []

    monkeypatch.setattr(services, "SEND_EMAILS_UNTIL", timedelta(minutes=13))
    with tenant_context(tenant):
        second = services.run("opl-reminders", tenant=tenant, day=DAY)
    assert second.status == "ok" and second.counts == {"emails_sent": 5}
    assert len(mailoutbox) == 5


def test_the_deadline_stops_a_batch_midway(tenant, monkeypatch, mailoutbox):
    queue_emails(tenant, 5)
    clock = iter(range(100))
    monkeypatch.setattr(emails, "time", SimpleNamespace(monotonic=lambda: next(clock)))

    log = services.RunLog()
    with tenant_context(tenant):
        # The clock moves on by one at each look: the batch's, then one per e-mail.
        sent, failed = emails.send_pending(tenant, log, deadline=3)

    assert (sent, failed) == (2, 0) and len(mailoutbox) == 2
    assert log.counts["emails_left"] == 3


def test_a_run_out_of_time_queues_a_follow_up_that_drains_the_rest(tenant, monkeypatch,
                                                                   mailoutbox, celery_conf):
    celery_conf(task_always_eager=False)  # keep the follow-up in the outbox, to run it here
    monkeypatch.setattr(emails, "BATCH", 2)
    queue_emails(tenant, 5)
    # Each look at the clock moves it on by a second: time for 2 e-mails per call.
    clock = iter(range(0, 1000))
    monkeypatch.setattr(emails, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    monkeypatch.setattr(services, "time", SimpleNamespace(monotonic=lambda: 0))
    monkeypatch.setattr(services, "SEND_EMAILS_UNTIL", timedelta(seconds=3))
    monkeypatch.setattr(outbox, "publish", lambda pk: None)  # no broker here

    with tenant_context(tenant):
        run = services.run("opl-reminders", tenant=tenant, day=DAY)
    assert run.status == "partial" and run.counts["emails_sent"] == 2
    assert run.counts["emails_left"] == 3
    follow_up = OutboxMessage.objects.get(task_name="jobs.tasks.send_emails")
    assert follow_up.kwargs == {"tenant_id": tenant.pk, "kinds": None}

    # The follow-up task does the same: sends what it has time for, queues the next.
    seen = []
    while True:
        message = (OutboxMessage.objects.filter(task_name="jobs.tasks.send_emails")
                   .exclude(pk__in=seen).first())
        if message is None:
            break
        seen.append(message.pk)
        clock = iter(range(0, 1000))
        tasks.send_emails.apply(kwargs=message.kwargs).get()
    assert len(mailoutbox) == 5
    assert len({email.to[0] for email in mailoutbox}) == 5  # each once
    assert len(seen) == 2  # 2 + 2 + 1: the second follow-up found nothing left
