import pytest

from satisfaction import services
from tests.factories import ContactFactory, CustomerFactory, MembershipFactory


@pytest.fixture
def survey_setup(in_tenant):
    """The default template, two A/B customers (one with contacts) and an open campaign."""
    tenant = in_tenant
    kam = MembershipFactory(tenant=tenant, role="manager").user
    template = services.ensure_default_template(tenant)
    alpha = CustomerFactory(tenant=tenant, tier="A", owner=kam, name="Alpha Motors")
    beta = CustomerFactory(tenant=tenant, tier="B", name="Beta Cars")
    CustomerFactory(tenant=tenant, tier="C")
    ContactFactory(tenant=tenant, customer=alpha, department="purchasing",
                   email="buyer@alpha.example.com")
    ContactFactory(tenant=tenant, customer=alpha, department="quality", email="")
    today = tenant.today()
    campaign = services.create_campaign(tenant, year=today.year, quarter=1, template=template,
                                        closes_on=today.replace(day=28) if today.day <= 28
                                        else today, user=kam)
    result = services.open_campaign(campaign, base_url="https://kam.example.com")
    return {"tenant": tenant, "kam": kam, "template": template, "alpha": alpha, "beta": beta,
            "campaign": result.campaign, "links": result.links, "result": result}
