"""Scheduled job of the programmes app (see jobs.registry): the daily milestone reminders
and the escalation of programmes that stay red. `run(tenant, day, log)`, safe to run twice.

- A milestone due within DUE_SOON_DAYS of its customer date: its owner (or else the
  programme's project manager) hears once per customer date.
- An overdue milestone (customer date passed, not done): owner and project manager hear
  on its first day overdue and every OVERDUE_REPEAT_DAYS after.
- A programme red (`projects.rag`) for the tenant's escalation days: its region's leader
  hears once per red spell (keyed by the day it turned red).
"""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from kam import messages
from kam.periods import blocks_since
from notifications.emails import recipient_language
from notifications.services import notify

from . import rag
from .models import (
    CLOSED_STAGES,
    Milestone,
    MilestoneChange,
    MilestoneStatus,
    Programme,
    ProgrammeSettings,
)

DUE_SOON_DAYS = 7
OVERDUE_REPEAT_DAYS = 7


def escalation_days(tenant):
    row = ProgrammeSettings.objects.filter(tenant=tenant).first()
    return row.escalation_days if row else ProgrammeSettings.DEFAULT_ESCALATION_DAYS


def forecast_set_on(milestones, tenant):
    """{milestone id: the local date its forecast was last changed} from the slip history;
    the creation date for milestones whose forecast never changed."""
    changed = dict(MilestoneChange.objects.filter(milestone__in=milestones,
                                                  field="forecast_date")
                   .values("milestone_id").annotate(at=Max("changed_at"))
                   .values_list("milestone_id", "at").order_by())
    return {m.pk: timezone.localtime(changed.get(m.pk) or m.created_at, tenant.tzinfo).date()
            for m in milestones}


def milestone_reminders(tenant, day, log):
    policy = rag.policy_for(tenant)
    escalate_after = escalation_days(tenant)
    programmes = {p.pk: p for p in Programme.objects.exclude(stage__in=CLOSED_STAGES)
                  .select_related("customer__region__leader", "project_manager")}
    milestones = list(Milestone.objects.filter(programme_id__in=list(programmes))
                      .exclude(status=MilestoneStatus.DONE).select_related("owner")
                      .order_by("planned_date", "pk"))
    by_programme = defaultdict(list)
    for milestone in milestones:
        milestone.programme = programmes[milestone.programme_id]
        by_programme[milestone.programme_id].append(milestone)
        _remind(tenant, milestone, day, log)
    forecasts = forecast_set_on([m for m in milestones if m.forecast_date], tenant)
    for programme_id, open_milestones in by_programme.items():
        programme = programmes[programme_id]
        if rag.programme_rag(open_milestones, day, policy) != rag.Rag.RED:
            continue
        since = min(filter(None, (
            rag.red_since(m, day, policy, forecast_set_on=forecasts.get(m.pk))
            for m in open_milestones)))
        if (day - since).days >= escalate_after:
            _escalate(tenant, programme, since, day, log)


def _recipients(milestone, *, with_manager):
    owner = milestone.owner or milestone.programme.project_manager
    users = [owner] if owner else []
    manager = milestone.programme.project_manager
    if with_manager and manager and manager not in users:
        users.append(manager)
    return users


def _remind(tenant, milestone, day, log):
    programme = milestone.programme
    planned = milestone.planned_date
    if planned < day:
        kind, block = "milestone_overdue", blocks_since(planned + timedelta(days=1), day,
                                                        OVERDUE_REPEAT_DAYS)
        log.count("overdue")
    elif (planned - day).days <= DUE_SOON_DAYS:
        kind, block = "milestone_due", planned.isoformat()
        log.count("due_soon")
    else:
        return
    url = reverse("programme_detail", args=[programme.pk])
    what = f"{programme.code} · {milestone.label}"
    with log.item(what, url=url):
        users = _recipients(milestone, with_manager=kind == "milestone_overdue")
        if not users:
            log.problem(_("%(milestone)s has no owner and its programme no project manager: "
                          "nobody was reminded.") % {"milestone": what}, url=url)
            return
        for user in users:
            with recipient_language(user, tenant):
                values = {"milestone": milestone.kind_label, "programme": programme.code,
                          "customer": programme.customer.name, "date": planned,
                          "n": abs((planned - day).days)}
                if kind == "milestone_overdue":
                    text = messages.plural(ngettext_lazy(
                        "Milestone %(milestone)s of %(programme)s (%(customer)s) is overdue: "
                        "the customer date was %(date)s, %(n)s day ago.",
                        "Milestone %(milestone)s of %(programme)s (%(customer)s) is overdue: "
                        "the customer date was %(date)s, %(n)s days ago.", "n"), **values)
                else:
                    text = messages.plural(ngettext_lazy(
                        "Milestone %(milestone)s of %(programme)s (%(customer)s) is due on "
                        "%(date)s, in %(n)s day.",
                        "Milestone %(milestone)s of %(programme)s (%(customer)s) is due on "
                        "%(date)s, in %(n)s days.", "n"), **values)
                _n, created = notify(
                    tenant=tenant, recipient=user, kind=kind, text=text,
                    dedup_key=f"{kind}:{milestone.pk}:{user.pk}:{block}", url=url,
                    obj=milestone)
            log.count("notified", created)


def _escalate(tenant, programme, since, day, log):
    url = reverse("programme_detail", args=[programme.pk])
    what = f"{programme.code} · {programme.name}"
    with log.item(what, url=url):
        region = programme.customer.region
        leader = region.leader if region else None
        if leader is None:
            log.problem(_("%(programme)s has been red since %(since)s, but its customer has "
                          "no region leader to escalate to.") % {
                "programme": what, "since": since.isoformat()}, url=url)
            return
        with recipient_language(leader, tenant):
            text = messages.plural(ngettext_lazy(
                "Programme %(programme)s (%(customer)s) has been red since %(since)s "
                "(%(n)s day): please step in.",
                "Programme %(programme)s (%(customer)s) has been red since %(since)s "
                "(%(n)s days): please step in.", "n"),
                programme=what, customer=programme.customer.name, since=since,
                n=(day - since).days)
            _n, created = notify(
                tenant=tenant, recipient=leader, kind="programme_escalation", text=text,
                dedup_key=f"programme-escalation:{programme.pk}:{since}:{leader.pk}",
                url=url, obj=programme)
        log.count("escalated", created)
        log.count("notified", created)
