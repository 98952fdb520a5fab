"""Scheduled jobs of the satisfaction app (see jobs.registry): OPL reminders and the
fortnightly chase, the quarterly campaign and the weekly survey chasers. Each is
`run(tenant, day, log)` and safe to run twice (de-duplication keys, conditional updates).
"""

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.selectors import users_with_role
from customers.models import Department
from kam import messages, periods
from notifications.emails import recipient_language
from notifications.services import notify

from . import opl, selectors, services
from .models import Campaign, CampaignCustomer, Invitation, OplItem, Response

OVERDUE_REPEAT_DAYS = 7
# The first days of a quarter in which its campaign is still opened (a run missed on the
# first day catches up).
OPENING_WINDOW_DAYS = 7
# An invitation e-mailed less than this long ago is not chased yet.
CHASE_AFTER = timedelta(days=6)


def _people(*users):
    seen = []
    for user in users:
        if user is not None and user not in seen:
            seen.append(user)
    return seen


# --- the OPL -------------------------------------------------------------------------------

def opl_reminders(tenant, day, log):
    """Overdue items to their owner and accountable KAM (or the customer's KAM): on the
    first day overdue and every OVERDUE_REPEAT_DAYS after."""
    items = (OplItem.objects.filter(opl.overdue_q(day))
             .select_related("customer__owner", "owner", "accountable").order_by("due_date"))
    for item in items:
        log.count("overdue")
        url = reverse("opl_detail", args=[item.pk])
        with log.item(item.title, url=url):
            users = _people(item.owner, item.accountable or item.customer.owner)
            if not users:
                log.problem(_("OPL item “%(title)s” (%(customer)s) is overdue, but has no "
                              "owner and its customer no KAM to remind.") % {
                    "title": item.title, "customer": item.customer.name}, url=url)
                continue
            block = periods.blocks_since(item.due_date + timedelta(days=1), day,
                                         OVERDUE_REPEAT_DAYS)
            for user in users:
                with recipient_language(user, tenant):
                    text = messages.message(gettext_lazy(
                        "OPL item “%(title)s” (%(customer)s) is overdue: it was due on "
                        "%(due)s."), title=item.title_message, customer=item.customer.name,
                        due=item.due_date)
                    _n, created = notify(
                        tenant=tenant, recipient=user, kind="opl_overdue", text=text,
                        dedup_key=f"opl-overdue:{item.pk}:{user.pk}:{block}", url=url, obj=item)
                log.count("notified", created)


def opl_chase(tenant, day, log):
    """The fortnightly chase: every overdue or stale item (no update for 14 days) to its
    owner and accountable KAM; one notification per item, person and fortnight."""
    fortnight = periods.period_start(periods.FORTNIGHTLY, day)
    items = selectors.filter_items(selectors.opl_items(today=day), today=day,
                                   status="active").filter(opl.overdue_q(day) | opl.stale_q())
    for item in items:
        log.count("stale", item.is_stale)
        log.count("overdue", item.is_overdue)
        url = reverse("opl_detail", args=[item.pk])
        with log.item(item.title, url=url):
            users = _people(item.owner, item.accountable)
            if not users:
                log.problem(_("OPL item “%(title)s” (%(customer)s) needs chasing, but has no "
                              "owner or accountable KAM.") % {
                    "title": item.title, "customer": item.customer.name}, url=url)
                continue
            for user in users:
                with recipient_language(user, tenant):
                    why = (gettext_lazy("overdue") if item.is_overdue
                           else gettext_lazy("no update for 14 days"))
                    text = messages.message(gettext_lazy(
                        "OPL item “%(title)s” (%(customer)s): %(why)s."),
                        title=item.title_message, customer=item.customer.name, why=why)
                    _n, created = notify(
                        tenant=tenant, recipient=user, kind="opl_chase", text=text,
                        dedup_key=f"opl-chase:{item.pk}:{user.pk}:{fortnight}", url=url,
                        obj=item)
                log.count("notified", created)


# --- campaigns -----------------------------------------------------------------------------

def campaigns(tenant, day, log):
    """Close open campaigns whose last day has passed; in the first days of a quarter,
    create (from the last campaign's template) and open its campaign, e-mail the links."""
    for campaign in Campaign.objects.filter(status=Campaign.Status.OPEN, closes_on__lt=day):
        with log.item(_("Campaign %(period)s") % {"period": campaign.period}):
            services.close_campaign(campaign)
            log.count("closed")
    quarter = periods.Quarter.of(day)
    if (day - quarter.start).days >= OPENING_WINDOW_DAYS:
        return
    campaign = Campaign.objects.filter(year=quarter.year, quarter=quarter.number).first()
    if campaign is None:
        with log.item(_("Campaign %(period)s") % {"period": str(quarter)}):
            campaign = services.create_campaign(
                tenant, year=quarter.year, quarter=quarter.number,
                template=_template_for(tenant), closes_on=quarter.end,
                note=_("Created by the quarterly schedule."))
    if campaign is None or campaign.status != Campaign.Status.DRAFT:
        return
    _open(tenant, campaign, day, log)


def _template_for(tenant):
    last = Campaign.objects.select_related("template").order_by("-year", "-quarter").first()
    if last is not None and last.template.is_active:
        return last.template
    return services.ensure_default_template(tenant)


def _open(tenant, campaign, day, log):
    url = reverse("campaign_detail", args=[campaign.pk])
    if not CampaignCustomer.objects.filter(campaign=campaign).exists():
        # Created before any customer had a tier, say: take today's A and B customers.
        services.set_campaign_customers(campaign, customers=services.default_customers(tenant))
    try:
        # The links go out after the opening commits (at the end of this run, or by the
        # task it queues, whichever comes first); each once.
        result = services.open_campaign(campaign, today=day, email_links=True)
    except ValidationError as exc:
        log.problem(_("Campaign %(period)s could not be opened: %(reason)s") % {
            "period": campaign.period, "reason": " ".join(exc.messages)}, url=url)
        return
    log.count("opened")
    log.count("surveys", result.surveys)
    log.count("invitations_queued", result.emailed)
    missing = defaultdict(list)  # survey -> departments whose link cannot be e-mailed
    for invitation, _raw in result.links:
        _no_address(invitation, log)
        missing[invitation.survey].append(invitation.department)
    for survey, departments in missing.items():
        _tell_kam_of_missing_links(tenant, survey, departments, log)
    for user in users_with_role(tenant, Role.ADMIN, Role.EXECUTIVE):
        with log.item(user.email, url=url), recipient_language(user, tenant):
            text = messages.message(gettext_lazy(
                "Satisfaction campaign %(period)s is open: %(surveys)s surveys, closing on "
                "%(date)s."), period=campaign.period, surveys=result.surveys,
                date=campaign.closes_on)
            _n, created = notify(tenant=tenant, recipient=user, kind="campaign", text=text,
                                 dedup_key=f"campaign-opened:{campaign.pk}:{user.pk}",
                                 url=url, obj=campaign)
            log.count("notified", created)


def _link_label(invitation):
    return f"{invitation.survey.customer.name} · {Department(invitation.department).label}"


def _no_address(invitation, log):
    log.problem(_("%(invitation)s: no contact with an e-mail address; the link was not "
                  "e-mailed (hand it over from the survey page).") % {
        "invitation": _link_label(invitation)},
        url=reverse("survey_detail", args=[invitation.survey_id]))


def _tell_kam_of_missing_links(tenant, survey, departments, log, *, week=None):
    customer = survey.customer
    url = reverse("survey_detail", args=[survey.pk])
    with log.item(customer.name, url=url):
        owner = customer.owner
        if owner is None:
            log.problem(_("%(customer)s has no owner (KAM) to hand over its survey links.") % {
                "customer": customer.name}, url=url)
            return
        with recipient_language(owner, tenant):
            names = [Department(d).label
                     for d in sorted(departments, key=Department.values.index)]
            if week is None:
                text = messages.message(gettext_lazy(
                    "Survey %(period)s of %(customer)s: the links for %(departments)s could "
                    "not be e-mailed; hand them over from the survey page."),
                    period=survey.campaign.period, customer=customer.name, departments=names)
                key, kind = f"campaign-links:{survey.pk}:{owner.pk}", "campaign"
            else:
                text = messages.message(gettext_lazy(
                    "Survey %(period)s of %(customer)s: no answer yet from %(departments)s."),
                    period=survey.campaign.period, customer=customer.name, departments=names)
                key, kind = f"invitation-chase:{survey.pk}:{owner.pk}:{week}", \
                    "invitation_chase"
            _n, created = notify(tenant=tenant, recipient=owner, kind=kind, text=text,
                                 dedup_key=key, url=url, obj=survey)
        log.count("notified", created)


def invitation_chasers(tenant, day, log):
    """Weekly: a fresh link to each contact who has not answered an open campaign (once a
    week), and to each KAM the list of their surveys' unanswered departments."""
    week = periods.period_start(periods.WEEKLY, day)
    now = timezone.now()
    answered = Response.objects.filter(survey=OuterRef("survey"),
                                       department=OuterRef("department"))
    invitations = (Invitation.objects
                   .filter(survey__campaign__status=Campaign.Status.OPEN,
                           responded_at__isnull=True, revoked_at__isnull=True,
                           expires_at__gt=now)
                   .exclude(Exists(answered))
                   .select_related("survey__customer__owner", "survey__campaign", "contact")
                   .order_by("survey__customer__name", "department"))
    unanswered = defaultdict(list)
    chase = []
    for invitation in invitations:
        unanswered[invitation.survey].append(invitation.department)
        if invitation.sent_at and invitation.sent_at > now - CHASE_AFTER:
            continue  # just e-mailed: give them a week
        if invitation.contact is None or not invitation.contact.email:
            _no_address(invitation, log)
        else:
            chase.append(invitation)
    # Queued, and sent with a fresh link at the end of this run (jobs.services.run); a
    # failed one keeps the old link working and is retried by the next run.
    log.count("chased", len(services.queue_link_emails(chase, week=week, publish=False)))
    for survey, departments in unanswered.items():
        _tell_kam_of_missing_links(tenant, survey, departments, log, week=week)
