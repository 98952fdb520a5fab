"""Scheduled jobs of the customers app (see jobs.registry): the nightly re-scoring and the
visit-cadence reminders. Each is `run(tenant, day, log)`, safe to run twice."""

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from accounts.models import Role
from accounts.selectors import users_with_role
from kam import messages
from notifications.emails import recipient_language
from notifications.services import notify

from . import cadence, scoring
from .models import (
    Customer,
    Interaction,
    InteractionKind,
    ScoringRun,
    ServiceStandard,
    TierAssessment,
)


def _tier(value):
    return value or gettext_lazy("none")


def rescore(tenant, day, log):
    """Re-score every customer; tell each changed customer's KAM, and the executives once.

    The run and its notifications commit together, and a second run finds no change left
    to announce, so nothing is sent twice.
    """
    with transaction.atomic():
        run = scoring.run_scoring(tenant, trigger=ScoringRun.Trigger.SCHEDULE)
        log.count("customers_scored", run.customers_scored)
        log.count("assessments_pruned", scoring.prune_assessments(
            tenant, today=day, keep_days=settings.ASSESSMENT_RETENTION_DAYS))
        changes = list(TierAssessment.objects.filter(run=run).exclude(tier=F("previous_tier"))
                       .select_related("customer__owner").order_by("customer__name", "pk"))
        log.count("tier_changes", len(changes))
        for assessment in changes:
            customer = assessment.customer
            url = reverse("customer_detail", args=[customer.pk])
            with log.item(customer.name, url=url):
                owner = customer.owner
                if owner is None:
                    log.problem(_("%(customer)s moved from tier %(old)s to %(new)s, but has "
                                  "no owner (KAM) to tell.") % {
                        "customer": customer.name, "old": _tier(assessment.previous_tier),
                        "new": _tier(assessment.tier)}, url=url)
                    continue
                with recipient_language(owner, tenant):
                    text = messages.message(gettext_lazy(
                        "%(customer)s moved from tier %(old)s to %(new)s in the nightly "
                        "re-scoring."), customer=customer.name,
                        old=_tier(assessment.previous_tier), new=_tier(assessment.tier))
                    _n, created = notify(
                        tenant=tenant, recipient=owner, kind="tier_change", text=text,
                        dedup_key=f"tier-change:{run.pk}:{customer.pk}:{owner.pk}",
                        url=url, obj=customer)
                log.count("notified", created)
        if not changes:
            return
        url = reverse("scoring_run", args=[run.pk])
        for user in users_with_role(tenant, Role.EXECUTIVE):
            with log.item(user.email, url=url), recipient_language(user, tenant):
                text = messages.plural(ngettext_lazy(
                    "Nightly re-scoring: %(n)d customer changed tier.",
                    "Nightly re-scoring: %(n)d customers changed tier.", "n"), n=len(changes))
                _n, created = notify(tenant=tenant, recipient=user, kind="tier_changes",
                                     text=text, dedup_key=f"tier-changes:{run.pk}:{user.pk}",
                                     url=url, obj=run)
                log.count("notified", created)


def last_interactions(day):
    """{(customer id, kind): date of the last interaction of that kind on or before day}."""
    rows = (Interaction.objects.filter(occurred_on__lte=day).values("customer_id", "kind")
            .annotate(last=Max("occurred_on")).order_by())
    return {(row["customer_id"], row["kind"]): row["last"] for row in rows}


def cadence_reminders(tenant, day, log):
    """Remind each KAM of the visits and reviews overdue under their customers' tier
    standards (`customers.cadence`); once a month per customer and type while overdue."""
    standards = {}
    for tier, kind, max_days in ServiceStandard.objects.values_list("tier", "kind", "max_days"):
        standards.setdefault(tier, {})[kind] = max_days
    if not standards:
        return
    last = last_interactions(day)
    month = f"{day:%Y-%m}"
    customers = (Customer.objects.filter(is_active=True, tier__in=list(standards))
                 .select_related("owner").order_by("name", "pk"))
    for customer in customers:
        overdue = [(kind, max_days, last.get((customer.pk, kind)))
                   for kind, max_days in sorted(standards[customer.tier].items())
                   if cadence.is_overdue(last.get((customer.pk, kind)), max_days, day)]
        if not overdue:
            continue
        log.count("overdue", len(overdue))
        url = reverse("customer_detail", args=[customer.pk])
        with log.item(customer.name, url=url):
            owner = customer.owner
            if owner is None:
                log.problem(ngettext(
                    "%(customer)s has %(count)d overdue visit or review but no owner (KAM) "
                    "to remind.",
                    "%(customer)s has %(count)d overdue visits or reviews but no owner (KAM) "
                    "to remind.", len(overdue)) % {
                    "customer": customer.name, "count": len(overdue)}, url=url)
                continue
            with recipient_language(owner, tenant):
                for kind, max_days, last_on in overdue:
                    values = {"kind": InteractionKind(kind).label, "customer": customer.name,
                              "tier": customer.tier}
                    if last_on:
                        text = messages.plural(ngettext_lazy(
                            "%(kind)s with %(customer)s is overdue: the last was on %(last)s, "
                            "and tier %(tier)s asks for one every %(n)s day.",
                            "%(kind)s with %(customer)s is overdue: the last was on %(last)s, "
                            "and tier %(tier)s asks for one every %(n)s days.", "n"),
                            n=max_days, last=last_on, **values)
                    else:
                        values["kind"] = messages.lower(values["kind"])
                        text = messages.plural(ngettext_lazy(
                            "No %(kind)s with %(customer)s on record: tier %(tier)s asks for "
                            "one every %(n)s day.",
                            "No %(kind)s with %(customer)s on record: tier %(tier)s asks for "
                            "one every %(n)s days.", "n"), n=max_days, **values)
                    _n, created = notify(
                        tenant=tenant, recipient=owner, kind="cadence_overdue", text=text,
                        dedup_key=f"cadence:{customer.pk}:{kind}:{owner.pk}:{month}",
                        url=url, obj=customer)
                    log.count("notified", created)
