import re

import pytest
from django.core import mail

from satisfaction import services
from satisfaction.models import Invitation
from tests.factories import ContactFactory, CustomerFactory, MembershipFactory


def links_from_emails(invitations):
    """[(invitation as stored now, raw token)] of e-mailed invitations, each token read from
    the e-mail its contact got (the e-mail carries a link of its own)."""
    links = []
    for invitation in invitations:
        [message] = [m for m in mail.outbox if m.to == [invitation.contact.email]]
        raw = re.search(r"/satisfaction/r/([\w-]+)/", message.body)[1]
        links.append((Invitation.objects.get(pk=invitation.pk), raw))
    return links


@pytest.fixture
def open_and_email(eager, django_capture_on_commit_callbacks):
    """`open_and_email(campaign)`: open it with its links e-mailed, the e-mails sent once
    the opening commits as in production; returns the OpenResult."""

    def open_campaign(campaign, **options):
        with django_capture_on_commit_callbacks(execute=True):
            return services.open_campaign(campaign, email_links=True, **options)

    return open_campaign


@pytest.fixture
def survey_setup(in_tenant, open_and_email):
    """The default template, two A/B customers (one with contacts) and an open campaign."""
    tenant = in_tenant
    kam = MembershipFactory(tenant=tenant, role="manager").user
    template = services.ensure_default_template(tenant)
    alpha = CustomerFactory(tenant=tenant, tier="A", owner=kam, name="Alpha Motors")
    beta = CustomerFactory(tenant=tenant, tier="B", name="Beta Cars")
    CustomerFactory(tenant=tenant, tier="C")
    ContactFactory(tenant=tenant, customer=alpha, department="purchasing",
                   email="buyer@alpha.example.com")
    ContactFactory(tenant=tenant, customer=alpha, department="quality", email="")
    today = tenant.today()
    campaign = services.create_campaign(tenant, year=today.year, quarter=1, template=template,
                                        closes_on=today.replace(day=28) if today.day <= 28
                                        else today, user=kam)
    result = open_and_email(campaign)
    links = result.links + links_from_emails(result.emailing)
    return {"tenant": tenant, "kam": kam, "template": template, "alpha": alpha, "beta": beta,
            "campaign": result.campaign, "links": links, "result": result}
