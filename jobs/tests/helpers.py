"""Helpers for the job tests of every app."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend

from jobs import services
from kam.tenancy import tenant_context
from notifications.models import Notification

# The test e-mail backend below refuses recipients whose address contains this.
BOUNCING = "bounce"


class BouncingBackend(EmailBackend):
    """The locmem test backend, except that an address with "bounce" in it fails like an
    SMTP server refusing it."""

    def send_messages(self, messages):
        for message in messages:
            if any(BOUNCING in address for address in message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


def run(name, tenant, day=None):
    """Run job `name` for `tenant` as the worker would; returns the JobRun."""
    with tenant_context(tenant):
        return services.run(name, tenant=tenant, day=day)


def notifications(tenant, **filters):
    with tenant_context(tenant):
        return list(Notification.objects.filter(**filters).order_by("pk"))


def run_twice(name, tenant, day, mailoutbox):
    """Run the job twice for the same day; returns (first run, second run, notifications
    after the first, e-mails after the first), and checks that the second sent nothing."""
    first = run(name, tenant, day)
    after_first = notifications(tenant)
    mails_after_first = list(mailoutbox)
    second = run(name, tenant, day)
    assert notifications(tenant) == after_first, "the second run notified again"
    assert len(mailoutbox) == len(mails_after_first), "the second run e-mailed again"
    assert second.counts.get("notified", 0) == 0
    assert second.counts.get("emails_sent", 0) == 0
    return first, second, after_first, mails_after_first
