"""Benchmark of webhook events from a bulk write (`make bench-webhooks`).

A throwaway tenant of N customers (default 2,500) with one quarter of figures, each
customer's stored tier set to another tier than the one it scores, so that the scoring
run changes N tiers; one webhook subscribed to `customer.tier_changed`, pointed at a
receiver on loopback (an HTTP server in a thread answering 204). Prints the time the run
spends queueing the events in its own transaction (target < 1 s for 2,000 on
PostgreSQL), the run with and without the subscription, and the delivery throughput to
the receiver (events/s, sent by this process as a worker would). The tenant is deleted
afterwards.
"""

import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import Tenant
from customers import scoring
from customers.models import Customer, PeriodFigure, ScoringRun, TierAssessment
from integrations import delivery, events, services
from integrations.models import WebhookDelivery
from jobs.models import OutboxMessage
from kam import periods
from kam.tenancy import TenantOwnedModel, tenant_context

SLUG = "bench-webhooks"
ROTATE = {"A": "B", "B": "C", "C": "A", "": "C"}


class _Receiver:
    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 — http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(self.headers.get("webhook-id"))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/bench"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Command(BaseCommand):
    help = "Times queueing and delivering the webhook events of a scoring run."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2500)
        parser.add_argument("--keep", action="store_true", help="keep the bench tenant")

    def handle(self, *args, customers, keep, **options):
        if customers < 10:
            raise CommandError("--customers must be at least 10.")
        old = Tenant.objects.filter(slug=SLUG).first()
        if old is not None:
            self.clean_up(old)
        tenant = Tenant.objects.create(slug=SLUG, name="Webhook benchmark")
        receiver = _Receiver()
        try:
            with tenant_context(tenant):
                self.build(tenant, customers)
                self.measure(tenant, receiver)
        finally:
            receiver.close()
            if not keep:
                self.clean_up(tenant)

    def build(self, tenant, n):
        started = time.perf_counter()
        period = periods.shift_period(periods.current_period(tenant.today()), -1)
        made = Customer.objects.bulk_create(
            (Customer(tenant=tenant, code=f"W{i:06d}", name=f"Bench carmaker {i}")
             for i in range(n)), batch_size=2000)
        if made[0].pk is None:
            made = list(Customer.objects.order_by("code"))
        PeriodFigure.objects.bulk_create(
            (PeriodFigure(tenant=tenant, customer=customer, period=period,
                          revenue=Decimal(10_000_000 - i * 1000), supply_share=30,
                          gross_margin=20, payment_days=60, cost_to_serve=10_000)
             for i, customer in enumerate(made)), batch_size=2000)
        # Learn the tiers a run gives (rolled back), then store other ones.
        with transaction.atomic():
            run = scoring.run_scoring(tenant)
            computed = dict(TierAssessment.objects.filter(run=run).values_list(
                "customer_id", "tier"))
            transaction.set_rollback(True)
        for customer in made:
            customer.tier = ROTATE[computed.get(customer.pk, "")]
            customer.tier_source = "computed"
        Customer.objects.bulk_update(made, ["tier", "tier_source"], batch_size=2000)
        self.stdout.write(f"bench tenant: {n} customers, built in "
                          f"{time.perf_counter() - started:.1f} s; database: "
                          f"{connection.vendor}")

    def timed_run(self, tenant):
        """A scoring run in its own transaction, rolled back; (seconds of the run,
        seconds in emit, events queued)."""
        spent = []
        emit = events.emit

        def timed_emit(*args, **kwargs):
            started = time.perf_counter()
            try:
                return emit(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        events.emit = timed_emit
        try:
            with transaction.atomic():
                started = time.perf_counter()
                run = scoring.run_scoring(tenant)
                took = time.perf_counter() - started
                queued = WebhookDelivery.objects.filter(event="customer.tier_changed").count()
                changes = run.changes
                transaction.set_rollback(True)
        finally:
            events.emit = emit
        return took, spent[0] if spent else 0.0, queued, changes

    def measure(self, tenant, receiver):
        self.timed_run(tenant)  # warm the caches: the first run reads everything from disk
        without, _emit, _queued, changes = self.timed_run(tenant)
        self.stdout.write(f"scoring run without a subscription: {without:.3f} s, "
                          f"{changes} tiers changed")
        webhook = services.create_webhook(tenant=tenant, user=None, url=receiver.url,
                                          events=["customer.tier_changed"])
        with_hook, emit_seconds, queued, changes = self.timed_run(tenant)
        self.stdout.write(f"scoring run with one subscription:  {with_hook:.3f} s "
                          f"(+{with_hook - without:.3f} s)")
        self.stdout.write(f"queueing {queued} customer.tier_changed events in the run's "
                          f"transaction: {emit_seconds:.3f} s "
                          f"(target < 1 s for 2,000 on PostgreSQL)")

        # The events for real, then sent by this process as a worker would.
        with transaction.atomic():
            ScoringRun.objects.all().delete()
            scoring.run_scoring(tenant)
            # The bench sends them itself below: nothing for a broker or an in-process run.
            OutboxMessage.objects.filter(tenant=tenant).delete()
        total = WebhookDelivery.objects.filter(webhook=webhook).count()
        started = time.perf_counter()
        counts = delivery.deliver_due(tenant, budget=600)
        took = time.perf_counter() - started
        delivered = WebhookDelivery.objects.filter(webhook=webhook,
                                                   status="delivered").count()
        self.stdout.write(
            f"delivery: {delivered}/{total} delivered to a loopback receiver in {took:.2f} s"
            f" = {delivered / took:.0f} events/s ({settings.WEBHOOK_SEND_THREADS} parallel "
            f"sends, batches of {delivery.BATCH}; {counts['retrying']} to retry); "
            f"receiver saw {len(set(receiver.received))} distinct webhook-ids")

    def clean_up(self, tenant):
        started = time.perf_counter()
        models = [m for m in apps.get_models() if issubclass(m, TenantOwnedModel)]
        with transaction.atomic(), tenant_context(tenant):
            for model in models:
                model.objects.filter(tenant=tenant)._raw_delete(connection.alias)
            OutboxMessage.objects.filter(tenant=tenant).delete()
            Tenant.objects.filter(pk=tenant.pk).delete()
        self.stdout.write(f"bench tenant deleted in {time.perf_counter() - started:.1f} s")
