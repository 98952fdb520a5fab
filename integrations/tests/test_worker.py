"""Webhook deliveries on a real Celery worker (tests.celery_stack: a private Redis, the
worker as a subprocess, PostgreSQL shared with the test): delivered through the worker,
and a worker killed (SIGKILL) while sending loses nothing."""

import threading
import time

from integrations.models import Webhook, WebhookDelivery
from integrations.tests.receiver import Receiver
from kam.tenancy import cross_tenant
from tests.celery_stack import CELERY, MARKS, wait_for
from tests.factories import TenantFactory

pytestmark = MARKS

LEASE = 3  # seconds: a killed worker's claim runs out quickly here

SEND_TEST = """
import json
from django.db import transaction
from integrations import services
from integrations.models import Webhook
from accounts.models import Tenant
from kam.tenancy import tenant_context
tenant = Tenant.objects.get(slug="{slug}")
with tenant_context(tenant), transaction.atomic():
    webhook = Webhook.objects.get()
    row = services.send_test(webhook)
print(json.dumps({{"event_id": row.event_id}}))
"""


def start_worker(stack, name):
    return stack.start(name, [str(CELERY), "-A", "kam", "worker", "--pool=solo",
                              "--concurrency=1", "-l", "info", "-n",
                              f"{name}-{stack.port}@%h", "--without-gossip",
                              "--without-mingle"], WEBHOOK_LEASE_SECONDS=str(LEASE))


def subscribed_tenant(slug, url):
    tenant = TenantFactory(slug=slug)
    with cross_tenant():
        webhook = Webhook.objects.create(tenant=tenant, url=url, events=["import.completed"])
    return tenant, webhook


def the_delivery():
    with cross_tenant():
        return WebhookDelivery.objects.get()


def test_the_worker_delivers_a_signed_event(stack):
    with Receiver() as receiver:
        tenant, webhook = subscribed_tenant("hooks-worker", receiver.url)
        receiver.secret = webhook.secret
        stack.start_redis()
        start_worker(stack, "worker")
        sent = stack.run_web(SEND_TEST.format(slug=tenant.slug))
        wait_for(lambda: the_delivery().status == "delivered", "the delivery", stack)
    assert receiver.ids() == [sent["event_id"]]
    assert receiver.requests[0]["verified"] is True
    assert the_delivery().attempts == 1


def test_a_worker_killed_while_sending_loses_nothing(stack):
    hold = threading.Event()
    with Receiver(hold=hold) as receiver:
        tenant, webhook = subscribed_tenant("hooks-kill", receiver.url)
        receiver.secret = webhook.secret
        stack.start_redis()
        worker = start_worker(stack, "doomed")
        sent = stack.run_web(SEND_TEST.format(slug=tenant.slug))
        # The receiver holds the first request: the worker is in the middle of sending.
        wait_for(receiver.arrived.is_set, "the first attempt to arrive", stack)
        assert the_delivery().status == "sending"
        worker.kill()  # SIGKILL: no clean-up, no ack
        worker.wait(timeout=10)
        stack.stop("doomed")
        hold.set()
        receiver.hold = None  # the next attempt is answered at once
        time.sleep(LEASE + 0.5)  # the dead worker's claim runs out
        start_worker(stack, "rescuer")
        wait_for(lambda: the_delivery().status == "delivered", "the redelivery", stack)
    assert receiver.ids() == [sent["event_id"], sent["event_id"]]
    assert all(request["verified"] for request in receiver.requests)
    assert the_delivery().attempts == 2
