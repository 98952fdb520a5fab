"""The monthly management report: OPL progress, satisfaction movers, the programmes' RAG
and tier changes, for the month before the run's day.

`build()` gathers the figures once, as plain JSON, into a `ManagementReport` row, so the
page executives open later shows what the e-mail said; `present()` adds the labels in the
reader's language. The job (`management_report`) writes the report once per month and
notifies and e-mails each executive once (de-duplication keys).
"""

from collections import OrderedDict
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.selectors import users_with_role
from customers.models import TierAssessment
from jobs.models import ManagementReport
from kam import messages, periods
from notifications.emails import absolute_url, recipient_language
from notifications.services import notify
from projects import rag
from projects import selectors as programme_selectors
from projects.models import CLOSED_STAGES
from satisfaction import opl
from satisfaction import selectors as satisfaction_selectors
from satisfaction.models import OplItem

TOP_ITEMS = 10


def _number(value):
    return None if value is None else float(value)


def _bounds(tenant, first, last):
    """Aware datetimes of the tenant's month, from its first to past its last day."""
    start = datetime.combine(first, time.min, tzinfo=tenant.tzinfo)
    return start, datetime.combine(last + timedelta(days=1), time.min, tzinfo=tenant.tzinfo)


def opl_section(first, last, day, *, tz):
    items = OplItem.objects.all()
    overdue = list(items.filter(opl.overdue_q(day)).select_related("customer", "owner")
                   .order_by("due_date", "pk")[:TOP_ITEMS])
    by_status = dict(items.order_by().values_list("status").annotate(n=Count("pk")))
    return {
        "opened": items.filter(opened_on__range=(first, last)).count(),
        "closed": items.filter(opl.closed_q(since=first, until=last, tz=tz)).count(),
        "by_status": by_status,
        "active": items.filter(status__in=opl.ACTIVE).count(),
        "overdue": items.filter(opl.overdue_q(day)).count(),
        "stale": items.filter(opl.stale_q()).count(),
        "top_overdue": [{"title": i.title, "customer": i.customer.name,
                         "owner": str(i.owner) if i.owner else "",
                         "due": i.due_date.isoformat(),
                         "url": reverse("opl_detail", args=[i.pk])} for i in overdue],
    }


def satisfaction_section(last):
    quarter = (last.year, periods.Quarter.of(last).number)
    campaign = next((c for c in satisfaction_selectors.reportable_campaigns()
                     if (c.year, c.quarter) <= quarter), None)
    report = satisfaction_selectors.portfolio_report(campaign) if campaign else None
    if report is None:
        return None

    def mover(row):
        return {"customer": row["customer"].name, "index": _number(row["index"]),
                "previous": _number(row["previous"]), "trend": _number(row["trend"]),
                "url": reverse("satisfaction_customer_report", args=[row["customer"].pk])}

    return {
        "campaign": campaign.period, "status": campaign.status,
        "previous": report["previous"].period if report["previous"] else None,
        "index": _number(report["index"]), "previous_index": _number(report["previous_index"]),
        "trend": _number(report["trend"]), "nps": _number(report["nps"]),
        "surveys": len(report["rows"]),
        "movers_up": [mover(r) for r in report["movers_up"]],
        "movers_down": [mover(r) for r in report["movers_down"]],
        "url": reverse("satisfaction_portfolio"),
    }


def rag_section(tenant, day):
    """The open programmes by RAG, and the red ones with the reason of their worst
    milestone (projects.selectors)."""
    policy = rag.policy_for(tenant)
    open_programmes = programme_selectors.programmes().exclude(stage__in=CLOSED_STAGES)
    counts = programme_selectors.programme_rag_counts(programmes=open_programmes, on=day,
                                                      policy=policy)
    red = sorted(programme_selectors.attach_programme_rag(
        programme_selectors.filter_programmes_by_rag(open_programmes, rag.Rag.RED, day, policy),
        day, policy), key=lambda p: p.code)
    return {"counts": counts,
            "red": [{"code": p.code, "name": p.name, "customer": p.customer.name,
                     "reason": str(p.rag_reason),
                     "url": reverse("programme_detail", args=[p.pk])} for p in red]}


def tiers_section(tenant, first, last):
    """Each customer whose tier changed in the month: its tier before the month's first
    change and after the last one (customers that ended where they started are left out)."""
    start, end = _bounds(tenant, first, last)
    moves = OrderedDict()
    # Only the changes: nightly runs assess every customer, most of them unchanged.
    changes = (TierAssessment.objects.filter(run__started_at__gte=start, run__started_at__lt=end)
               .exclude(tier=F("previous_tier")).select_related("customer")
               .order_by("run__started_at", "run_id"))
    for assessment in changes:
        move = moves.setdefault(assessment.customer_id, {
            "customer": assessment.customer.name, "from": assessment.previous_tier,
            "url": reverse("customer_detail", args=[assessment.customer_id])})
        move["to"] = assessment.tier
    return sorted((m for m in moves.values() if m["from"] != m["to"]),
                  key=lambda m: (m["to"] or "Z", m["customer"]))


def build(tenant, first, last, day):
    """The report's figures for the month `first`–`last`, as of `day` (JSON-ready)."""
    return {
        "month": first.isoformat(), "as_of": day.isoformat(),
        "opl": opl_section(first, last, day, tz=tenant.tzinfo),
        "satisfaction": satisfaction_section(last),
        "rag": rag_section(tenant, day),
        "tiers": tiers_section(tenant, first, last),
    }


def present(data):
    """`data` with the labels a reader needs, in the active language."""
    statuses = dict(OplItem.Status.choices)
    colours = dict(rag.Rag.choices)
    opl_data = dict(data["opl"])
    opl_data["by_status"] = [{"label": statuses.get(key, key), "count": count}
                             for key, count in sorted(data["opl"]["by_status"].items(),
                                                      key=lambda kv: list(statuses).index(
                                                          kv[0]) if kv[0] in statuses else 99)]
    rag_data = dict(data["rag"])
    rag_data["counts"] = [{"key": key, "label": colours.get(key, _("no colour")),
                           "count": data["rag"]["counts"].get(key, 0)}
                          for key in ("red", "amber", "green", "none")]
    return {**data, "opl": opl_data, "rag": rag_data,
            "month_label": date_format(datetime.fromisoformat(data["month"]).date(),
                                       "YEAR_MONTH_FORMAT")}


def month_label(report):
    return date_format(report.period_start, "YEAR_MONTH_FORMAT")


def management_report(tenant, day, log):
    """Write last month's report (once) and tell each executive, by e-mail too."""
    first, last = periods.previous_month(day)
    with transaction.atomic():
        report = ManagementReport.objects.filter(period_start=first).first()
        if report is None:
            report = ManagementReport.objects.create(tenant=tenant, period_start=first,
                                                     data=build(tenant, first, last, day))
            log.count("reports")
        url = reverse("report_detail", args=[report.pk])
        executives = list(users_with_role(tenant, Role.EXECUTIVE))
        if not executives:
            log.problem(_("Nobody has the executive role: the report for %(month)s was "
                          "written but not sent.") % {"month": month_label(report)}, url=url)
        for user in executives:
            with log.item(user.email, url=url), recipient_language(user, tenant):
                month = month_label(report)
                text = messages.message(gettext_lazy(
                    "The management report for %(month)s is ready."),
                    month=messages.year_month(report.period_start))
                _n, created = notify(
                    tenant=tenant, recipient=user, kind="management_report", text=text,
                    dedup_key=f"management-report:{first:%Y-%m}:{user.pk}", url=url,
                    obj=report, email_template="dashboards/email/report",
                    email_context={"report": present(report.data),
                                   "subject": _("KAM management report, %(month)s") % {
                                       "month": month},
                                   "base_url": absolute_url("/").rstrip("/")})
                log.count("notified", created)
