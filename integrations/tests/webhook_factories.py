"""factory-boy factories for the webhook models; re-exported by tests/factories.py."""

import factory
from django.utils import timezone

from tests.factories import SameTenantSubFactory, TenantOwnedFactory


class WebhookFactory(TenantOwnedFactory):
    class Meta:
        model = "integrations.Webhook"

    url = factory.Sequence(lambda n: f"https://hooks.example.com/kam/{n}")
    description = factory.Sequence(lambda n: f"Receiver {n}")
    events = factory.LazyFunction(lambda: ["customer.tier_changed"])


class WebhookDeliveryFactory(TenantOwnedFactory):
    class Meta:
        model = "integrations.WebhookDelivery"

    webhook = SameTenantSubFactory(WebhookFactory)
    event = "customer.tier_changed"
    event_id = factory.Sequence(lambda n: f"msg_factory{n:020d}")
    payload = factory.LazyFunction(lambda: {"type": "customer.tier_changed",
                                            "timestamp": timezone.now().isoformat(),
                                            "data": {"customer": {"code": "C1"}}})
    status = "delivered"
    status_code = 200
    attempts = 1
    delivered_at = factory.LazyFunction(timezone.now)
