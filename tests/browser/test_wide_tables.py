"""Wide tables and timelines on a phone: where a box scrolls sideways, a keyboard user can
reach it (a tab stop) and scroll it with the arrow keys, a screen reader names it, and the
page passes axe-core (scrollable regions, contrast of the falling-trend red and the
outlined danger buttons on the page's grey)."""

import pytest
from django.db.models import F

from dashboards.tests.portfolio import build_portfolio, quarter_of
from kam.tenancy import tenant_context
from satisfaction.models import Answer
from tests.browser.conftest import assert_accessible, log_in, url
from tests.factories import CampaignFactory, MembershipFactory, TenantFactory

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# The scrolling boxes of the page, as a keyboard and a screen reader meet them.
REGIONS = """() => [...document.querySelectorAll('.table-responsive, .overflow-auto')]
    .filter(box => box.scrollWidth > box.clientWidth)
    .map(box => ({tabindex: box.getAttribute('tabindex'), role: box.getAttribute('role'),
                  label: box.getAttribute('aria-label') || ''}))"""


@pytest.fixture
def portfolio(transactional_db):
    tenant = TenantFactory(slug="huaxin", name="Huaxin Automotive Interiors")
    portfolio = build_portfolio(tenant, size=5, prefix="North")
    year, quarter = quarter_of(tenant.today())
    last_year, last_quarter = quarter_of(tenant.today(), 1)
    with tenant_context(tenant):
        template = portfolio.customers[0].surveys.first().template
        # Every account answered one point lower last quarter: the trends fall.
        Answer.objects.filter(response__survey__campaign__year=last_year,
                              response__survey__campaign__quarter=last_quarter
                              ).update(score=F("score") - 1)
    portfolio.open_campaign = CampaignFactory(tenant=tenant, template=template, year=year,
                                              quarter=quarter, status="open")
    return portfolio


def test_wide_boxes_scroll_from_the_keyboard_and_the_pages_pass_axe(new_page, live_server,
                                                                    portfolio):
    admin = MembershipFactory(tenant=portfolio.tenant, role="admin").user
    page = new_page(**PHONE)
    log_in(page, live_server, admin)
    customer = portfolio.customers[3]
    with tenant_context(portfolio.tenant):
        report = url(live_server, "satisfaction_customer_report", customer.pk)
        wide = [url(live_server, "customer_detail", customer.pk), report,
                url(live_server, "satisfaction_portfolio"),
                url(live_server, "programme_detail", portfolio.programmes[0].pk),
                url(live_server, "customer_list"), url(live_server, "opl_list")]
        campaign = url(live_server, "campaign_detail", portfolio.open_campaign.pk)

    for address in [*wide, campaign]:
        page.goto(address)
        regions = page.evaluate(REGIONS)
        assert regions or address == campaign, f"{address}: nothing scrolls on a phone"
        for region in regions:
            assert region["tabindex"] == "0" and region["role"] == "region", (address, region)
            assert region["label"].strip(), (address, region)
        assert_accessible(page)
        if address == wide[2]:  # the falling trend on the page's grey, next to the title
            assert page.locator("main > div p .trend-down").is_visible()
    assert page.get_by_role("button", name="Close the campaign").is_visible()

    page.goto(report)
    table = page.locator("[data-scroll-focus]").first
    table.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("box => box.scrollLeft > 0", arg=table.element_handle())
    assert not page.errors
