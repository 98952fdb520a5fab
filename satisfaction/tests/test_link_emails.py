"""The invitation links a campaign's opening e-mails: sent after the opening commits, each
once, with a link issued at the sending; a failed one is retried by the next run."""

import re
import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse

from jobs.tests.helpers import run
from kam.tenancy import tenant_context
from notifications.models import OutgoingEmail
from satisfaction import services
from satisfaction.models import Campaign, Invitation
from tests.factories import ContactFactory, CustomerFactory


class SecondSendFails(EmailBackend):
    """The locmem test backend, except that the second message it is given fails like an
    SMTP server hanging up; every other one is delivered."""

    calls = 0

    def send_messages(self, messages):
        for _message in messages:
            type(self).calls += 1
            if type(self).calls == 2:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def second_send_fails(settings):
    SecondSendFails.calls = 0
    settings.EMAIL_BACKEND = f"{__name__}.SecondSendFails"


@pytest.fixture
def draft(tenant):
    """A draft campaign of two A customers, each with a purchasing contact who has an
    address."""
    with tenant_context(tenant):
        template = services.ensure_default_template(tenant)
        for name, address in [("Alpha Motors", "buyer@alpha-motors.example.com"),
                              ("Beta Cars", "buyer@beta-cars.example.com")]:
            customer = CustomerFactory(tenant=tenant, tier="A", name=name)
            ContactFactory(tenant=tenant, customer=customer, department="purchasing",
                           email=address)
        return services.create_campaign(tenant, year=2031, quarter=3, template=template,
                                        closes_on=tenant.today() + timedelta(days=20))


def link_in(message):
    return re.search(r"/satisfaction/r/[\w-]+/", message.body)[0]


def test_an_smtp_failure_leaves_the_campaign_open_and_the_next_run_sends_that_e_mail(
        tenant, draft, admin_client, client, second_send_fails, eager, mailoutbox,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("campaign_open", args=[draft.pk]))

    assert response.status_code == 200
    with tenant_context(tenant):
        assert Campaign.objects.get(pk=draft.pk).status == Campaign.Status.OPEN
        ledger = {e.to_address: e for e in OutgoingEmail.objects.filter(kind="invitation")}
    [first] = mailoutbox
    [failed] = [e for address, e in ledger.items() if address != first.to[0]]
    assert failed.status == "failed" and failed.attempts == 1
    assert client.get(link_in(first)).status_code == 200  # the first contact's link works
    # The links page shows no link for the e-mailed ones (theirs is in the e-mail).
    assert all(row["url"] == "" for row in response.context["links"]
               if row["invitation"].contact is not None)

    later = run("opl-reminders", tenant)  # the tenant's next job run, whichever it is

    assert later.counts["emails_sent"] == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["buyer@alpha-motors.example.com",
                                                   "buyer@beta-cars.example.com"]
    for message in mailoutbox:
        assert client.get(link_in(message)).status_code == 200
    run("opl-reminders", tenant)
    assert len(mailoutbox) == 2  # nobody gets two
    with tenant_context(tenant):
        assert set(OutgoingEmail.objects.filter(kind="invitation")
                   .values_list("status", flat=True)) == {"sent"}
        assert Invitation.objects.filter(sent_at__isnull=False).count() == 2


def test_the_links_are_not_e_mailed_before_the_opening_commits(
        tenant, draft, eager, mailoutbox, django_capture_on_commit_callbacks):
    with tenant_context(tenant), django_capture_on_commit_callbacks() as callbacks:
        result = services.open_campaign(draft, email_links=True)
        assert mailoutbox == []  # nothing leaves inside the transaction
        assert result.emailed == 2 and len(result.links) == 6  # the others, to hand over
    assert len(callbacks) == 1  # the outbox publishes the sending once it commits
    with tenant_context(tenant):
        callbacks[0]()
    assert len(mailoutbox) == 2


def test_a_link_answered_before_its_e_mail_went_out_is_not_sent(
        tenant, draft, mailoutbox):
    with tenant_context(tenant):
        result = services.open_campaign(draft, email_links=True)
        Invitation.objects.filter(pk=result.emailing[0].pk).update(
            responded_at=result.campaign.opened_at)

    run("opl-reminders", tenant)

    assert [m.to for m in mailoutbox] == [[result.emailing[1].contact.email]]
    with tenant_context(tenant):
        assert OutgoingEmail.objects.get(
            dedup_key=services.invitation_email_key(result.emailing[0])).status == "cancelled"


def test_the_api_answers_no_link_for_an_e_mailed_invitation(
        tenant, draft, admin_api_client, eager, mailoutbox,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = admin_api_client.post(f"/api/v1/campaigns/{draft.pk}/open/").json()

    emailed = [i for i in body["invitations"] if i["emailed"]]
    assert body["emailed"] == 2 and len(emailed) == 2
    assert all(i["url"] is None for i in emailed)
    assert all("/satisfaction/r/" in i["url"] for i in body["invitations"] if not i["emailed"])
    assert len(mailoutbox) == 2
