"""Running a job: the run record, per-item faults, whole-run failures and the task."""

import logging
from datetime import date

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from jobs import registry, services
from jobs.models import JobRun
from jobs.tasks import run_job
from kam.celery import TenantTask
from kam.tenancy import get_current_tenant, tenant_context
from notifications.emails import recipient_language
from notifications.models import Notification
from notifications.services import notify
from tests.factories import MembershipFactory, UserFactory

DAY = date(2026, 5, 14)
calls = []


def sample_job(tenant, day, log):
    """Notifies three people; the one called "broken" fails, the rest go on."""
    calls.append((tenant.pk, day, get_current_tenant()))
    for membership in tenant_members(tenant):
        user = membership.user
        with log.item(user.email):
            with recipient_language(user, tenant):
                notify(tenant=tenant, recipient=user, kind="opl_overdue",
                       text=f"Hello {user.email}", dedup_key=f"sample:{user.pk}:{day}")
            if "broken" in user.email:
                raise ValueError("no such thing")
            log.count("notified")


def tenant_members(tenant):
    from accounts.models import Membership

    return Membership.objects.select_related("user").order_by("user__email")


def failing_job(tenant, day, log):
    with log.item("the database"):
        raise OperationalError("server closed the connection unexpectedly")


def slow_job(tenant, day, log):
    with log.item("a slow item"):
        raise SoftTimeLimitExceeded()


def noisy_job(tenant, day, log):
    for n in range(250):
        log.problem(f"problem {n}")


@pytest.fixture(autouse=True)
def test_jobs(monkeypatch):
    calls.clear()
    jobs = dict(registry.JOBS)
    for name in ("sample", "failing", "slow", "noisy"):
        jobs[name] = registry.Job(name, name, name, f"jobs.tests.test_runner.{name}_job",
                                  "daily", hour=0, minute=0)
    monkeypatch.setattr(registry, "JOBS", jobs)


@pytest.fixture
def members(tenant):
    return [MembershipFactory(tenant=tenant, user=UserFactory(email=email)).user
            for email in ("a@example.com", "broken@example.com", "c@example.com")]


def test_a_run_is_recorded_with_its_counts_and_problems(tenant, members, mailoutbox):
    with tenant_context(tenant):
        run = services.run("sample", tenant=tenant, day=DAY)

    assert calls == [(tenant.pk, DAY, tenant)]
    assert run.status == "partial"
    assert run.counts == {"notified": 2, "emails_sent": 2}
    assert run.problem_count == 1
    assert run.problems == [{"message": "broken@example.com: ValueError: no such thing",
                             "url": ""}]
    assert run.finished_at >= run.started_at
    assert (run.job, run.day, run.period_start, run.trigger) == ("sample", DAY, DAY,
                                                                 "schedule")
    with tenant_context(tenant):
        stored = JobRun.objects.get()
        # The failed item's notification was rolled back with it; the others stay.
        assert sorted(Notification.objects.values_list("recipient__email", flat=True)) == [
            "a@example.com", "c@example.com"]
    assert stored.status == "partial" and stored.counts == run.counts
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "c@example.com"]


def test_a_fault_of_the_whole_run_fails_it_and_is_raised_for_a_retry(tenant):
    with tenant_context(tenant), pytest.raises(OperationalError):
        services.run("failing", tenant=tenant, day=DAY)
    with tenant_context(tenant):
        run = JobRun.objects.get()
    assert run.status == "failed"
    assert "OperationalError: server closed the connection" in run.error
    assert run.finished_at is not None


def test_a_time_limit_is_not_swallowed_by_an_item(tenant):
    with tenant_context(tenant), pytest.raises(SoftTimeLimitExceeded):
        services.run("slow", tenant=tenant, day=DAY)
    with tenant_context(tenant):
        assert JobRun.objects.get().status == "failed"


def test_problems_are_capped_but_counted(tenant):
    with tenant_context(tenant):
        run = services.run("noisy", tenant=tenant, day=DAY)
    assert run.problem_count == 250
    assert len(run.problems) == JobRun.MAX_PROBLEMS


def test_the_task_runs_the_job_in_its_tenant(tenant, members):
    result = run_job.apply(kwargs={"name": "sample", "tenant_id": tenant.pk,
                                   "day": "2026-05-14"}, throw=True).get()

    assert result["status"] == "partial" and result["notified"] == 2
    assert calls == [(tenant.pk, DAY, tenant)]
    assert get_current_tenant() is None


def test_a_tenant_deleted_after_the_fan_out_is_skipped_and_logged(tenant, caplog):
    gone = tenant.pk
    tenant.delete()
    with caplog.at_level(logging.WARNING, logger="kam.celery"):
        result = run_job.apply(kwargs={"name": "sample", "tenant_id": gone}, throw=True).get()
    assert "skipped" in result
    assert calls == []
    assert f"tenant {gone} is gone or inactive" in caplog.text


def test_the_task_is_late_acked_retried_and_time_limited():
    assert isinstance(run_job, TenantTask)
    assert run_job.acks_late and run_job.reject_on_worker_lost
    assert OperationalError in run_job.autoretry_for
    assert ConnectionError in run_job.autoretry_for
    assert run_job.retry_backoff and run_job.max_retries
    assert run_job.soft_time_limit < run_job.time_limit
