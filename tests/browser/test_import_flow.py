"""The import as a user meets it, in Chromium: a renamed A-tier customer shows old → new on
the dry-run page before anything is written; after a figures import, the result page
offers the re-scoring it calls for, and the run's tier changes show once it is done. An
account manager imports an agency's survey answers through the same pages: the rows of
another team's account are refused by line, the corrected file is previewed, committed,
and its low answers propose OPL items."""

from datetime import timedelta

import pytest

from customers import scoring
from customers.models import Customer
from kam.tenancy import tenant_context
from satisfaction import services as satisfaction_services
from satisfaction.models import OplProposal, Response
from teams.tests.factories import TeamMemberFactory
from tests.browser.conftest import assert_accessible, log_in, url
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    PeriodFigureFactory,
    TenantFactory,
)


@pytest.fixture
def workspace(transactional_db, eager):
    """A scored portfolio: KEY-1 the largest customer (tier A), OEM-3 the smallest."""
    tenant = TenantFactory(slug="huaxin-import", name="Huaxin Automotive Interiors")
    admin = MembershipFactory(tenant=tenant, role="admin").user
    key = CustomerFactory(tenant=tenant, code="KEY-1", name="Huaxin Motors")
    customers = [key] + [CustomerFactory(tenant=tenant, code=f"OEM-{n}", name=f"Carmaker {n}")
                         for n in range(1, 4)]
    for n, customer in enumerate(customers):
        PeriodFigureFactory(tenant=tenant, customer=customer, period="2026Q2",
                            revenue=4_000_000 - n * 1_000_000)
    with tenant_context(tenant):
        scoring.run_scoring(tenant)
        assert Customer.objects.get(code="KEY-1").tier == "A"
    return tenant, admin


def upload(page, live_server, name, kind, text):
    page.goto(url(live_server, f"import_{kind}"))
    page.set_input_files("input[name=file]", files=[
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}])
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("#import-summary")


def test_a_rename_is_reviewed_before_the_commit_and_a_figures_import_offers_re_scoring(
        page, live_server, workspace):
    tenant, admin = workspace
    log_in(page, live_server, admin)

    upload(page, live_server, "customers.csv", "customers",
           "code,name\nKEY-1,Huaxin Motors Group\nOEM-1,Carmaker 1\n")
    assert "2 rows ready: 0 new, 1 changed, 1 unchanged." in page.locator(
        "#import-summary").inner_text()
    change = page.locator("#import-changes tbody tr").first
    assert "KEY-1" in change.inner_text()
    assert "Huaxin Motors → Huaxin Motors Group" in change.inner_text()
    assert "A-tier customer renamed" in page.locator("#import-flagged").inner_text()
    assert_accessible(page)
    with tenant_context(tenant):
        assert Customer.objects.get(code="KEY-1").name == "Huaxin Motors"  # a dry run

    page.get_by_role("button", name="Commit import").click()
    page.wait_for_selector("text=Imported.")
    with tenant_context(tenant):
        assert Customer.objects.get(code="KEY-1").name == "Huaxin Motors Group"
    assert page.locator("#rescoring").count() == 0  # no figures changed

    upload(page, live_server, "figures.csv", "figures",
           "customer_code,period,revenue\nOEM-3,2026Q2,9000000\n")
    assert "1,000,000.00 → 9,000,000.00" in page.locator("#import-changes").inner_text()
    page.get_by_role("button", name="Commit import").click()
    offer = page.locator("#rescoring")
    offer.wait_for()
    assert "This import changed the figures of 1 customer." in offer.inner_text()
    assert "Nothing re-scores on a schedule here" in offer.inner_text()
    assert_accessible(page)

    offer.get_by_role("button", name="Re-score now").click()
    page.wait_for_selector("#rescoring-done")
    changes = page.locator("#rescoring-changes").inner_text()
    assert "OEM-3" in changes and "KEY-1" in changes
    with tenant_context(tenant):
        assert Customer.objects.get(code="OEM-3").tier == "A"
    page.get_by_role("link", name="All tier changes of this run").click()
    page.wait_for_selector("#assessment-table")
    assert not page.errors


@pytest.fixture
def campaign(transactional_db, eager):
    """An open campaign of two A customers; the account manager is on KEY-1's team only."""
    tenant = TenantFactory(slug="huaxin-answers", name="Huaxin Automotive Interiors")
    kam = MembershipFactory(tenant=tenant, role="manager").user
    with tenant_context(tenant):
        key = CustomerFactory(tenant=tenant, code="KEY-1", name="Huaxin Motors", tier="A")
        CustomerFactory(tenant=tenant, code="OTHER-1", name="Other Motors", tier="A")
        TeamMemberFactory(tenant=tenant, team__customer=key, user=kam, role="AR")
        template = satisfaction_services.ensure_default_template(tenant)
        today = tenant.today()
        campaign = satisfaction_services.create_campaign(
            tenant, year=today.year, quarter=1, template=template,
            closes_on=today + timedelta(days=10))
        campaign = satisfaction_services.open_campaign(campaign).campaign
        survey = campaign.surveys.get(customer=key)
        codes = [q.code for q in satisfaction_services.questions_for(survey, "logistics")]
    return tenant, kam, campaign, codes


def upload_answers(page, text):
    page.set_input_files("input[name=file]", files=[
        {"name": "agency.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_selector("#import-summary, #import-errors")


def test_an_account_manager_imports_agency_answers_through_the_pipeline(
        page, live_server, campaign):
    tenant, kam, campaign, codes = campaign
    header = ",".join(["customer_code", "department", "respondent", *codes])
    own = ",".join(["KEY-1", "logistics", "Ms Wang (agency)", "2", *["4"] * (len(codes) - 1)])
    other = ",".join(["OTHER-1", "logistics", "", *["4"] * len(codes)])
    log_in(page, live_server, kam)

    page.goto(url(live_server, "campaign_detail", campaign.pk))
    page.get_by_role("link", name="Import agency results").click()
    assert f"Import survey answers · {campaign.period}" in page.locator("h1").inner_text()
    assert codes[0] in page.locator("table").inner_text()  # the questions are columns
    assert_accessible(page)
    upload_answers(page, f"{header}\n{own}\n{other}\n")
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1
    assert "not on the account team of OTHER-1" in errors.first.inner_text()
    assert errors.first.locator("td").first.inner_text() == "3"
    assert page.get_by_role("button", name="Commit import").count() == 0
    assert_accessible(page)

    page.get_by_role("link", name="Upload another file").click()
    upload_answers(page, f"{header}\n{own}\n")
    assert "1 row ready: 1 new, 0 changed, 0 unchanged." in page.locator(
        "#import-summary").inner_text()
    new_row = page.locator("#import-changes tbody tr").first.inner_text()
    assert "KEY-1" in new_row and "Logistics" in new_row and "Ms Wang (agency)" in new_row
    with tenant_context(tenant):
        assert not Response.objects.exists()  # a dry run
    assert_accessible(page)

    page.get_by_role("button", name="Commit import").click()
    page.wait_for_selector("text=Imported.")
    with tenant_context(tenant):
        response = Response.objects.get()
        assert (response.source, response.entered_by_id) == ("agency", kam.pk)
        assert OplProposal.objects.filter(answer__response=response).count() == 1
    page.get_by_role("link", name="Go to the campaign").click()
    page.wait_for_url(url(live_server, "campaign_detail", campaign.pk))
    assert not page.errors
