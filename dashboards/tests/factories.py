"""Factories of the dashboards app's models (re-exported by tests/factories.py)."""

import factory
from django.utils import timezone

from tests.factories import CustomerFactory, SameTenantSubFactory, TenantOwnedFactory

__all__ = ["AccountHealthFactory"]


class AccountHealthFactory(TenantOwnedFactory):
    class Meta:
        model = "dashboards.AccountHealth"

    customer = SameTenantSubFactory(CustomerFactory)
    value = 50
    scores = "[null, 100.0, null, 0.0, null, null]"
    facts = "{}"
    computed_on = factory.LazyFunction(lambda: timezone.now().date())
    computed_at = factory.LazyFunction(timezone.now)
