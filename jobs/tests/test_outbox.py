"""The outbox: tasks web code queues survive a broker outage and are published later."""

from datetime import timedelta

import pytest
from celery.canvas import Signature
from celery.signals import worker_ready
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from customers.models import ImportJob
from jobs import outbox, tasks
from jobs.models import JobRun, OutboxMessage
from kam.tenancy import tenant_context


@pytest.fixture
def celery_mode(celery_conf):
    """`celery_mode(eager=…)` for one test, whatever REDIS_URL says."""
    def change(*, eager):
        celery_conf(task_always_eager=eager, task_eager_propagates=True)
    return change


@pytest.fixture
def broker(monkeypatch, celery_mode):
    """A fake broker that can be taken down: `broker.down = True`; `broker.sent` lists what
    it accepted as (task name, kwargs, task id)."""

    class Broker:
        down = False
        sent = []

    fake = Broker()
    fake.sent = []
    celery_mode(eager=False)

    def apply_async(signature, args=None, kwargs=None, **options):
        if fake.down:
            raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        fake.sent.append((signature.task, dict(signature.kwargs), options.get("task_id")))

    monkeypatch.setattr(Signature, "apply_async", apply_async)
    return fake


def test_a_message_is_published_when_the_transaction_commits(in_tenant, broker,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue("jobs.tasks.run_job", name="opl-reminders",
                                 tenant_id=in_tenant.pk)
        assert broker.sent == []  # not before the commit

    message.refresh_from_db()
    assert broker.sent == [("jobs.tasks.run_job", {"name": "opl-reminders",
                                                   "tenant_id": in_tenant.pk},
                            str(message.task_id))]
    assert message.sent_at is not None and message.tenant_id == in_tenant.pk


def test_with_the_broker_down_the_message_waits_and_the_drain_sends_it_later(
        in_tenant, broker, django_capture_on_commit_callbacks):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(tasks.run_job, name="opl-reminders", tenant_id=in_tenant.pk)
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert "Connection refused" in message.last_error

    assert outbox.drain() == {"sent": 0, "left": 1}  # still down
    broker.down = False
    assert outbox.drain() == {"sent": 1, "left": 0}

    message.refresh_from_db()
    assert message.sent_at is not None
    assert broker.sent == [("jobs.tasks.run_job", {"name": "opl-reminders",
                                                   "tenant_id": in_tenant.pk},
                            str(message.task_id))]
    assert outbox.drain() == {"sent": 0, "left": 0}  # nothing twice


def test_the_drain_leaves_fresh_messages_to_their_request(in_tenant, broker):
    fresh = outbox.enqueue("jobs.tasks.run_job", name="rescoring", tenant_id=in_tenant.pk)
    assert outbox.drain() == {"sent": 0, "left": 1}
    OutboxMessage.objects.filter(pk=fresh.pk).update(
        created_at=timezone.now() - outbox.GRACE - timedelta(seconds=1))
    assert outbox.drain() == {"sent": 1, "left": 0}


def test_the_drain_stops_at_the_first_failure_and_forgets_old_sent_messages(in_tenant, broker):
    old = timezone.now() - timedelta(minutes=5)
    for _n in range(3):
        outbox.enqueue("jobs.tasks.run_job", name="rescoring", tenant_id=in_tenant.pk)
    OutboxMessage.objects.update(created_at=old)
    long_sent = OutboxMessage.objects.create(task_name="x", sent_at=old - timedelta(days=8))
    broker.down = True
    assert outbox.drain() == {"sent": 0, "left": 3}
    assert OutboxMessage.objects.filter(attempts=1).count() == 1  # tried one, then stopped
    assert not OutboxMessage.objects.filter(pk=long_sent.pk).exists()


def test_an_upload_succeeds_with_the_broker_down_and_is_checked_once_it_is_back(
        tenant, admin_client, broker, celery_mode, monkeypatch,
        django_capture_on_commit_callbacks):
    broker.down = True
    upload = SimpleUploadedFile("customers.csv", b"code,name\nC1,First Motors\n",
                                content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("import_customers"),
                                     {"file": upload})

    assert response.status_code == 302
    with tenant_context(tenant):
        job = ImportJob.objects.get()
    assert job.status == "uploaded"  # waiting for its check, not failed
    assert OutboxMessage.objects.get().sent_at is None
    page = admin_client.get(response.url)
    assert page.status_code == 200

    # The broker is back: the drain publishes, and the check runs (in-process here).
    monkeypatch.undo()
    celery_mode(eager=True)
    assert outbox.drain()["sent"] == 1
    with tenant_context(tenant):
        job.refresh_from_db()
    assert job.status == "validated"


def test_run_now_on_the_embedded_default_runs_the_job_and_says_how_it_went(
        tenant, admin_client, celery_mode):
    celery_mode(eager=True)
    response = admin_client.post(reverse("job_run_now"), {"name": "opl-reminders"},
                                 follow=True)
    with tenant_context(tenant):
        run = JobRun.objects.get()
    assert (run.job, run.trigger, run.status) == ("opl-reminders", "manual", "ok")
    assert "ran: OK" in response.content.decode()
    assert reverse("job_run", args=[run.pk]) in response.content.decode()


def test_run_now_on_the_embedded_default_shows_a_failed_run(tenant, admin_client, celery_mode,
                                                            monkeypatch):
    celery_mode(eager=True)

    def broken(tenant, day, log):
        raise RuntimeError("the mail server said no")

    monkeypatch.setattr("satisfaction.jobs.opl_reminders", broken)
    response = admin_client.post(reverse("job_run_now"), {"name": "opl-reminders"},
                                 follow=True)
    assert response.status_code == 200
    with tenant_context(tenant):
        run = JobRun.objects.get()
    assert run.status == "failed" and "the mail server said no" in run.error
    assert "ran: Failed" in response.content.decode()


def test_run_now_with_a_broker_queues_the_job_through_the_outbox(
        tenant, admin_client, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("job_run_now"), {"name": "opl-reminders"},
                                     follow=True)
    message = OutboxMessage.objects.get()
    assert message.kwargs["trigger"] == "manual" and message.sent_at is not None
    assert [name for name, _kwargs, _id in broker.sent] == ["jobs.tasks.run_job"]
    assert "is queued" in response.content.decode()
    with tenant_context(tenant):
        assert not JobRun.objects.exists()  # the worker runs it


def test_in_process_a_task_sent_by_name_runs_even_before_its_module_is_imported(
        tenant, celery_mode, monkeypatch, django_capture_on_commit_callbacks):
    """A web process imports task modules lazily; a task the app does not know yet must
    still run in-process on the embedded default, not go to a queue nobody reads."""
    from kam.celery import app

    celery_mode(eager=True)
    task = app.tasks["jobs.tasks.run_job"]
    monkeypatch.delitem(app.tasks, "jobs.tasks.run_job")
    monkeypatch.setattr(app.loader, "import_default_modules",
                        lambda: app.tasks.register(task))
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        outbox.enqueue("jobs.tasks.run_job", name="opl-reminders", tenant_id=tenant.pk,
                       trigger="manual")
    with tenant_context(tenant):
        assert JobRun.objects.get().status == "ok"


def test_a_worker_that_starts_drains_the_outbox(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.drain_outbox, "delay", lambda: queued.append(True))
    worker_ready.send(sender=None)
    assert queued == [True]
