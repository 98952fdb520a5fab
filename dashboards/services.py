"""Writes of the dashboards app: the weekly health snapshots (`HealthSnapshot`) and the
OPL proposals of accounts whose health fell into a worse band. The stored health they
copy is dashboards.derived's; the proposal flow is satisfaction's (the same one low
survey answers take)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from customers.models import Customer
from kam import messages, periods
from satisfaction import services as satisfaction_services

from . import derived, health
from .models import HealthSnapshot

SNAPSHOT_FIELDS = ["value", "band", "parts", "taken_at"]


@dataclass(frozen=True)
class SnapshotsTaken:
    week: date
    snapshots: int
    proposed: int


def week_of(day: date) -> date:
    """The Monday of `day`'s ISO week: the key of its snapshots."""
    return periods.period_start(periods.WEEKLY, day)


def previous_bands(customers, week: date) -> dict[int, tuple[date, int | None, str]]:
    """{customer id: (week, value, band)} of each customer's latest snapshot before
    `week` (`customers`: ids or a queryset of them): one query (the first row of each
    customer's snapshots, newest first)."""
    rows = (HealthSnapshot.objects.filter(customer__in=customers, week__lt=week)
            .annotate(newest=Window(RowNumber(), partition_by=[F("customer_id")],
                                    order_by=[F("week").desc()]))
            .filter(newest=1).values_list("customer_id", "week", "value", "band"))
    return {pk: (week, value, band) for pk, week, value, band in rows}


@transaction.atomic
def take_health_snapshots(*, tenant: Tenant, day: date,
                          now: datetime | None = None) -> SnapshotsTaken:
    """Keep every active customer's stored health as the snapshot of `day`'s week (the
    outdated ones recomputed first), rewriting the week's rows if it was taken before;
    then propose an OPL item to the KAM of each account whose band is worse than in its
    previous snapshot (once per customer and week). A fixed number of queries whatever
    the number of customers."""
    now = now or timezone.now()
    week = week_of(day)
    active = Customer.objects.filter(is_active=True)
    found = derived.current(active, tenant=tenant, today=day, now=now)
    before = previous_bands(active.order_by().values("pk"), week)
    HealthSnapshot.objects.bulk_create(
        [HealthSnapshot(tenant=tenant, customer_id=pk, week=week, value=h.value,
                        band=h.band, parts=dict(zip(health.PART_KEYS, h.scores, strict=True)),
                        taken_at=now)
         for pk, h in sorted(found.items())],
        update_conflicts=True, unique_fields=["tenant", "customer", "week"],
        update_fields=SNAPSHOT_FIELDS)
    drops = [_drop(h, week, *before[pk]) for pk, h in found.items()
             if pk in before and health.is_drop(before[pk][2], h.band)]
    proposed = satisfaction_services.propose_for_health_drops(tenant, drops=drops)
    return SnapshotsTaken(week=week, snapshots=len(found), proposed=proposed)


def _drop(h: health.Health, week: date, previous_week: date, previous_value: int | None,
          previous_band: str) -> satisfaction_services.HealthDrop:
    """What the proposal of a band drop says, as stored messages."""
    name = h.customer["name"]
    title = messages.message(_("Health of %(customer)s fell from %(before)s to %(after)s"),
                             customer=name, before=health.BANDS[previous_band],
                             after=health.BANDS[h.band])
    lines = [
        messages.message(_("Week of %(week)s: health %(after)s, in the week of "
                           "%(previous_week)s %(before)s."),
                         week=week, after=h.value, previous_week=previous_week,
                         before=previous_value),
        messages.message(_("The parts of the health on the account page show what "
                           "moved.")),
    ]
    return satisfaction_services.HealthDrop(customer_id=h.customer_id, week=week,
                                            title=title, description=lines)
