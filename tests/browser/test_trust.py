"""What users meet stays true, as Chromium shows it: the satisfaction heatmap's colours
(report cells and the dashboard's chart share satisfaction.index's bands), the quarters
a dashboard uses, and the browser's language after log-in."""

import pytest

from dashboards.tests.portfolio import build_portfolio
from kam import periods
from kam.tenancy import tenant_context
from satisfaction import index
from tests.browser.conftest import assert_accessible, log_in, url
from tests.factories import MembershipFactory, PeriodFigureFactory, TenantFactory


@pytest.fixture
def portfolio(transactional_db):
    return build_portfolio(TenantFactory(slug="trust", name="Trust Trim"), size=6)


def rgb(hex_colour):
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def test_heatmap_cells_show_their_band_colour(page, live_server, portfolio):
    log_in(page, live_server, MembershipFactory(tenant=portfolio.tenant, role="executive").user)
    page.goto(url(live_server, "satisfaction_portfolio"))

    cells = page.locator("table.heatmap td.sat-cell")
    assert cells.count() > 0
    colours = {key: rgb(background) for _low, key, background, _text in index.COLOUR_BANDS}
    seen = set()
    for i in range(cells.count()):
        cell = cells.nth(i)
        band = next((c.removeprefix("sat-") for c in cell.get_attribute("class").split()
                     if c.startswith("sat-") and c != "sat-cell"), None)
        painted = cell.evaluate("el => getComputedStyle(el).backgroundColor")
        if band in colours:
            assert painted == colours[band], (band, painted)
            seen.add(band)
    assert seen, "no coloured cell"
    assert_accessible(page)


def test_the_dashboard_heatmap_draws_the_same_bands(page, live_server, portfolio):
    log_in(page, live_server, MembershipFactory(tenant=portfolio.tenant, role="executive").user)
    page.goto(url(live_server, "dashboard"))
    page.wait_for_selector("[data-chart='heatmap'][data-drawn]")

    pieces = page.evaluate("""() => {
        const el = document.querySelector("[data-chart='heatmap']");
        return echarts.getInstanceByDom(el).getOption().visualMap[0].pieces
            .map(p => ({gte: p.gte, lt: p.lt, lte: p.lte, color: p.color}));
    }""")

    expected = index.chart_bands()
    assert [(p["gte"], p["color"]) for p in pieces] == [(b["gte"], b["color"]) for b in expected]


def test_the_dashboard_names_a_quarter_not_used_yet(page, live_server, portfolio):
    tenant = portfolio.tenant
    now = periods.current_period(tenant.today())
    with tenant_context(tenant):
        PeriodFigureFactory(tenant=tenant, customer=portfolio.customers[-1], period=now,
                            revenue=90_000_000)
    log_in(page, live_server, MembershipFactory(tenant=tenant, role="executive").user)
    page.goto(url(live_server, "dashboard"))

    window = page.locator("#dashboard-window").inner_text()
    assert f"{now}: 1 of 6 reported, the quarter is not over — not used yet." in window
    trend = page.locator("#table-hhi").inner_text()
    assert now not in trend


def test_the_browser_language_counts_after_log_in(new_page, live_server, portfolio):
    chinese = new_page(locale="zh-CN")
    log_in(chinese, live_server, portfolio.owner)
    assert chinese.locator("html").get_attribute("lang") == "zh-hans"
    assert chinese.locator("nav").get_by_text("客户").first.is_visible()


def test_an_admin_sets_when_an_open_campaign_counts(page, live_server, portfolio):
    log_in(page, live_server, MembershipFactory(tenant=portfolio.tenant, role="admin").user)
    page.goto(url(live_server, "satisfaction_home"))
    form = page.locator("#satisfaction-settings")
    assert form.locator("input[name=interim_percent]").input_value() == "75"
    assert_accessible(page)

    form.locator("input[name=interim_percent]").fill("60")
    form.get_by_role("button", name="Save").click()

    page.wait_for_selector(".alert-success")
    assert "counts once 60 % of its invitations" in page.locator(".alert-success").inner_text()
    assert page.locator("#satisfaction-settings input[name=interim_percent]").input_value() == "60"


def test_an_admin_sets_the_complete_quarter_share_and_scores_as_of_a_quarter(
        page, live_server, portfolio):
    tenant = portfolio.tenant
    log_in(page, live_server, MembershipFactory(tenant=tenant, role="admin").user)
    page.goto(url(live_server, "scoring_policy_edit"))
    page.fill("input[name=coverage_share]", "0.6")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector(".alert-success")
    assert "60 % of the customers" in page.locator("#policy-coverage").inner_text()
    assert_accessible(page)

    before = periods.shift_period(periods.current_period(tenant.today()), -2)
    page.select_option("#run-as-of", before)
    page.click("#run-scoring")
    page.wait_for_selector("#run-window")
    assert f"Chosen to end with {before}." in page.locator("#run-window").inner_text()
    assert_accessible(page)
