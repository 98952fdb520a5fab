"""The demo programmes: stages spread, some amber and red with a readable reason,
idempotent."""

import pytest

from accounts.seed import seed_tenants
from customers import seed as customer_seed
from kam.tenancy import tenant_context
from projects import seed, selectors
from projects.models import MilestoneChange, Programme


@pytest.fixture
def demo(db):
    tenants = seed_tenants()
    for tenant in tenants.values():
        with tenant_context(tenant):
            customer_seed.seed(tenant)
            seed.seed(tenant)
    return tenants


def test_demo_programmes(demo):
    tenant = demo["demo"]
    with tenant_context(tenant):
        count = Programme.objects.count()
        assert count >= 40
        assert Programme.objects.values("stage").distinct().count() >= 6
        on, policy = selectors.context_for(tenant)
        rows = selectors.attach_programme_rag(selectors.programmes(), on, policy)
        colours = selectors.rag_counts(rows)
        assert colours["red"] and colours["amber"] and colours["green"], colours
        slips = MilestoneChange.objects.exclude(reason="")
        assert slips.filter(field__in=["planned_date", "forecast_date"]).exists()
        seed.seed(tenant)
        assert Programme.objects.count() == count
    with tenant_context(demo["second"]):
        assert 1 <= Programme.objects.count() <= 4
