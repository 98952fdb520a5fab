"""`webhooks` and `webhook-deliveries` in the API, and the admins' webhook pages."""

import pytest
from django.urls import reverse
from standardwebhooks.webhooks import Webhook as Verifier

from integrations import delivery, events, services
from integrations.models import Webhook, WebhookDelivery
from integrations.tests.receiver import Receiver
from integrations.webhooks import new_secret
from kam.tenancy import tenant_context
from tests.factories import MembershipFactory, WebhookDeliveryFactory, WebhookFactory

API = "/api/v1/webhooks/"
DELIVERIES = "/api/v1/webhook-deliveries/"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_an_admin_creates_a_webhook_and_sees_its_secret_once(admin_api_client, tenant):
    answer = post(admin_api_client, API, {
        "url": "https://erp.example.com/hooks/kam",
        "events": ["opl_item.created", "customer.tier_changed"]})
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    assert created["secret"].startswith("whsec_")
    Verifier(created["secret"])  # a valid Standard Webhooks secret
    assert created["events"] == ["customer.tier_changed", "opl_item.created"]
    assert created["is_active"] is True
    assert created["disabled_at"] is None
    shown = admin_api_client.get(f"{API}{created['id']}/").json()
    assert "secret" not in shown
    assert "secret" not in admin_api_client.get(API).json()["results"][0]
    rotated = post(admin_api_client, f"{API}{created['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    with tenant_context(tenant):
        assert Webhook.objects.get().secret == rotated["secret"]


def test_a_secret_can_be_given_write_only(admin_api_client, tenant):
    secret = new_secret()
    answer = post(admin_api_client, API, {"url": "https://erp.example.com/k",
                                          "events": ["survey.responded"], "secret": secret})
    assert answer.status_code == 201
    assert answer.json()["secret"] == secret
    bad = post(admin_api_client, API, {"url": "https://erp.example.com/k",
                                       "events": ["survey.responded"], "secret": "hunter2"})
    assert bad.status_code == 400
    assert "secret" in bad.json()


def test_unknown_events_and_plain_http_urls_are_400s_naming_them(admin_api_client):
    answer = post(admin_api_client, API, {"url": "https://erp.example.com/k",
                                          "events": ["customer.tier_changed", "order.shipped"]})
    assert answer.status_code == 400
    assert "order.shipped" in answer.json()["events"][0]
    assert "customer.tier_changed" not in answer.json()["events"][0].split("Known")[0]
    empty = post(admin_api_client, API, {"url": "https://erp.example.com/k", "events": []})
    assert empty.status_code == 400 and "events" in empty.json()


@pytest.mark.parametrize(("url", "ok"), [
    ("https://erp.example.com/hooks", True),
    ("http://127.0.0.1:8080/hooks", True),
    ("http://localhost/hooks", True),
    ("http://erp.example.com/hooks", False),
    ("ftp://erp.example.com/hooks", False),
    ("https://user:pw@erp.example.com/hooks", False),
    ("not a url", False),
])
def test_webhook_urls_are_https_or_loopback(admin_api_client, settings, url, ok):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    answer = post(admin_api_client, API, {"url": url, "events": ["import.completed"]})
    assert (answer.status_code == 201) is ok, answer.json()
    if not ok:
        assert "url" in answer.json()


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "https://10.1.2.3/hooks",
                                 "https://192.168.0.1/", "https://[::1]/", "https://localhost/",
                                 "https://169.254.169.254/latest/meta-data"])
def test_production_refuses_private_targets(admin_api_client, settings, url):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    answer = post(admin_api_client, API, {"url": url, "events": ["import.completed"]})
    assert answer.status_code == 400
    assert "public address" in answer.json()["url"][0]


def test_a_name_resolving_to_a_private_address_is_not_posted_to(tenant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with Receiver() as receiver:
        name_url = receiver.url.replace("127.0.0.1", "localhost")
        outcome = delivery.post(name_url, secret=new_secret(), event_id="msg_x", body=b"{}")
    assert outcome.status_code is None and "private network" in outcome.error
    assert receiver.requests == []


def test_only_admins_see_or_change_webhooks(bearer_client, tenant):
    manager = MembershipFactory(tenant=tenant, role="manager")
    client = bearer_client(manager, role="manager")
    WebhookFactory(tenant=tenant)
    assert client.get(API).status_code == 403
    assert client.get(DELIVERIES).status_code == 403
    assert post(client, API, {"url": "https://x.example.com", "events": ["import.completed"]}
                ).status_code == 403


def test_another_tenants_webhooks_and_deliveries_are_404s(admin_api_client, other_tenant):
    theirs = WebhookDeliveryFactory(tenant=other_tenant)
    assert admin_api_client.get(f"{API}{theirs.webhook_id}/").status_code == 404
    assert admin_api_client.get(f"{DELIVERIES}{theirs.pk}/").status_code == 404
    assert post(admin_api_client, f"{DELIVERIES}{theirs.pk}/replay/").status_code == 404
    assert admin_api_client.get(DELIVERIES).json()["count"] == 0


def test_the_delivery_log_filters_and_runs_a_bounded_number_of_queries(
        admin_api_client, tenant, django_assert_max_num_queries):
    webhook = WebhookFactory(tenant=tenant)
    for n in range(30):
        WebhookDeliveryFactory(tenant=tenant, webhook=webhook,
                               status="failed" if n % 3 == 0 else "delivered")
    with django_assert_max_num_queries(12):
        rows = admin_api_client.get(DELIVERIES, {"page_size": 100}).json()
    assert rows["count"] == 30
    failed = admin_api_client.get(DELIVERIES, {"status": "failed", "webhook": webhook.pk})
    assert failed.json()["count"] == 10
    row = failed.json()["results"][0]
    assert set(row) >= {"webhook", "event", "status_code", "attempts", "delivered_at",
                        "event_id", "payload", "status", "last_error"}
    assert row["status"] in {"pending", "sending", "delivered", "failed"}


def test_replay_sends_the_delivery_again_with_the_same_webhook_id(admin_api_client, tenant):
    with Receiver() as receiver:
        with tenant_context(tenant):
            webhook = services.create_webhook(tenant=tenant, user=None, url=receiver.url,
                                              events=["import.completed"])
            events.emit("import.completed", tenant=tenant,
                        records=[{"import": {"id": 1}}])
            delivery.deliver_due(tenant)
            row = WebhookDelivery.objects.get()
        answer = post(admin_api_client, f"{DELIVERIES}{row.pk}/replay/")
        assert answer.status_code == 202, answer.json()
        assert answer.json()["status"] == "pending"
        with tenant_context(tenant):
            delivery.deliver_due(tenant)
    receiver.secret = webhook.secret
    assert receiver.ids() == [row.event_id, row.event_id]
    assert all(Verifier(webhook.secret).verify(r["body"], r["headers"])
               for r in receiver.requests)
    again = admin_api_client.get(f"{DELIVERIES}{row.pk}/").json()
    assert (again["status"], again["attempts"]) == ("delivered", 2)


def test_replay_of_a_switched_off_webhook_is_a_400(admin_api_client, tenant):
    row = WebhookDeliveryFactory(tenant=tenant, webhook__is_active=False)
    answer = post(admin_api_client, f"{DELIVERIES}{row.pk}/replay/")
    assert answer.status_code == 400
    assert "webhook" in answer.json()


def test_patch_switches_a_webhook_off_and_on(admin_api_client, tenant):
    webhook = WebhookFactory(tenant=tenant, consecutive_failures=9)
    off = admin_api_client.patch(f"{API}{webhook.pk}/", {"is_active": False},
                                 content_type="application/json")
    assert off.status_code == 200, off.json()
    assert off.json()["is_active"] is False and off.json()["disabled_at"] is not None
    on = admin_api_client.patch(f"{API}{webhook.pk}/", {"is_active": True},
                                content_type="application/json")
    assert on.json()["is_active"] is True
    assert (on.json()["disabled_at"], on.json()["consecutive_failures"]) == (None, 0)
    bad = admin_api_client.patch(f"{API}{webhook.pk}/", {"events": ["nope"]},
                                 content_type="application/json")
    assert bad.status_code == 400 and "nope" in bad.json()["events"][0]


# --- pages ------------------------------------------------------------------------------

def test_the_pages_create_a_webhook_show_the_secret_once_and_send_a_test_event(
        admin_client, tenant):
    page = admin_client.get(reverse("webhook_create"))
    assert page.status_code == 200
    assert "customer.tier_changed" in page.content.decode()
    with Receiver() as receiver:
        answer = admin_client.post(reverse("webhook_create"), {
            "url": receiver.url, "description": "ERP", "events": ["opl_item.created"]})
        assert answer.status_code == 302
        with tenant_context(tenant):
            webhook = Webhook.objects.get()
        detail = admin_client.get(answer.url).content.decode()
        assert webhook.secret in detail
        assert webhook.secret not in admin_client.get(answer.url).content.decode()
        sent = admin_client.post(reverse("webhook_send_test", args=[webhook.pk]))
        assert sent.status_code == 302
        with tenant_context(tenant):
            delivery.deliver_due(tenant)
        log = admin_client.get(reverse("webhook_detail", args=[webhook.pk])).content.decode()
    assert "webhook.test" in log
    assert 'data-status="delivered"' in log
    [request] = receiver.requests
    assert Verifier(webhook.secret).verify(request["body"], request["headers"])["type"] == (
        "webhook.test")


def test_a_bad_form_shows_field_errors(admin_client, settings):
    settings.DEBUG = False
    answer = admin_client.post(reverse("webhook_create"), {
        "url": "http://erp.example.com/hooks", "events": ["opl_item.created"]})
    assert answer.status_code == 200
    assert "Use https://" in answer.content.decode()


def test_switch_off_delete_and_replay_from_the_pages(admin_client, tenant):
    row = WebhookDeliveryFactory(tenant=tenant, status="failed", attempts=8,
                                 attempts_allowed=8)
    webhook = row.webhook
    replay = admin_client.post(reverse("webhook_delivery_replay", args=[row.pk]))
    assert replay.status_code == 302
    with tenant_context(tenant):
        row.refresh_from_db()
        assert (row.status, row.attempts_allowed) == ("pending", 9)
    admin_client.post(reverse("webhook_set_active", args=[webhook.pk]), {"active": "0"})
    with tenant_context(tenant):
        webhook.refresh_from_db()
        row.refresh_from_db()
    assert not webhook.is_active
    assert row.status == "failed"  # nothing waits for a switched-off webhook
    admin_client.post(reverse("webhook_delete", args=[webhook.pk]))
    with tenant_context(tenant):
        assert not Webhook.objects.exists()


def test_non_admins_do_not_reach_the_pages(client, tenant):
    manager = MembershipFactory(tenant=tenant, role="manager").user
    client.force_login(manager)
    assert client.get(reverse("webhook_list")).status_code == 403


def test_answers_show_when_each_row_last_changed(admin_api_client, tenant):
    row = WebhookDeliveryFactory(tenant=tenant)
    assert admin_api_client.get(f"{API}{row.webhook_id}/").json()["updated_at"]
    assert admin_api_client.get(f"{DELIVERIES}{row.pk}/").json()["updated_at"]


def test_a_replay_that_fails_is_not_retried_again(admin_api_client, tenant):
    with Receiver(codes=[500]) as receiver:
        with tenant_context(tenant):
            webhook = services.create_webhook(tenant=tenant, user=None, url=receiver.url,
                                              events=["import.completed"])
            row = WebhookDeliveryFactory(tenant=tenant, webhook=webhook, status="failed",
                                         attempts=8, attempts_allowed=8, delivered_at=None)
        post(admin_api_client, f"{DELIVERIES}{row.pk}/replay/")
        with tenant_context(tenant):
            delivery.deliver_due(tenant)
            row.refresh_from_db()
    assert len(receiver.requests) == 1
    assert (row.status, row.attempts, row.status_code) == ("failed", 9, 500)
    assert row.next_attempt_at is None
