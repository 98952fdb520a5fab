"""The QBR pack from the account 360 page and the dashboard's PDF export: a click gives
the file (a download), for the quarter picked."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from dashboards import pdf
from dashboards.tests.portfolio import build_portfolio
from kam.periods import Quarter
from tests.browser.conftest import assert_accessible, log_in, url
from tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.skipif(bool(pdf.unavailable()),
                                reason="WeasyPrint cannot load here: no PDF to download")


@pytest.fixture
def portfolio(transactional_db):
    return build_portfolio(TenantFactory(slug="huaxin"), size=2, prefix="North")


def downloaded_text(download):
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_an_executive_downloads_the_qbr_pack_from_the_account_page(page, live_server,
                                                                  portfolio):
    customer = portfolio.customers[0]
    executive = MembershipFactory(tenant=portfolio.tenant, role="executive").user
    log_in(page, live_server, executive)
    page.goto(url(live_server, "customer_detail", customer.pk))
    quarter = str(Quarter.of(portfolio.tenant.today()) - 1)
    # The picker starts at the last complete quarter.
    assert page.locator("#qbr-quarter").input_value() == quarter
    assert_accessible(page)

    page.select_option("#qbr-variant", "customer")
    with page.expect_download() as found:
        page.click("#qbr-submit")
    download = found.value
    assert download.suggested_filename == f"QBR-{customer.code}-{quarter}-customer.pdf"
    text = downloaded_text(download)
    assert customer.name in text and "Tier and why" not in text

    page.select_option("#qbr-variant", "internal")
    with page.expect_download() as found:
        page.click("#qbr-submit")
    assert "Tier and why" in downloaded_text(found.value)
    assert not page.errors


def test_the_dashboard_exports_the_chosen_quarter_as_pdf(page, live_server, portfolio):
    executive = MembershipFactory(tenant=portfolio.tenant, role="executive").user
    log_in(page, live_server, executive)
    page.goto(url(live_server, "dashboard"))
    quarter = str(Quarter.of(portfolio.tenant.today()) - 1)
    page.select_option("#export-quarter", quarter)
    with page.expect_download() as found:
        page.click("#export-pdf")
    assert found.value.suggested_filename == f"dashboard-huaxin-{quarter}.pdf"
    assert f"Portfolio dashboard {quarter}" in downloaded_text(found.value)
