"""The account manager's home: my accounts, my reminders, what is due in 14 days."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards.tests.portfolio import build_portfolio
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    MilestoneFactory,
    NotificationFactory,
    OplItemFactory,
    ProgrammeFactory,
    TeamMemberFactory,
)


def text(response):
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def section(page, section_id):
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def test_my_accounts_with_tier_health_rag_satisfaction_and_overdue_counts(client, tenant):
    portfolio = build_portfolio(tenant, size=3)
    someone_elses = CustomerFactory(tenant=tenant, name="Not Mine Motors")
    client.force_login(portfolio.owner)

    page = text(client.get(reverse("home")))
    accounts = section(page, "my-accounts")

    for customer in portfolio.customers:
        assert customer.name in accounts
    assert someone_elses.name not in accounts
    assert accounts.count('class="badge health-') == 3
    assert accounts.count('class="badge rag-red"') == 3  # a milestone past its date each
    assert "?customer=" in accounts and "overdue=1" in accounts  # overdue OPL links
    assert "AR" in accounts


def test_a_team_member_sees_the_accounts_of_their_teams(client, tenant):
    user = MembershipFactory(tenant=tenant, role="manager").user
    customer = CustomerFactory(tenant=tenant, name="Team Account Motors")
    TeamMemberFactory(tenant=tenant, team__customer=customer, user=user, role="SR")
    former = CustomerFactory(tenant=tenant, name="Former Team Motors")
    TeamMemberFactory(tenant=tenant, team__customer=former, user=user, role="FR",
                      end_on=timezone.now().date() - timedelta(days=10))
    client.force_login(user)

    accounts = section(text(client.get(reverse("home"))), "my-accounts")

    assert "Team Account Motors" in accounts and "SR" in accounts
    assert "Former Team Motors" not in accounts


def test_due_in_the_next_14_days_and_reminders(client, tenant):
    user = MembershipFactory(tenant=tenant, role="manager").user
    today = tenant.today()
    programme = ProgrammeFactory(tenant=tenant, code="PRG-HOME")
    MilestoneFactory(tenant=tenant, programme=programme, owner=user, kind="ots",
                     planned_date=today + timedelta(days=10))
    MilestoneFactory(tenant=tenant, programme=programme, owner=user, kind="t1",
                     planned_date=today - timedelta(days=3))
    MilestoneFactory(tenant=tenant, programme=programme, owner=user, kind="sop",
                     planned_date=today + timedelta(days=60))
    MilestoneFactory(tenant=tenant, programme=programme, kind="t2",
                     planned_date=today + timedelta(days=5))  # someone else's
    OplItemFactory(tenant=tenant, owner=user, title="Due soon point",
                   due_date=today + timedelta(days=5))
    OplItemFactory(tenant=tenant, accountable=user, title="Late point",
                   due_date=today - timedelta(days=1))
    OplItemFactory(tenant=tenant, owner=user, title="Far away point",
                   due_date=today + timedelta(days=40))
    OplItemFactory(tenant=tenant, owner=user, title="Finished point", status="done",
                   due_date=today + timedelta(days=2))
    NotificationFactory(tenant=tenant, recipient=user, text="Visit Changjiang this week")
    client.force_login(user)

    page = text(client.get(reverse("home")))
    milestones, items = section(page, "my-milestones"), section(page, "my-opl")

    assert "OTS samples" in milestones and "T1 tool trial" in milestones
    assert "SOP" not in milestones and "T2 tool trial" not in milestones
    assert "late" in milestones
    assert "Due soon point" in items and "Late point" in items
    assert "Far away point" not in items and "Finished point" not in items
    assert "overdue" in items
    assert "Visit Changjiang this week" in section(page, "my-reminders")


def test_an_empty_home_says_what_will_come(client, tenant):
    client.force_login(MembershipFactory(tenant=tenant, role="viewer").user)
    page = text(client.get(reverse("home")))
    assert "You own no account and are on no account team yet." in page
    assert "Nothing new." in page


@pytest.mark.parametrize("size", [3, 30])
def test_home_runs_a_fixed_number_of_queries(client, tenant, size,
                                             django_assert_max_num_queries):
    portfolio = build_portfolio(tenant, size=size)
    for item in portfolio.opl_items[:3]:
        NotificationFactory(tenant=tenant, recipient=portfolio.owner, text=f"About {item}")
    client.force_login(portfolio.owner)
    with django_assert_max_num_queries(27):  # 26, and one for the health arrows
        response = client.get(reverse("home"))
    assert text(response).count('class="badge health-') == size
