"""Visit cadence: service standards per tier against the last interaction of each type."""

from datetime import date, timedelta

from django.db.models import Max

from .models import Interaction, InteractionKind, ServiceStandard

DEFAULT_STANDARDS = {
    "A": {"executive_visit": 90, "business_review": 90, "technical_exchange": 60},
    "B": {"executive_visit": 180, "business_review": 180},
    "C": {"business_review": 365},
}


def ensure_default_standards(tenant):
    """Create the brief's default standards for a tenant that has none (idempotent)."""
    if ServiceStandard.objects.exists():
        return
    ServiceStandard.objects.bulk_create(
        ServiceStandard(tenant=tenant, tier=tier, kind=kind, max_days=days)
        for tier, kinds in DEFAULT_STANDARDS.items()
        for kind, days in kinds.items()
    )


def due_on(last_on, max_days, today):
    """When the next interaction of a type is due: `max_days` after the last one; never
    met, due from today (so a new A account is overdue at once). A due date past the
    calendar's last day (a standard or a date no form accepts, written another way) is
    that last day rather than an OverflowError on every page that shows the cadence."""
    if not last_on:
        return today
    return last_on + timedelta(days=min(max_days, (date.max - last_on).days))


def is_overdue(last_on, max_days, today):
    """Whether a standard of `max_days` is broken on `today`, the last interaction of its
    type being on `last_on` (None: never). Counted in days since the last one, which
    cannot overflow whatever the standard."""
    return last_on is None or (today - last_on).days > max_days


def customer_cadence(customer, today):
    """One row per interaction type: last date, the standard for the tier, due, overdue."""
    last = dict(Interaction.objects.filter(customer=customer).values("kind")
                .annotate(last=Max("occurred_on")).values_list("kind", "last"))
    standards = dict(ServiceStandard.objects.filter(tier=customer.tier)
                     .values_list("kind", "max_days")) if customer.tier else {}
    rows = []
    for kind, label in InteractionKind.choices:
        max_days = standards.get(kind)
        last_on = last.get(kind)
        rows.append({
            "kind": kind, "label": label, "last_on": last_on, "max_days": max_days,
            "due_on": due_on(last_on, max_days, today) if max_days else None,
            "overdue": bool(max_days) and is_overdue(last_on, max_days, today),
        })
    return rows
