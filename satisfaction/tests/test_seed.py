"""The demo data: four quarters of campaigns and answers with weak departments, OPL items
in every state (some stale, some overdue), proposals waiting; idempotent."""

import pytest

from accounts.seed import seed_tenants
from customers import seed as customer_seed
from kam.tenancy import tenant_context
from satisfaction import index, opl, seed, selectors
from satisfaction.models import Answer, Campaign, OplItem, OplProposal, Response


@pytest.fixture
def demo(db):
    tenants = seed_tenants()
    for tenant in tenants.values():
        with tenant_context(tenant):
            customer_seed.seed(tenant)
            seed.seed(tenant)
    return tenants


def test_demo_satisfaction(demo):
    tenant = demo["demo"]
    with tenant_context(tenant):
        campaigns = list(Campaign.objects.order_by("year", "quarter"))
        assert len(campaigns) == 4
        assert [c.status for c in campaigns] == ["closed", "closed", "closed", "open"]
        periods = [c.period_index for c in campaigns]
        assert periods == list(range(periods[0], periods[0] + 4))  # consecutive quarters
        for campaign in campaigns:
            assert Response.objects.filter(survey__campaign=campaign).count() >= 10
        assert Response.objects.filter(source="agency").exists()
        assert Response.objects.filter(source="online").exists()

        # A realistic spread: most cells fine, some weak, not all the same.
        cells = index.grouped(Answer.objects.filter(response__survey__campaign=campaigns[-2]),
                              "response__survey__customer_id", "response__department")
        values = [v for v in cells.values() if v is not None]
        assert min(values) < 50 and max(values) >= 75
        assert sum(1 for v in values if v < 50) < len(values) / 3
        # Reports have trend and movers between the last two closed quarters.
        report = selectors.portfolio_report(campaigns[-2])
        assert report["trend"] is not None and (report["movers_up"] or report["movers_down"])

        items = opl.annotate_flags(OplItem.objects.all(), today=tenant.today())
        assert set(items.values_list("status", flat=True)) == set(OplItem.Status.values)
        assert items.filter(is_stale=True).exists() and items.filter(is_overdue=True).exists()
        assert all(i.updates.exists() for i in OplItem.objects.all())
        assert OplItem.objects.filter(source="survey", answer__isnull=False).exists()
        assert OplProposal.objects.filter(status="pending").exists()
        assert OplProposal.objects.filter(status="dismissed").exists()

        counts = (Campaign.objects.count(), Response.objects.count(), OplItem.objects.count())
        seed.seed(tenant)
        assert (Campaign.objects.count(), Response.objects.count(),
                OplItem.objects.count()) == counts
    with tenant_context(demo["second"]):
        assert Campaign.objects.count() == 1 and Response.objects.exists()
