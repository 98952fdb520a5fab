"""Webhooks end to end, against a real receiver on loopback that verifies every signature
with the Standard Webhooks library: events written in the change's transaction, one per
changed record, retried with backoff, switched off after repeated failure, kept per
tenant."""

import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers import import_jobs, scoring
from customers import services as customer_services
from customers.models import Customer
from integrations import delivery, events, services
from integrations.models import WebhookDelivery
from integrations.tests.receiver import Receiver, Silent
from integrations.webhooks import new_secret
from jobs.models import OutboxMessage
from kam import periods
from kam.tenancy import cross_tenant, tenant_context
from notifications.models import Notification, OutgoingEmail
from tests.factories import (
    CustomerFactory,
    ImportJobFactory,
    MembershipFactory,
    PeriodFigureFactory,
)

Status = WebhookDelivery.Status


def subscribe(tenant, url, events_=("customer.tier_changed",), user=None):
    with tenant_context(tenant):
        return services.create_webhook(tenant=tenant, user=user, url=url, events=events_)


def deliveries(**filters):
    return list(WebhookDelivery.objects.filter(**filters).order_by("id"))


def pin_tier(customer, tier, executive):
    return customer_services.set_tier_override(
        customer, tier=tier, reason="Strategic", expires_on=customer.tenant.today(),
        user=executive, role="executive")


@pytest.fixture
def executive(tenant):
    return MembershipFactory(tenant=tenant, role="executive").user


def last_complete_quarter(tenant):
    return periods.shift_period(periods.current_period(tenant.today()), -1)


def portfolio(tenant, n):
    """n customers, all tier C, whose revenue falls with their number: a scoring run
    moves the top ones to A and B."""
    period = last_complete_quarter(tenant)
    customers = []
    for i in range(n):
        customer = CustomerFactory(tenant=tenant, code=f"K{i:03d}", tier="C",
                                   tier_source="computed")
        PeriodFigureFactory(tenant=tenant, customer=customer, period=period,
                            revenue=1_000_000 - i * 10_000, supply_share=30, gross_margin=20,
                            payment_days=60, cost_to_serve=10_000)
        customers.append(customer)
    return customers


def test_a_tier_change_reaches_the_receiver_signed_with_the_webhooks_secret(
        in_tenant, executive):
    customer = CustomerFactory(tenant=in_tenant, code="CJA", tier="C", tier_source="computed")
    with Receiver(secret=None) as receiver:
        webhook = subscribe(in_tenant, receiver.url)
        receiver.secret = webhook.secret
        pin_tier(customer, "A", executive)
        [queued] = deliveries()
        assert delivery.deliver_due(in_tenant)["delivered"] == 1

    [request] = receiver.requests
    assert request["verified"] is True
    assert request["headers"]["webhook-id"] == queued.event_id
    assert request["headers"]["content-type"] == "application/json"
    body = request["payload"]
    assert body["type"] == "customer.tier_changed"
    assert body["data"]["customer"] == {"id": customer.pk, "code": "CJA",
                                        "name": customer.name}
    assert body["data"]["tier"] == {"from": "C", "to": "A"}
    assert body["data"]["cause"] == "override"
    queued.refresh_from_db()
    assert (queued.status, queued.status_code, queued.attempts) == (Status.DELIVERED, 200, 1)
    assert queued.delivered_at is not None


def test_a_wrong_secret_does_not_verify(in_tenant, executive):
    """The receiver's check can fail: signed with another secret, it refuses."""
    customer = CustomerFactory(tenant=in_tenant, code="CJB", tier="C")
    with Receiver(secret=None) as receiver:
        subscribe(in_tenant, receiver.url)
        receiver.secret = new_secret()  # another secret than the webhook's
        pin_tier(customer, "B", executive)
        delivery.deliver_due(in_tenant)
    assert [r["verified"] for r in receiver.requests] == [False]


def test_a_receiver_failing_three_times_gets_the_event_once_more_with_the_same_id(
        in_tenant, executive):
    customer = CustomerFactory(tenant=in_tenant, code="CJA", tier="C")
    with Receiver(codes=[500, 500, 500, 200]) as receiver:
        webhook = subscribe(in_tenant, receiver.url)
        receiver.secret = webhook.secret
        pin_tier(customer, "A", executive)
        now = timezone.now()
        waits = []
        for _attempt in range(4):
            delivery.deliver_due(in_tenant, now=now)
            [row] = deliveries()
            if row.status == Status.PENDING:
                waits.append(round((row.next_attempt_at - now).total_seconds()))
                # Nothing is sent before the retry's time.
                assert delivery.deliver_due(in_tenant, now=now)["delivered"] == 0
                now = row.next_attempt_at
        # Long after: nothing more is sent.
        delivery.deliver_due(in_tenant, now=now + timedelta(days=2))

    assert waits == [5, 5 * 60, 30 * 60]
    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1
    assert all(r["verified"] for r in receiver.requests)
    [row] = deliveries()
    assert (row.status, row.attempts, row.status_code, row.last_error) == (
        Status.DELIVERED, 4, 200, "")
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0
    assert webhook.is_active


def test_repeated_failure_switches_the_webhook_off_and_tells_the_admins(in_tenant,
                                                                       executive):
    admin = MembershipFactory(tenant=in_tenant, role="admin").user
    manager = MembershipFactory(tenant=in_tenant, role="manager").user
    customers = [CustomerFactory(tenant=in_tenant, code=f"F{i}", tier="C") for i in range(3)]
    with Receiver(codes=[500]) as receiver:
        webhook = subscribe(in_tenant, receiver.url)
        for customer in customers:
            pin_tier(customer, "A", executive)
        now = timezone.now()
        for wait in delivery.SCHEDULE:
            now += timedelta(seconds=wait)
            delivery.deliver_due(in_tenant, now=now)
        sent = len(receiver.requests)
        # Switched off: later changes queue nothing, and nothing more is sent.
        pin_tier(customers[0], "B", executive)
        delivery.deliver_due(in_tenant, now=now + timedelta(days=3))

    assert sent == len(receiver.requests) == 3 * len(delivery.SCHEDULE)
    webhook.refresh_from_db()
    assert not webhook.is_active
    assert webhook.disabled_at is not None
    assert "3 deliveries in a row failed" in webhook.disabled_reason
    assert "HTTP 500" in webhook.disabled_reason
    assert [row.status for row in deliveries()] == [Status.FAILED] * 3
    notices = Notification.objects.filter(kind="webhook_disabled")
    assert [n.recipient for n in notices] == [admin]
    assert receiver.url in notices[0].display_text
    assert not Notification.objects.filter(recipient=manager).exists()
    assert OutgoingEmail.objects.filter(kind="webhook_disabled",
                                        to_address=admin.email).count() == 1
    assert OutboxMessage.objects.filter(task_name="jobs.tasks.send_emails").exists()


def test_a_failing_webhook_is_not_switched_off_while_deliveries_still_succeed(in_tenant,
                                                                               executive):
    customer = CustomerFactory(tenant=in_tenant, code="OK1", tier="C")
    attempts = len(delivery.SCHEDULE)
    with Receiver(codes=[500] * attempts * 2 + [200]) as receiver:
        webhook = subscribe(in_tenant, receiver.url)
        now = timezone.now()
        for tier in ("A", "B", "C"):  # one change at a time, each retried to the end
            pin_tier(customer, tier, executive)
            for wait in delivery.SCHEDULE:
                now += timedelta(seconds=wait)
                delivery.deliver_due(in_tenant, now=now)
            if tier == "B":
                webhook.refresh_from_db()
                assert webhook.failed_deliveries == 2
    assert len(receiver.requests) == 2 * attempts + 1
    webhook.refresh_from_db()
    # Two deliveries failed for good, then one went through: the count starts again.
    assert webhook.is_active
    assert (webhook.failed_deliveries, webhook.consecutive_failures) == (0, 0)
    assert sorted(row.status for row in deliveries()) == [Status.DELIVERED, Status.FAILED,
                                                          Status.FAILED]


def test_a_scoring_run_queues_one_event_per_changed_tier(in_tenant):
    portfolio(in_tenant, 40)
    with Receiver() as receiver:
        webhook = subscribe(in_tenant, receiver.url,
                            ("customer.tier_changed", "scoring_run.completed"))
        run = scoring.run_scoring(in_tenant)
        sent = delivery.deliver_due(in_tenant)
    assert run.changes == 12  # 4 A and 8 B out of 40 C
    changed = deliveries(event="customer.tier_changed", webhook=webhook)
    assert len(changed) == 12
    codes = sorted(row.payload["data"]["customer"]["code"] for row in changed)
    assert codes == [f"K{i:03d}" for i in range(12)]
    tiers = {row.payload["data"]["customer"]["code"]: row.payload["data"]["tier"]
             for row in changed}
    assert tiers["K000"] == {"from": "C", "to": "A"}
    assert tiers["K011"] == {"from": "C", "to": "B"}
    assert all(row.payload["data"]["scoring_run"] == run.pk for row in changed)
    [completed] = deliveries(event="scoring_run.completed")
    assert completed.payload["data"]["scoring_run"]["changes"] == 12
    assert sent["delivered"] == 13
    assert sorted(r["payload"]["type"] for r in receiver.requests).count(
        "customer.tier_changed") == 12
    # A second run changes nothing: no tier event.
    scoring.run_scoring(in_tenant)
    assert len(deliveries(event="customer.tier_changed")) == 12


def test_emit_costs_a_fixed_number_of_queries_whatever_the_records(in_tenant):
    webhooks = [subscribe(in_tenant, f"https://hooks{i}.example.com/kam") for i in range(2)]
    events.subscribed_events(in_tenant)  # cached, as after the first change
    records = [{"customer": {"id": i, "code": f"C{i}"}} for i in range(1500)]
    with CaptureQueriesContext(connection) as queries:
        assert events.emit("customer.tier_changed", tenant=in_tenant, records=records) == 3000
    table = WebhookDelivery._meta.db_table
    inserts = [q for q in queries if f'INSERT INTO "{table}"' in q["sql"]]
    others = [q for q in queries if q not in inserts and "SAVEPOINT" not in q["sql"]]
    # The webhooks read, the outbox row: and the deliveries in as few INSERTs as the
    # database's parameter limit allows (one on PostgreSQL).
    assert len(others) == 2
    fields = len(WebhookDelivery._meta.concrete_fields) - 1
    batch = min(2000, connection.ops.bulk_batch_size([None] * fields, records) or 2000)
    assert len(inserts) == -(-3000 // batch)
    assert WebhookDelivery.objects.filter(webhook=webhooks[1]).count() == 1500
    assert len({row.event_id for row in WebhookDelivery.objects.all()}) == 3000
    assert OutboxMessage.objects.filter(task_name=events.DELIVERY_TASK).count() == 1


def test_a_tenant_without_webhooks_pays_no_query_for_events(
        in_tenant, django_assert_num_queries):
    events.subscribed_events(in_tenant)
    with django_assert_num_queries(0):
        assert events.emit("customer.tier_changed", tenant=in_tenant,
                           records=[{"customer": {"id": 1}}]) == 0


def test_an_import_sends_import_completed_in_its_transaction(in_tenant):
    subscribe(in_tenant, "https://hooks.example.com/kam", ("import.completed",))
    job = ImportJobFactory(tenant=in_tenant, content=b"code,name\nC1,One\nC2,Two\n",
                           total_rows=2)
    assert import_jobs.start_commit(job)
    job = import_jobs.commit_job(job)
    assert job.status == "done"
    [row] = deliveries(event="import.completed")
    assert row.payload["data"]["import"] == {
        "id": job.pk, "kind": "customers", "file_name": job.original_filename, "rows": 2,
        "created": 2, "updated": 0}


def test_a_failed_import_sends_nothing(in_tenant):
    subscribe(in_tenant, "https://hooks.example.com/kam", ("import.completed",))
    job = ImportJobFactory(tenant=in_tenant, content=b"code,name\n,No code\n")
    assert import_jobs.start_commit(job)
    assert import_jobs.commit_job(job).status == "failed"
    assert deliveries() == []


def test_a_rolled_back_change_sends_nothing(in_tenant, executive):
    customer = CustomerFactory(tenant=in_tenant, code="RB1", tier="C")
    subscribe(in_tenant, "https://hooks.example.com/kam")
    with pytest.raises(RuntimeError), transaction.atomic():
        pin_tier(customer, "A", executive)
        assert len(deliveries()) == 1  # written in the change's transaction…
        raise RuntimeError("the request failed after the change")
    assert deliveries() == []  # …so gone with it
    assert not OutboxMessage.objects.filter(task_name=events.DELIVERY_TASK).exists()
    assert Customer.objects.get(pk=customer.pk).tier == "C"


def test_a_change_goes_only_to_its_own_tenants_webhooks(tenant, other_tenant):
    executive = MembershipFactory(tenant=tenant, role="executive").user
    mine = subscribe(tenant, "https://alpha.example.com/kam")
    theirs = subscribe(other_tenant, "https://beta.example.com/kam")
    customer = CustomerFactory(tenant=tenant, code="ISO", tier="C")
    with tenant_context(tenant):
        pin_tier(customer, "A", executive)
    with cross_tenant():
        assert WebhookDelivery.objects.filter(webhook=mine).count() == 1
        assert WebhookDelivery.objects.filter(webhook=theirs).count() == 0
        assert WebhookDelivery.objects.filter(tenant=other_tenant).count() == 0
    # Each tenant's delivery run sees only its own rows.
    with tenant_context(other_tenant):
        assert delivery.claim() == []


@override_settings(WEBHOOK_EAGER_TIMEOUT=0.5, WEBHOOK_TIMEOUT=0.5)
def test_a_hung_receiver_holds_an_in_process_delivery_only_for_the_timeout(in_tenant,
                                                                           executive):
    customer = CustomerFactory(tenant=in_tenant, code="HUNG", tier="C")
    with Silent() as receiver:
        subscribe(in_tenant, receiver.url)
        pin_tier(customer, "A", executive)
        started = time.monotonic()
        result = delivery.deliver_due(in_tenant)
        took = time.monotonic() - started
    assert took < 3
    assert result["retrying"] == 1
    [row] = deliveries()
    assert row.status == Status.PENDING
    assert "timed out" in row.last_error.lower()


def test_the_embedded_default_delivers_after_commit_in_process(
        in_tenant, executive, django_capture_on_commit_callbacks, celery_conf):
    celery_conf(task_always_eager=True)  # no broker: tasks run where they are sent
    customer = CustomerFactory(tenant=in_tenant, code="EAG", tier="C")
    with Receiver() as receiver:
        subscribe(in_tenant, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            pin_tier(customer, "A", executive)
    assert len(receiver.requests) == 1
    assert deliveries()[0].status == Status.DELIVERED


def test_a_claimed_delivery_whose_worker_died_is_sent_again_after_its_lease(in_tenant,
                                                                            executive):
    customer = CustomerFactory(tenant=in_tenant, code="LEASE", tier="C")
    with Receiver() as receiver:
        subscribe(in_tenant, receiver.url)
        pin_tier(customer, "A", executive)
        now = timezone.now()
        [claimed] = delivery.claim(now=now)  # … and the worker is killed here
        assert delivery.deliver_due(in_tenant, now=now)["delivered"] == 0  # leased
        later = now + delivery.lease() + timedelta(seconds=1)
        assert delivery.deliver_due(in_tenant, now=later)["delivered"] == 1
    assert receiver.ids() == [claimed.event_id]
    [row] = deliveries()
    assert (row.status, row.attempts) == (Status.DELIVERED, 2)


def test_milestone_programme_opl_and_survey_events_come_from_their_write_paths(in_tenant):
    from projects import services as project_services
    from projects.tests.factories import ProgrammeFactory
    from satisfaction import services as satisfaction_services

    subscribe(in_tenant, "https://hooks.example.com/kam", list(events.EVENTS))
    admin = MembershipFactory(tenant=in_tenant, role="admin").user
    programme = ProgrammeFactory(tenant=in_tenant)
    project_services.update_programme(programme, stage="production")
    [stage] = deliveries(event="programme.stage_changed")
    assert stage.payload["data"]["stage"]["to"] == "production"

    milestone = project_services.add_milestone(
        programme, kind="other", name="Tooling", planned_date=in_tenant.today() + timedelta(
            days=30))
    project_services.update_milestone(milestone, forecast_date=in_tenant.today()
                                      + timedelta(days=60), user=admin)
    [slipped] = deliveries(event="milestone.slipped")
    assert slipped.payload["data"]["days"] == 30

    item = satisfaction_services.create_item(
        in_tenant, user=admin, customer=programme.customer, title="8D for the PPM spike",
        owner=admin, due_date=in_tenant.today() + timedelta(days=10))
    [created] = deliveries(event="opl_item.created")
    assert created.payload["data"]["opl_item"]["title"] == "8D for the PPM spike"
    satisfaction_services.update_item(item, user=admin, role="admin", status="in_progress")
    [moved] = deliveries(event="opl_item.status_changed")
    assert moved.payload["data"]["status"] == {"from": "open", "to": "in_progress"}
    assert isinstance(date.fromisoformat(created.payload["data"]["opl_item"]["due_date"]),
                      date)


@override_settings(WEBHOOK_EAGER_TIMEOUT=0.5, WEBHOOK_EAGER_BUDGET=0.2)
def test_in_process_many_deliveries_to_a_hung_receiver_hold_the_request_briefly(
        in_tenant, celery_conf):
    from integrations import tasks

    celery_conf(task_always_eager=True)
    with Silent() as receiver:
        subscribe(in_tenant, receiver.url, ("import.completed",))
        events.emit("import.completed", tenant=in_tenant,
                    records=[{"import": {"id": n}} for n in range(40)])
        started = time.monotonic()
        result = tasks.deliver_webhooks.apply(kwargs={"tenant_id": in_tenant.pk}).get()
        took = time.monotonic() - started
    # One round of parallel sends, then the budget is up: the rest waits.
    assert took < 2
    assert result["retrying"] == 4
    assert WebhookDelivery.objects.filter(attempts=0).count() == 36


def test_a_survey_answer_sends_survey_responded(in_tenant):
    from satisfaction import services as satisfaction_services
    from satisfaction.tests.factories import QuestionFactory, SurveyFactory

    subscribe(in_tenant, "https://hooks.example.com/kam", ("survey.responded",))
    survey = SurveyFactory(tenant=in_tenant)
    question = QuestionFactory(tenant=in_tenant, template=survey.template)
    questions = satisfaction_services.questions_for(survey, "logistics")
    satisfaction_services.save_response(survey, department="logistics",
                                        scores={q.pk: 4 for q in questions}, source="agency")
    [row] = deliveries(event="survey.responded")
    data = row.payload["data"]
    assert data["survey"] == {"id": survey.pk, "campaign": survey.campaign_id,
                              "customer": survey.customer_id}
    assert data["response"]["department"] == "logistics"
    assert data["response"]["answers"] == len(questions)
    assert question in questions


def test_a_health_refresh_sends_the_customers_whose_band_moved(in_tenant):
    from dashboards import derived
    from dashboards.tests.factories import AccountHealthFactory
    from tests.factories import OplItemFactory

    subscribe(in_tenant, "https://hooks.example.com/kam", ("customer.health_band_changed",))
    moved, steady = (CustomerFactory(tenant=in_tenant, code=code) for code in ("MOV", "STD"))
    late = in_tenant.today() - timedelta(days=3)
    for customer, stored in ((moved, 95), (steady, 65)):
        AccountHealthFactory(tenant=in_tenant, customer=customer, value=stored, stale=True)
        for n in range(2):  # two overdue items: the OPL part scores 60, a "watch"
            OplItemFactory(tenant=in_tenant, customer=customer, due_date=late,
                           title=f"Late {n}")
    found = derived.refresh(Customer.objects.filter(pk__in=[moved.pk, steady.pk]),
                            tenant=in_tenant)
    assert {found[moved.pk].band, found[steady.pk].band} == {"watch"}
    [row] = deliveries(event="customer.health_band_changed")
    assert row.payload["data"]["customer"]["code"] == "MOV"
    assert row.payload["data"]["band"] == {"from": "good", "to": "watch"}


def test_beats_round_sends_what_is_due_in_every_tenant(tenant, other_tenant, celery_conf):
    from kam.celery import app

    celery_conf(task_always_eager=True)
    entry = app.conf.beat_schedule["webhook-deliveries"]
    now = timezone.now()
    with Receiver() as receiver:
        for owner in (tenant, other_tenant):
            webhook = subscribe(owner, receiver.url, ("import.completed",))
            with tenant_context(owner):
                WebhookDelivery.objects.create(
                    tenant=owner, webhook=webhook, event="import.completed",
                    event_id=events.new_event_id(), payload={"type": "import.completed"},
                    next_attempt_at=now - timedelta(seconds=1))
        app.signature(entry["task"], args=entry["args"]).apply()
    assert len(receiver.requests) == 2
    with cross_tenant():
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
