"""The account page draws the weekly health trend, and its numbers are one click away;
the home page shows the week-on-week arrow."""

from datetime import timedelta

import pytest

from dashboards.tests.portfolio import build_portfolio
from tests.browser.conftest import assert_accessible, log_in, url
from tests.factories import HealthSnapshotFactory, TenantFactory

WEEKS = [82, 80, 79, 77, 76, 70, 64, 58]


@pytest.fixture
def account(transactional_db):
    tenant = TenantFactory(slug="huaxin", name="Huaxin Automotive Interiors")
    portfolio = build_portfolio(tenant, size=2)
    customer = portfolio.customers[0]
    this_week = tenant.today() - timedelta(days=tenant.today().weekday())
    for back, value in enumerate(reversed(WEEKS)):
        HealthSnapshotFactory(tenant=tenant, customer=customer, value=value,
                              band="good" if value >= 75 else "watch",
                              week=this_week - timedelta(weeks=back))
    return portfolio, customer


def test_the_account_page_draws_the_health_trend_and_opens_its_numbers(page, live_server,
                                                                       account):
    portfolio, customer = account
    log_in(page, live_server, portfolio.owner)
    arrow = page.locator("#my-accounts-table .health-arrow-down")
    assert arrow.get_attribute("aria-label").startswith("Down from 64")

    page.goto(url(live_server, "customer_detail", customer.pk))
    page.wait_for_selector("#health-trend-chart[data-drawn]")
    assert page.locator("#health-trend-chart canvas").count() >= 1

    numbers = page.locator("#health-trend-numbers table")
    assert not numbers.is_visible()
    page.click("#health-trend-numbers summary")
    assert numbers.is_visible()
    assert numbers.locator("tbody tr").count() == len(WEEKS)
    assert numbers.locator("tbody tr").last.inner_text().split("\t")[1].strip() == "58"
    assert_accessible(page)
    assert not page.errors
