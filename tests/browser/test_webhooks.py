"""An admin sets up a webhook in the browser: sees its secret once, sends a test event to
a real receiver on loopback (which verifies the signature) and sees it delivered in the
log."""

from integrations.models import Webhook
from integrations.tests.receiver import Receiver
from kam.tenancy import tenant_context
from tests.browser.conftest import assert_accessible, log_in, screenshot, url
from tests.factories import MembershipFactory, TenantFactory


def test_an_admin_creates_a_webhook_and_sees_a_test_event_delivered(
        page, live_server, transactional_db, celery_conf):
    celery_conf(task_always_eager=True)  # deliveries run in the request, after commit
    tenant = TenantFactory(slug="hooks", name="Hook Interiors")
    admin = MembershipFactory(tenant=tenant, role="admin")
    log_in(page, live_server, admin.user)

    with Receiver() as receiver:
        page.goto(url(live_server, "home"))
        page.click("#tenant-menu")  # the workspace menu
        page.click(".dropdown-menu >> text=Webhooks")
        page.click("text=New webhook")
        page.fill("input[name=url]", receiver.url)
        page.fill("input[name=description]", "ERP sync")
        page.check("input[name=events][value='opl_item.created']")
        with page.expect_navigation():
            page.click("main button[type=submit]")

        secret = page.locator("#webhook-secret").inner_text().strip()
        with tenant_context(tenant):
            assert secret == Webhook.objects.get().secret
        receiver.secret = secret
        assert_accessible(page)

        with page.expect_navigation():
            page.click("text=Send a test event")
        row = page.locator("#delivery-log .delivery-row").first
        assert row.get_attribute("data-status") == "delivered"
        assert "webhook.test" in row.inner_text()
        assert "200" in row.inner_text()
        assert_accessible(page)
        screenshot(page, "webhook.png")
        page.reload()
        assert page.locator("#webhook-secret").count() == 0  # shown once only

    [request] = receiver.requests
    assert request["verified"] is True
    assert request["payload"]["type"] == "webhook.test"
