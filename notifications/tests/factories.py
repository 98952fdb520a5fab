"""factory-boy factories for notification models; re-exported by tests/factories.py."""

import factory

from tests.factories import TenantOwnedFactory, UserFactory


class NotificationPreferenceFactory(TenantOwnedFactory):
    class Meta:
        model = "notifications.NotificationPreference"

    user = factory.SubFactory(UserFactory)
    kind = "opl_overdue"
    email = False


class OutgoingEmailFactory(TenantOwnedFactory):
    class Meta:
        model = "notifications.OutgoingEmail"

    dedup_key = factory.Sequence(lambda n: f"email-{n}")
    kind = "opl_overdue"
    recipient = factory.SubFactory(UserFactory)
    to_address = factory.LazyAttribute(lambda o: o.recipient.email)
    subject = factory.Sequence(lambda n: f"Reminder {n}")
    text_body = "An OPL item is overdue."
    html_body = "<p>An OPL item is overdue.</p>"
