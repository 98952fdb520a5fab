"""Factories of the dashboards app's models (re-exported by tests/factories.py)."""

from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import CustomerFactory, SameTenantSubFactory, TenantOwnedFactory

__all__ = ["AccountHealthFactory", "HealthSnapshotFactory"]


class AccountHealthFactory(TenantOwnedFactory):
    class Meta:
        model = "dashboards.AccountHealth"

    customer = SameTenantSubFactory(CustomerFactory)
    value = 50
    scores = "[null, 100.0, null, 0.0, null, null]"
    facts = "{}"
    computed_on = factory.LazyFunction(lambda: timezone.now().date())
    computed_at = factory.LazyFunction(timezone.now)


def _this_monday():
    today = timezone.now().date()
    return today - timedelta(days=today.weekday())


class HealthSnapshotFactory(TenantOwnedFactory):
    class Meta:
        model = "dashboards.HealthSnapshot"

    customer = SameTenantSubFactory(CustomerFactory)
    week = factory.LazyFunction(_this_monday)
    value = 62
    band = "watch"
    parts = factory.LazyFunction(lambda: {"satisfaction": 70.0, "opl": 60.0,
                                          "programmes": None, "relationships": 40.0,
                                          "cadence": None, "scorecard": 75.0})
    taken_at = factory.LazyFunction(timezone.now)
