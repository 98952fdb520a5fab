"""The pages keep working under the Content-Security-Policy, which runs no inline script
or handler: what templates asked of inline handlers (confirm before revoking a token,
print a report) is static/js/kam.js's now, the report's heatmap styles carry the page's
nonce, and Swagger UI starts from its own script. The page fixture fails a test on any
CSP violation (tests/browser/conftest.py)."""

from accounts.services import create_api_token
from kam.tenancy import tenant_context
from tests.browser.conftest import assert_no_csp_violations, log_in, url
from tests.factories import CustomerFactory, MembershipFactory, SurveyFactory, TenantFactory


def test_a_token_is_revoked_only_once_confirmed(page, live_server, transactional_db):
    tenant = TenantFactory(slug="csp", name="CSP Interiors")
    admin = MembershipFactory(tenant=tenant, role="admin")
    token, _raw = create_api_token(tenant=tenant, user=admin.user, name="ERP sync")
    log_in(page, live_server, admin.user)
    page.goto(url(live_server, "token_list"))
    asked = []

    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("form[data-confirm] button[type=submit]")
    page.wait_for_timeout(300)
    with tenant_context(tenant):
        token.refresh_from_db()
    assert asked and "Revoke this token?" in asked[0] and token.revoked_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[data-confirm] button[type=submit]")
    with tenant_context(tenant):
        token.refresh_from_db()
    assert token.revoked_at is not None
    assert_no_csp_violations(page)


def test_a_report_prints_and_keeps_its_heatmap_styles(page, live_server, transactional_db):
    tenant = TenantFactory(slug="csp", name="CSP Interiors")
    admin = MembershipFactory(tenant=tenant, role="admin")
    customer = CustomerFactory(tenant=tenant, name="Nonce Motors")
    survey = SurveyFactory(tenant=tenant, customer=customer)
    log_in(page, live_server, admin.user)

    page.goto(url(live_server, "survey_detail", survey.pk))
    assert page.locator("style[nonce]").count() == 1
    page.goto(url(live_server, "satisfaction_customer_report", customer.pk))
    page.evaluate("window.print = () => { window.printed = true; }")
    page.click("[data-print]")

    assert page.evaluate("window.printed === true")
    assert not page.errors
    assert_no_csp_violations(page)


def test_the_api_documentation_starts_under_the_policy(page, live_server, transactional_db):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("#swagger-ui .information-container")

    assert "KAM API" in page.locator("#swagger-ui").inner_text()
    assert not page.errors
    assert_no_csp_violations(page)
