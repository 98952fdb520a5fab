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


def test_run_now_queues_the_job_through_the_outbox(tenant, admin_client, celery_mode,
                                                   django_capture_on_commit_callbacks):
    celery_mode(eager=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("job_run_now"), {"name": "opl-reminders"})
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.kwargs["trigger"] == "manual" and message.sent_at is not None
    with tenant_context(tenant):
        run = JobRun.objects.get()
    assert (run.job, run.trigger, run.status) == ("opl-reminders", "manual", "ok")


def test_a_worker_that_starts_drains_the_outbox(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.drain_outbox, "delay", lambda: queued.append(True))
    worker_ready.send(sender=None)
    assert queued == [True]
