"""End-to-end flows in headless Chromium: Playwright drives the system's Chromium (Debian's
package, `CHROMIUM_PATH`, default /usr/bin/chromium); no browser is downloaded.

One live server, a small portfolio made with the factories per test, and three flows:
the executive's (dashboard drawn, filtered, in 简体中文), the account manager's (home,
account 360, log a visit, add an OPL update) and another tenant's user who must get a 404.
axe-core (vendored) checks the main pages: no serious or critical violation. Screenshots
of the dashboard and the account page go to `test-results/`, or to `docs/screenshots/`
with `KAM_UPDATE_SCREENSHOTS=1`.
"""

import pytest

from dashboards.tests.portfolio import build_portfolio
from kam.tenancy import tenant_context
from tests.browser.conftest import assert_accessible, drawn_charts, log_in, screenshot, url
from tests.factories import MembershipFactory, TenantFactory


@pytest.fixture
def portfolio(transactional_db):
    tenant = TenantFactory(slug="huaxin", name="Huaxin Automotive Interiors")
    north = build_portfolio(tenant, size=8, prefix="North")
    build_portfolio(tenant, size=4, prefix="South", owner=north.owner)
    return north


def test_executive_reads_the_dashboard_filters_it_and_switches_to_chinese(
        page, live_server, portfolio):
    executive = MembershipFactory(tenant=portfolio.tenant, role="executive").user
    log_in(page, live_server, executive)

    page.click("nav >> text=Dashboard")
    page.wait_for_selector("[data-chart='pareto'][data-drawn]")
    assert drawn_charts(page) >= 10
    assert page.locator("#kpi-customers").inner_text() == "12"
    screenshot(page, "dashboard.png")
    assert_accessible(page)

    # The numbers behind a chart are one click away.
    page.click("#panel-tiers summary")
    assert page.locator("#table-tiers").is_visible()

    page.select_option("#id_region", str(portfolio.region.pk))
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url(f"**/dashboard/?*region={portfolio.region.pk}*")
    assert page.locator("#kpi-customers").inner_text() == "8"
    assert drawn_charts(page) >= 10

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("nav").get_by_text("客户").first.is_visible()
    assert drawn_charts(page) >= 10  # the charts draw in Chinese too
    assert not page.errors


def test_account_manager_works_an_account(page, live_server, portfolio):
    log_in(page, live_server, portfolio.owner)
    customer = portfolio.customers[0]
    accounts = page.locator("#my-accounts-table")
    assert accounts.get_by_role("link", name=customer.name, exact=True).is_visible()
    assert_accessible(page)

    accounts.get_by_role("link", name=customer.name, exact=True).click()
    page.wait_for_selector("#panel-health")
    assert page.locator("[data-chart='figures'][data-drawn] canvas").count() == 1
    assert page.locator("#health-parts").is_visible()
    assert page.locator("#customer-programme-timeline svg").count() == 1
    screenshot(page, "account.png")
    assert_accessible(page)

    # Log a visit from the account page.
    page.click("#log-interaction summary")
    page.select_option("#log-interaction select[name=kind]", "executive_visit")
    page.fill("#log-interaction input[name=occurred_on]", str(portfolio.tenant.today()))
    page.fill("#log-interaction textarea[name=summary]", "Visit to the purchasing director.")
    page.click("#log-interaction button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert page.locator("#interaction-list").get_by_text(
        "Visit to the purchasing director.").is_visible()

    # Add an OPL update from the account's OPL item page.
    page.locator("#panel-satisfaction").get_by_role(
        "link", name=f"Overdue point of {customer.code}").click()
    page.fill("textarea[name=note]", "Containment shipped; 8D report sent.")
    page.fill("input[name=progress]", "40")
    page.click("form[action$='/update/'] button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert page.get_by_text("Containment shipped; 8D report sent.").is_visible()
    assert_accessible(page)

    for name in ("customer_list", "opl_list"):
        page.goto(url(live_server, name))
        assert_accessible(page)
    assert not page.errors


def test_a_user_of_another_tenant_gets_404(page, live_server, portfolio):
    other = TenantFactory(slug="nordlicht", name="Nordlicht Seating")
    stranger = MembershipFactory(tenant=other, role="admin").user
    log_in(page, live_server, stranger)

    with tenant_context(portfolio.tenant):
        target = url(live_server, "customer_detail", portfolio.customers[0].pk)
    response = page.goto(target)

    assert response.status == 404
    assert portfolio.customers[0].name not in page.content()
