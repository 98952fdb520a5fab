"""The per-tenant Celery base task (`kam.celery.TenantTask`) and the scheduler's fan-out.

Tasks are run in-process here (direct call, `.apply()`, or with eager mode forced), so the
tests behave the same with and without REDIS_URL; a real worker is tested elsewhere.
"""

from datetime import timedelta

import pytest
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import Tenant
from kam.celery import TenantTask
from kam.celery import app as celery_app
from kam.tasks import fan_out
from kam.tenancy import cross_tenant, get_current_tenant, tenant_context
from notifications.models import Notification
from notifications.tasks import purge_old_notifications
from tests.factories import NotificationFactory, TenantFactory

# What the test-only tasks saw, in call order: (tenant_id argument, current tenant's pk).
seen = []


@shared_task(base=TenantTask, name="kam.tests.record_current_tenant")
def record_current_tenant(*, tenant_id):
    current = get_current_tenant()
    seen.append((tenant_id, current.pk if current else None))
    return {"tenant": current.pk if current else None}


@shared_task(base=TenantTask, name="kam.tests.fail")
def fail(*, tenant_id):
    seen.append((tenant_id, get_current_tenant().pk))
    raise ValueError("boom")


@shared_task(base=TenantTask, name="kam.tests.flaky", max_retries=3)
def flaky(*, tenant_id, failures):
    seen.append((tenant_id, get_current_tenant().pk))
    if len(seen) <= failures:
        raise ConnectionError("broker hiccup")
    return len(seen)


@pytest.fixture(autouse=True)
def clear_seen():
    seen.clear()
    yield
    seen.clear()


def tenant_tasks():
    celery_app.loader.import_default_modules()  # autodiscover every app's tasks
    return {name: task for name, task in celery_app.tasks.items() if isinstance(task, TenantTask)}


# --- Options -------------------------------------------------------------------------------


def test_tenant_task_is_acked_late_and_retried_within_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == visibility
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == visibility

    assert TenantTask.acks_late is True
    assert TenantTask.reject_on_worker_lost is True
    assert ConnectionError in TenantTask.autoretry_for
    assert TenantTask.retry_backoff
    assert TenantTask.max_retries
    # An unacked message is redelivered after the visibility timeout: a retry's countdown,
    # and a run after it, must both end well before that, or the task runs twice at once.
    assert TenantTask.retry_backoff_max < visibility
    assert TenantTask.soft_time_limit < TenantTask.time_limit < visibility
    assert TenantTask.retry_backoff_max + TenantTask.time_limit < visibility


def test_every_tenant_task_keeps_the_base_options():
    tasks = tenant_tasks()
    assert "notifications.tasks.purge_old_notifications" in tasks
    visibility = settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    for name, task in tasks.items():
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name
        assert task.retry_backoff_max < visibility, name
        assert task.time_limit < visibility, name


def test_worker_defaults_and_fan_out_options():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit < settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    assert fan_out.acks_late is True
    assert fan_out.reject_on_worker_lost is True


def test_beat_entries_fan_out_to_registered_tenant_tasks():
    tasks = tenant_tasks()
    schedule = celery_app.conf.beat_schedule
    assert schedule
    for entry_name, entry in schedule.items():
        if entry["task"].startswith("jobs.tasks."):
            continue  # the scheduled jobs pick their tenants themselves (jobs/tests)
        assert entry["task"] == "kam.tasks.fan_out", entry_name
        assert entry["args"][0] in tasks, entry_name


# --- Tenant context ------------------------------------------------------------------------


def test_task_runs_with_its_tenant_as_current_and_clears_it(tenant):
    assert get_current_tenant() is None

    result = record_current_tenant(tenant_id=tenant.pk)

    assert result == {"tenant": tenant.pk}
    assert seen == [(tenant.pk, tenant.pk)]
    assert get_current_tenant() is None


def test_task_applied_like_a_worker_runs_it_sets_the_tenant(tenant):
    result = record_current_tenant.apply(kwargs={"tenant_id": tenant.pk}, throw=True)

    assert result.get() == {"tenant": tenant.pk}
    assert get_current_tenant() is None


def test_task_restores_an_outer_tenant(tenant, other_tenant):
    with tenant_context(other_tenant):
        record_current_tenant(tenant_id=tenant.pk)
        assert get_current_tenant() == other_tenant

    assert seen == [(tenant.pk, tenant.pk)]
    assert get_current_tenant() is None


def test_tenant_is_cleared_when_the_task_fails(tenant):
    with pytest.raises(ValueError, match="boom"):
        fail(tenant_id=tenant.pk)

    assert seen == [(tenant.pk, tenant.pk)]
    assert get_current_tenant() is None


def test_transient_errors_are_retried_in_the_same_tenant(tenant, celery_conf):
    # In-process retries run at once, and only when errors are not propagated to the caller.
    celery_conf(task_eager_propagates=False)

    result = flaky.apply(kwargs={"tenant_id": tenant.pk, "failures": 2})

    assert result.get() == 3
    assert seen == [(tenant.pk, tenant.pk)] * 3
    assert get_current_tenant() is None


@pytest.mark.django_db
def test_missing_tenant_id_is_a_type_error():
    with pytest.raises(TypeError, match="tenant_id"):
        record_current_tenant()
    with pytest.raises(TypeError, match="tenant_id"):
        record_current_tenant.apply(kwargs={}, throw=True)
    assert seen == []


def test_positional_tenant_id_is_refused(tenant):
    with pytest.raises(TypeError):
        record_current_tenant(tenant.pk)
    assert seen == []


def test_deleted_tenant_is_skipped_without_error(tenant):
    gone_id = tenant.pk
    tenant.delete()

    result = record_current_tenant(tenant_id=gone_id)

    assert "skipped" in result
    assert seen == []
    assert get_current_tenant() is None


def test_inactive_tenant_is_skipped_without_error(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)

    result = record_current_tenant.apply(kwargs={"tenant_id": tenant.pk}, throw=True).get()

    assert "skipped" in result
    assert seen == []


# --- Fan-out -------------------------------------------------------------------------------


def test_fan_out_enqueues_once_per_active_tenant(tenant, other_tenant, monkeypatch):
    TenantFactory(slug="dormant", name="Dormant Trim", is_active=False)
    sent = []

    class RecordingSignature:
        def __init__(self, name, kwargs):
            self.name, self.kwargs = name, kwargs

        def delay(self):
            sent.append((self.name, self.kwargs))

    monkeypatch.setattr(
        celery_app, "signature", lambda name, kwargs=None, **options: RecordingSignature(
            name, kwargs
        )
    )

    count = fan_out("kam.tests.record_current_tenant", dry_run=True)

    assert count == 2
    assert sorted(sent, key=lambda item: item[1]["tenant_id"]) == [
        ("kam.tests.record_current_tenant", {"dry_run": True, "tenant_id": tenant.pk}),
        ("kam.tests.record_current_tenant", {"dry_run": True, "tenant_id": other_tenant.pk}),
    ]


def test_fan_out_runs_the_task_in_each_active_tenant(tenant, other_tenant, eager):
    TenantFactory(slug="dormant", name="Dormant Trim", is_active=False)

    count = fan_out("kam.tests.record_current_tenant")

    assert count == 2
    assert sorted(seen) == sorted([(tenant.pk, tenant.pk), (other_tenant.pk, other_tenant.pk)])
    assert get_current_tenant() is None


def _notifications(tenant_obj):
    """An old read, a recent read and an old unread notification of `tenant_obj`."""
    now = timezone.now()
    return {
        "old_read": NotificationFactory(tenant=tenant_obj, read_at=now - timedelta(days=120)),
        "recent_read": NotificationFactory(tenant=tenant_obj, read_at=now - timedelta(days=10)),
        "old_unread": NotificationFactory(tenant=tenant_obj, read_at=None),
    }


def _remaining(rows):
    with cross_tenant():
        existing = set(
            Notification.objects.filter(pk__in=[row.pk for row in rows.values()]).values_list(
                "pk", flat=True
            )
        )
    return {name for name, row in rows.items() if row.pk in existing}


def test_purge_deletes_old_read_notifications_of_its_tenant_only(tenant, other_tenant):
    mine, theirs = _notifications(tenant), _notifications(other_tenant)

    result = purge_old_notifications(tenant_id=tenant.pk)

    assert result == {"deleted": 1}
    assert _remaining(mine) == {"recent_read", "old_unread"}
    assert _remaining(theirs) == {"old_read", "recent_read", "old_unread"}
    # Idempotent: a second run finds nothing more to do.
    assert purge_old_notifications(tenant_id=tenant.pk) == {"deleted": 0}


def test_beat_fan_out_purges_every_active_tenant(tenant, other_tenant, eager):
    dormant = TenantFactory(slug="dormant", name="Dormant Trim")
    rows = {t.slug: _notifications(t) for t in (tenant, other_tenant, dormant)}
    Tenant.objects.filter(pk=dormant.pk).update(is_active=False)

    entry = celery_app.conf.beat_schedule["purge-old-notifications"]
    count = fan_out(*entry["args"], **entry.get("kwargs", {}))

    assert count == 2
    assert _remaining(rows["alpha"]) == {"recent_read", "old_unread"}
    assert _remaining(rows["beta"]) == {"recent_read", "old_unread"}
    assert _remaining(rows["dormant"]) == {"old_read", "recent_read", "old_unread"}
    assert get_current_tenant() is None
