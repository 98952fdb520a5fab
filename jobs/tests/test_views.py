"""The job overview and run pages (administrators), the reports (executives)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs import registry
from jobs.models import OutboxMessage
from tests.factories import JobRunFactory, ManagementReportFactory, MembershipFactory


@pytest.fixture
def login(client, tenant):
    def as_role(role):
        client.force_login(MembershipFactory(tenant=tenant, role=role).user)
        return client

    return as_role


def text(response):
    return response.content.decode()


def test_the_overview_shows_each_jobs_last_runs(tenant, login):
    JobRunFactory(tenant=tenant, job="opl-reminders", counts={"notified": 4, "emails_sent": 3})
    JobRunFactory(tenant=tenant, job="rescoring", status="running", finished_at=None,
                  started_at=timezone.now() - timedelta(hours=2), counts={}, problems=[],
                  problem_count=0)
    JobRunFactory(tenant=tenant, job="campaigns", status="failed", error="boom")
    OutboxMessage.objects.create(task_name="jobs.tasks.run_job", tenant=tenant,
                                 kwargs={"name": "rescoring", "tenant_id": tenant.pk})

    page = text(login("admin").get(reverse("job_list")))

    assert "Nightly re-scoring" in page and "Monthly management report" in page
    assert "notifications: 4 · e-mails sent: 3" in page
    assert "Stuck?" in page  # running for two hours
    assert "Failed" in page
    assert "1 task is waiting for the job queue" in page
    assert page.count("Run now") == len(registry.JOBS)


@pytest.mark.parametrize("role", ["manager", "executive", "member", "viewer"])
def test_only_administrators_see_the_jobs(tenant, login, role):
    client = login(role)
    assert client.get(reverse("job_list")).status_code == 403
    assert client.post(reverse("job_run_now"), {"name": "rescoring"}).status_code == 403


def test_a_run_page_lists_its_problems(tenant, login):
    run = JobRunFactory(tenant=tenant, status="partial", problem_count=2, problems=[
        {"message": "Carmaker 8 has no owner (KAM)", "url": "/customers/8/"},
        {"message": "The e-mail to x@example.com could not be sent", "url": ""}])

    page = text(login("admin").get(reverse("job_run", args=[run.pk])))

    assert "2 problems" in page
    assert "Carmaker 8 has no owner (KAM)" in page and 'href="/customers/8/"' in page
    assert "Done with problems" in page


def test_run_now_needs_a_known_job(tenant, login):
    response = login("admin").post(reverse("job_run_now"), {"name": "nope"}, follow=True)
    assert "Choose a job to run." in text(response)
    assert not OutboxMessage.objects.exists()


def test_executives_and_administrators_read_the_reports(tenant, login):
    report = ManagementReportFactory(tenant=tenant)
    for role in ("executive", "admin"):
        client = login(role)
        listing = text(client.get(reverse("report_list")))
        assert reverse("report_detail", args=[report.pk]) in listing
        page = text(client.get(reverse("report_detail", args=[report.pk])))
        assert "Late 8D report" in page and "P-1 · Door panel" in page
        assert "Carmaker</a>: B → A" in page
    client = login("manager")
    assert client.get(reverse("report_list")).status_code == 403
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 403


def test_the_menus_link_the_pages(tenant, login):
    page = text(login("admin").get(reverse("home")))
    assert reverse("job_list") in page and reverse("report_list") in page
    assert reverse("notification_settings") in page
    page = text(login("executive").get(reverse("home")))
    assert reverse("job_list") not in page and reverse("report_list") in page
