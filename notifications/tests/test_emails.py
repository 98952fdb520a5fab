"""Notification e-mails: once per key, per-kind opt-out, SMTP failures retried, language."""

from datetime import date

import pytest
from django.utils import translation

from jobs.tests.helpers import run
from kam.tenancy import tenant_context
from notifications import emails
from notifications.models import Notification, OutgoingEmail
from notifications.services import notify
from tests.factories import (
    MembershipFactory,
    NotificationPreferenceFactory,
    OplItemFactory,
    OutgoingEmailFactory,
    UserFactory,
)

DAY = date(2026, 5, 14)


@pytest.fixture
def kam(tenant):
    return MembershipFactory(tenant=tenant, user=UserFactory(
        email="kam@alpha.example.com", full_name="Wang Fang")).user


def test_a_new_notification_is_e_mailed_once_as_text_and_html(in_tenant, kam, mailoutbox):
    for _attempt in range(2):
        notify(tenant=in_tenant, recipient=kam, kind="opl_overdue", text="Item X is overdue.",
               dedup_key="k-1", url="/satisfaction/opl/1/")
    assert OutgoingEmail.objects.count() == 1

    assert emails.send_pending(in_tenant) == (1, 0)
    assert emails.send_pending(in_tenant) == (0, 0)

    [mail] = mailoutbox
    assert mail.to == ["kam@alpha.example.com"] and mail.subject == "Item X is overdue."
    assert "Hello Wang," in mail.body
    assert "http://127.0.0.1:8000/satisfaction/opl/1/" in mail.body
    assert "http://127.0.0.1:8000/notifications/settings/" in mail.body
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="http://127.0.0.1:8000/satisfaction/opl/1/"' in html


def test_a_kind_turned_off_is_not_e_mailed_but_still_in_the_inbox(in_tenant, kam, mailoutbox):
    NotificationPreferenceFactory(tenant=in_tenant, user=kam, kind="opl_overdue", email=False)
    notify(tenant=in_tenant, recipient=kam, kind="opl_overdue", text="Quiet", dedup_key="q")
    notify(tenant=in_tenant, recipient=kam, kind="opl_chase", text="Loud", dedup_key="l")
    emails.send_pending(in_tenant)
    assert [m.subject for m in mailoutbox] == ["Loud"]
    assert Notification.objects.count() == 2


def test_users_without_an_address_or_inactive_get_no_e_mail(in_tenant, mailoutbox):
    inactive = MembershipFactory(tenant=in_tenant, user=UserFactory(is_active=False)).user
    notify(tenant=in_tenant, recipient=inactive, kind="opl_chase", text="x", dedup_key="x")
    assert not OutgoingEmail.objects.exists()


def test_an_smtp_failure_is_reported_and_retried_until_it_gives_up(in_tenant, settings,
                                                                   mailoutbox):
    settings.EMAIL_BACKEND = "jobs.tests.helpers.BouncingBackend"
    bad = OutgoingEmailFactory(tenant=in_tenant, to_address="bounce@example.com")
    good = OutgoingEmailFactory(tenant=in_tenant)
    from jobs.services import RunLog

    log = RunLog()
    assert emails.send_pending(in_tenant, log) == (1, 1)
    assert [m.to for m in mailoutbox] == [[good.to_address]]
    assert "could not be sent (attempt 1 of 5)" in log.problems[0]["message"]
    bad.refresh_from_db()
    assert bad.status == "failed" and "No such user" in bad.last_error
    for _run in range(emails.MAX_ATTEMPTS + 2):
        emails.send_pending(in_tenant)
    bad.refresh_from_db()
    assert bad.attempts == emails.MAX_ATTEMPTS and len(mailoutbox) == 1


def test_an_smtp_failure_does_not_stop_the_job(tenant, kam, settings, mailoutbox):
    settings.EMAIL_BACKEND = "jobs.tests.helpers.BouncingBackend"
    bouncing = MembershipFactory(tenant=tenant, user=UserFactory(
        email="bounce@alpha.example.com")).user
    for owner in (bouncing, kam):
        OplItemFactory(tenant=tenant, owner=owner, accountable=None, due_date=date(2026, 5, 1))

    result = run("opl-reminders", tenant, DAY)

    assert result.status == "partial"
    assert result.counts["notified"] == 2
    assert result.counts["emails_sent"] == 1 and result.counts["emails_failed"] == 1
    assert "bounce@alpha.example.com could not be sent" in result.problems[0]["message"]
    assert [m.to for m in mailoutbox] == [["kam@alpha.example.com"]]


def test_a_claimed_e_mail_is_not_sent_twice(in_tenant):
    first = emails.claim(tenant=in_tenant, dedup_key="secret", kind="invitation",
                         to_address="a@example.com", subject="Survey")
    assert first is not None and first.status == "pending"
    assert emails.claim(tenant=in_tenant, dedup_key="secret", kind="invitation",
                        to_address="a@example.com", subject="Survey") is None  # sending
    emails.mark_failed(first, OSError("timeout"))
    again = emails.claim(tenant=in_tenant, dedup_key="secret", kind="invitation",
                         to_address="a@example.com", subject="Survey")
    assert again is not None
    emails.mark_sent(again)
    assert emails.claim(tenant=in_tenant, dedup_key="secret", kind="invitation",
                        to_address="a@example.com", subject="Survey") is None


def test_the_language_is_the_users_else_the_workspaces(tenant):
    tenant.default_language = "zh-hans"
    assert emails.language_for(UserFactory(language="en"), tenant) == "en"
    assert emails.language_for(UserFactory(language=""), tenant) == "zh-hans"
    with emails.recipient_language(UserFactory(language=""), tenant):
        assert translation.get_language() == "zh-hans"


def test_notifications_of_other_tenants_stay_apart(tenant, other_tenant):
    with tenant_context(other_tenant):
        assert not OutgoingEmail.objects.exists()
