"""The satisfaction jobs: OPL reminders and chase, quarterly campaigns, survey chasers."""

import re
from datetime import date, timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from jobs.tests.helpers import notifications, run, run_twice
from kam import periods
from kam.tenancy import tenant_context
from notifications.models import OutgoingEmail
from satisfaction import services
from satisfaction.models import Campaign, Invitation, Survey
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    CustomerFactory,
    InvitationFactory,
    MembershipFactory,
    OplItemFactory,
    ResponseFactory,
    SurveyFactory,
    UserFactory,
)

DAY = date(2026, 5, 14)


@pytest.fixture
def people(tenant):
    def member(email, role):
        return MembershipFactory(tenant=tenant, role=role, user=UserFactory(email=email)).user

    return {"kam": member("kam@alpha.example.com", "manager"),
            "owner": member("owner@alpha.example.com", "member"),
            "admin": member("admin@alpha.example.com", "admin"),
            "exec": member("exec@alpha.example.com", "executive")}


# --- the OPL -------------------------------------------------------------------------------

def test_overdue_opl_items_remind_owner_and_kam_weekly(tenant, people, mailoutbox):
    customer = CustomerFactory(tenant=tenant, name="Alpha Motors", owner=people["kam"])
    OplItemFactory(tenant=tenant, customer=customer, title="8D for the scratches",
                   owner=people["owner"], accountable=None, due_date=DAY - timedelta(days=2))
    OplItemFactory(tenant=tenant, customer=customer, title="Not yet due",
                   owner=people["owner"], accountable=people["kam"],
                   due_date=DAY + timedelta(days=30))
    OplItemFactory(tenant=tenant, customer=customer, title="Done late", status="done",
                   owner=people["owner"], due_date=DAY - timedelta(days=9))
    nobody = CustomerFactory(tenant=tenant, name="Nobody Cars", owner=None)
    OplItemFactory(tenant=tenant, customer=nobody, title="Forgotten point", owner=None,
                   accountable=None, due_date=DAY - timedelta(days=1))

    first, _second, notes, mails = run_twice("opl-reminders", tenant, DAY, mailoutbox)

    # The accountable KAM defaults to the customer's owner.
    assert {(n.recipient.email, n.text) for n in notes} == {
        (email, "OPL item “8D for the scratches” (Alpha Motors) is overdue: it was due on "
                "12 May 2026.") for email in ("owner@alpha.example.com", "kam@alpha.example.com")}
    assert {n.kind for n in notes} == {"opl_overdue"}
    assert all(n.url.startswith("/satisfaction/opl/") for n in notes)
    assert sorted(m.to[0] for m in mails) == ["kam@alpha.example.com",
                                              "owner@alpha.example.com"]
    assert first.status == "partial"
    assert "“Forgotten point” (Nobody Cars) is overdue, but has no owner" in (
        first.problems[0]["message"])
    run("opl-reminders", tenant, DAY + timedelta(days=3))
    assert len(notifications(tenant)) == 2
    run("opl-reminders", tenant, DAY + timedelta(days=6))  # a week after its first day late
    assert len(notifications(tenant)) == 4


def test_fortnightly_chase_covers_stale_items_once_per_fortnight(tenant, people, mailoutbox):
    OplItemFactory(tenant=tenant, title="Quiet item", owner=people["owner"],
                   accountable=people["kam"], due_date=DAY + timedelta(days=30),
                   last_update_at=timezone.now() - timedelta(days=20))

    first, _second, notes, _mails = run_twice("opl-chase", tenant, DAY, mailoutbox)

    assert first.counts["stale"] == 1
    assert {n.kind for n in notes} == {"opl_chase"} and len(notes) == 2
    assert "no update for 14 days" in notes[0].text
    run("opl-chase", tenant, DAY + timedelta(days=3))  # 2026-05-17: the same fortnight
    assert len(notifications(tenant)) == 2
    run("opl-chase", tenant, DAY + timedelta(days=7))  # 2026-05-21: the next one
    assert len(notifications(tenant)) == 4


# --- campaigns -----------------------------------------------------------------------------

# The current quarter (its links must work now); the campaign before it is still open.
QUARTER_START = periods.Quarter.of(timezone.localdate()).start
QUARTER = f"{QUARTER_START.year}Q{periods.Quarter.of(QUARTER_START).number}"
BEFORE = QUARTER_START - timedelta(days=1)


@pytest.fixture
def surveyed(tenant, people):
    """Last quarter's open campaign (the default template) and two customers to survey:
    Alpha (tier A, a KAM, a buyer with an e-mail, a quality contact without) and Beta (tier
    B, nobody)."""
    with tenant_context(tenant):
        template = services.ensure_default_template(tenant)
    last = CampaignFactory(tenant=tenant, year=BEFORE.year,
                           quarter=periods.Quarter.of(BEFORE).number,
                           template=template, status="open", closes_on=BEFORE)
    alpha = CustomerFactory(tenant=tenant, name="Alpha Motors", tier="A", owner=people["kam"])
    ContactFactory(tenant=tenant, customer=alpha, department="purchasing", name="Li Buyer",
                   email="buyer@alpha-motors.example.com")
    ContactFactory(tenant=tenant, customer=alpha, department="quality", email="")
    CustomerFactory(tenant=tenant, name="Beta Cars", tier="B", owner=None)
    CustomerFactory(tenant=tenant, name="Gamma Vans", tier="C", owner=people["kam"])
    return {"last": last, "alpha": alpha}


def period_filter():
    return Q(year=QUARTER_START.year, quarter=periods.Quarter.of(QUARTER_START).number)


def test_the_quarter_opens_on_its_first_day_and_the_last_one_closes(tenant, people, surveyed,
                                                                     mailoutbox):
    first, _second, notes, mails = run_twice("campaigns", tenant, QUARTER_START, mailoutbox)

    with tenant_context(tenant):
        surveyed["last"].refresh_from_db()
        assert surveyed["last"].status == "closed"
        campaign = Campaign.objects.get(year=QUARTER_START.year,
                                        quarter=periods.Quarter.of(QUARTER_START).number)
        assert campaign.status == "open"
        assert campaign.closes_on == periods.Quarter.of(QUARTER_START).end
        assert sorted(Survey.objects.filter(campaign=campaign)
                      .values_list("customer__name", flat=True)) == ["Alpha Motors", "Beta Cars"]
        assert Invitation.objects.filter(survey__campaign=campaign).count() == 8
        sent = Invitation.objects.get(survey__campaign=campaign, sent_at__isnull=False)
    # The link e-mail is queued by the opening and sent, after its commit, with the rest.
    assert first.counts == {"closed": 1, "opened": 1, "surveys": 2, "invitations_queued": 1,
                            "notified": 3, "emails_sent": 4}
    # Seven links had no address; Beta has no KAM to hand its links to.
    assert first.problem_count == 8
    assert sum("no contact with an e-mail address" in p["message"]
               for p in first.problems) == 7
    assert any("Beta Cars has no owner (KAM)" in p["message"] for p in first.problems)
    [invitation_mail] = [m for m in mails if m.to == ["buyer@alpha-motors.example.com"]]
    assert invitation_mail.subject == (
        f"Alpha Interiors — customer satisfaction survey {QUARTER}")
    assert invitation_mail.from_email.startswith("Alpha Interiors via KAM <")
    assert "Dear Li Buyer" in invitation_mail.body
    raw = re.search(r"/satisfaction/r/([\w-]+)/", invitation_mail.body)[1]
    assert services.resolve_token(raw) == (sent, "ok")
    assert invitation_mail.alternatives[0][1] == "text/html"
    [kam_note] = [n for n in notes if n.recipient == people["kam"]]
    assert kam_note.text == (f"Survey {QUARTER} of Alpha Motors: the links for Engineering, "
                             "Quality, Logistics could not be e-mailed; hand them over from "
                             "the survey page.")
    assert {n.recipient.email for n in notes if n.kind == "campaign"} == {
        "kam@alpha.example.com", "admin@alpha.example.com", "exec@alpha.example.com"}
    with tenant_context(tenant):
        # The invitation e-mail is in the ledger, without its secret link.
        ledger = OutgoingEmail.objects.get(kind="invitation")
        assert ledger.status == "sent" and ledger.text_body == ""


def test_no_campaign_is_opened_later_in_the_quarter(tenant, people, surveyed):
    result = run("campaigns", tenant, QUARTER_START + timedelta(days=10))
    with tenant_context(tenant):
        assert not Campaign.objects.filter(period_filter()).exists()
    assert result.counts == {"closed": 1}


def test_a_missed_first_day_is_caught_up_in_the_first_week(tenant, people, surveyed):
    run("campaigns", tenant, QUARTER_START + timedelta(days=3))
    with tenant_context(tenant):
        assert Campaign.objects.get(period_filter()).status == "open"


def test_a_campaign_that_cannot_open_is_a_problem_not_a_crash(tenant, people):
    with tenant_context(tenant):
        services.ensure_default_template(tenant)
    result = run("campaigns", tenant, QUARTER_START)  # no A or B customer to survey
    assert result.status == "partial"
    assert "could not be opened" in result.problems[0]["message"]
    with tenant_context(tenant):
        assert Campaign.objects.get(period_filter()).status == "draft"


@pytest.fixture
def open_survey(tenant, people):
    campaign = CampaignFactory(tenant=tenant, status="open",
                               closes_on=timezone.localdate() + timedelta(days=30))
    customer = CustomerFactory(tenant=tenant, name="Alpha Motors", owner=people["kam"])
    survey = SurveyFactory(tenant=tenant, campaign=campaign, customer=customer)
    long_ago = timezone.now() - timedelta(days=8)

    def invitation(department, email, **fields):
        contact = ContactFactory(tenant=tenant, customer=customer, department=department,
                                 name=f"{department.title()} Contact", email=email)
        return InvitationFactory(tenant=tenant, survey=survey, department=department,
                                 contact=contact, **fields)

    return {
        "survey": survey,
        "purchasing": invitation("purchasing", "buyer@alpha-motors.example.com",
                                 sent_at=long_ago, raw_token="old-purchasing-token"),
        "engineering": invitation("engineering", "", sent_at=None),
        "logistics": invitation("logistics", "logistics@alpha-motors.example.com",
                                sent_at=timezone.now() - timedelta(days=2)),
        "quality": invitation("quality", "quality@alpha-motors.example.com",
                              sent_at=long_ago, responded_at=timezone.now()),
    }


def test_chasers_send_fresh_links_once_a_week(tenant, people, open_survey, mailoutbox):
    day = tenant.today()
    first, _second, notes, mails = run_twice("invitation-chasers", tenant, day, mailoutbox)

    [reminder] = [m for m in mails if m.to == ["buyer@alpha-motors.example.com"]]
    period = open_survey["survey"].campaign.period
    assert reminder.subject == (
        f"Reminder: Alpha Interiors — customer satisfaction survey {period}")
    assert reminder.from_email.startswith("Alpha Interiors via KAM <")
    assert f"Alpha Interiors has not yet heard from you about {period}" in reminder.body
    assert "replaces the one we sent before" in reminder.body
    raw = re.search(r"/satisfaction/r/([\w-]+)/", reminder.body)[1]
    invitation = open_survey["purchasing"]
    assert services.resolve_token(raw)[1] == "ok"
    assert services.resolve_token("old-purchasing-token")[0] is None  # replaced
    assert first.counts["chased"] == 1
    # Engineering has no address: a problem; logistics was e-mailed two days ago.
    assert [p["message"] for p in first.problems] == [
        "Alpha Motors · Engineering: no contact with an e-mail address; the link was not "
        "e-mailed (hand it over from the survey page)."]
    [kam_note] = notes
    assert kam_note.kind == "invitation_chase"
    assert kam_note.text == ("Survey {} of Alpha Motors: no answer yet from Purchasing, "
                             "Engineering, Logistics.".format(
                                 open_survey["survey"].campaign.period))
    with tenant_context(tenant):
        invitation.refresh_from_db()
    assert invitation.sent_at > timezone.now() - timedelta(minutes=5)


def test_a_staff_entered_answer_stops_the_chasing(tenant, people, open_survey, mailoutbox):
    ResponseFactory(tenant=tenant, survey=open_survey["survey"], department="purchasing")
    run("invitation-chasers", tenant, tenant.today())
    assert not [m for m in mailoutbox if m.to == ["buyer@alpha-motors.example.com"]]


def test_a_bounced_chaser_keeps_the_old_link_and_is_retried(tenant, people, open_survey,
                                                            settings, mailoutbox):
    settings.EMAIL_BACKEND = "jobs.tests.helpers.BouncingBackend"
    with tenant_context(tenant):
        Invitation.objects.filter(pk=open_survey["purchasing"].pk).update(
            contact=ContactFactory(tenant=tenant, customer=open_survey["survey"].customer,
                                   department="purchasing", email="bounce@alpha.example.com"))

    result = run("invitation-chasers", tenant, tenant.today())

    assert result.status == "partial"
    assert any("bounce@alpha.example.com could not be sent" in p["message"]
               for p in result.problems)
    assert services.resolve_token("old-purchasing-token")[1] == "ok"  # rolled back
    # The KAM's list still went out, by e-mail too.
    assert [m.to for m in mailoutbox] == [["kam@alpha.example.com"]]
    again = run("invitation-chasers", tenant, tenant.today())
    with tenant_context(tenant):
        ledger = OutgoingEmail.objects.get(kind="invitation")
    assert ledger.status == "failed" and ledger.attempts == 2
    assert again.status == "partial"
