"""RAG (red / amber / green) of milestones and programmes: the one place these rules live.

For a milestone on a given date `on`, with the tenant's slip tolerance (default 7 days)
and due-soon window (default 14 days):

- an **open** milestone (not done), with forecast = the forecast date, or the customer
  (planned) date when there is no forecast:
  - **red** when `on` is past the planned date, or the forecast is later than planned by
    more than the tolerance;
  - **amber** when the forecast is later than planned by at most the tolerance, or the
    planned date is within the due-soon window (`planned − on ≤ window`) and the
    milestone has not started;
  - **green** otherwise (forecast on or before planned).
- a **done** milestone: **green** when done on or before the planned date. (The brief says
  nothing of late ones; they are judged like a forecast: amber within the tolerance, red
  beyond it. A programme's colour never depends on them.)

A **programme** takes the worst colour of its open milestones; one with no open milestone
(or lost or closed) has no colour (`None`).

A red milestone has been red **since** the day after its customer date when that has
passed, or else since its forecast was moved beyond the tolerance; a red programme since
the earliest of its red milestones (`red_since`). The daily reminders escalate a
programme red for the tenant's escalation days to its region's leader.

"Today" is the tenant's date (`tenant.today()`); every function takes the date to judge on,
so tests and reports can ask for any day.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


class Rag(models.TextChoices):
    GREEN = "green", gettext_lazy("Green")
    AMBER = "amber", gettext_lazy("Amber")
    RED = "red", gettext_lazy("Red")


SEVERITY = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}

DONE = "done"
NOT_STARTED = "not_started"


@dataclass(frozen=True)
class RagPolicy:
    tolerance_days: int = 7
    due_soon_days: int = 14


def policy_for(tenant):
    """The tenant's RAG settings (the defaults when it has saved none)."""
    from .models import ProgrammeSettings

    row = ProgrammeSettings.objects.filter(tenant=tenant).first()
    if row is None:
        return RagPolicy()
    return RagPolicy(tolerance_days=row.tolerance_days, due_soon_days=row.due_soon_days)


@dataclass(frozen=True)
class Verdict:
    rag: Rag
    reason: str


def _rule(planned, forecast, actual, status, on, policy):
    """(colour, why, days): the rules above, in their order. `judge` words `why`;
    `colour` keeps only the colour, so both always agree."""
    if status == DONE:
        if actual is None or actual <= planned:
            return Rag.GREEN, "on_time", 0
        late = (actual - planned).days
        return (Rag.AMBER if late <= policy.tolerance_days else Rag.RED), "done_late", late
    slip = ((forecast or planned) - planned).days
    if on > planned:
        return Rag.RED, "past_due", (on - planned).days
    if slip > policy.tolerance_days:
        return Rag.RED, "beyond_tolerance", slip
    if slip > 0:
        return Rag.AMBER, "within_tolerance", slip
    if status == NOT_STARTED and (planned - on).days <= policy.due_soon_days:
        return Rag.AMBER, "due_soon", (planned - on).days
    return Rag.GREEN, "on_track", 0


def _reason(why, days, policy):
    if why == "on_time":
        return _("Done on time.")
    if why == "done_late":
        return ngettext("Done %(days)s day after the customer date.",
                        "Done %(days)s days after the customer date.", days) % {"days": days}
    if why == "past_due":
        return ngettext("%(days)s day past the customer date and not done.",
                        "%(days)s days past the customer date and not done.",
                        days) % {"days": days}
    if why == "beyond_tolerance":
        return ngettext(
            "Forecast %(days)s day after the customer date (tolerance %(tolerance)s).",
            "Forecast %(days)s days after the customer date (tolerance %(tolerance)s).",
            days) % {"days": days, "tolerance": policy.tolerance_days}
    if why == "within_tolerance":
        return ngettext(
            "Forecast %(days)s day after the customer date, within the tolerance of "
            "%(tolerance)s.",
            "Forecast %(days)s days after the customer date, within the tolerance of "
            "%(tolerance)s.", days) % {"days": days, "tolerance": policy.tolerance_days}
    if why == "due_soon":
        return ngettext("Due in %(days)s day and not started.",
                        "Due in %(days)s days and not started.", days) % {"days": days}
    return _("On track.")


def judge(*, planned, forecast=None, actual=None, status=NOT_STARTED, on: date,
          policy: RagPolicy = RagPolicy()) -> Verdict:
    """The colour of one milestone on `on`, with a sentence saying why."""
    colour_of, why, days = _rule(planned, forecast, actual, status, on, policy)
    return Verdict(colour_of, _reason(why, days, policy))


def colour(*, planned, forecast=None, actual=None, status=NOT_STARTED, on: date,
           policy: RagPolicy = RagPolicy()) -> Rag:
    """The colour `judge()` gives, without wording its sentence: for thousands of
    milestones at once (lists, health, dashboards)."""
    return _rule(planned, forecast, actual, status, on, policy)[0]


def milestone_rag(milestone, on, policy=RagPolicy()):
    """`judge()` for a Milestone (or anything with the same attributes)."""
    return judge(planned=milestone.planned_date, forecast=milestone.forecast_date,
                 actual=milestone.actual_date, status=milestone.status, on=on, policy=policy)


def worst_of(items, colour_of=None):
    """The item of `items` with the worst colour (`colour_of(item)`, the item itself by
    default; items without one are ignored), the first of equals; None when none has a
    colour. The one fold of colours into a worst: programmes, customers, portfolios."""
    worst_item, worst_severity = None, -1
    for item in items:
        found = item if colour_of is None else colour_of(item)
        severity = SEVERITY[Rag(found)] if found else -1
        if severity > worst_severity:
            worst_item, worst_severity = item, severity
    return worst_item


def worst(colours):
    """The worst of `colours` (None entries ignored), or None when there are none."""
    found = worst_of(colours)
    return None if found is None else Rag(found)


def programme_rag(milestones, on, policy=RagPolicy(), *, is_open=True):
    """The worst colour of the open (not done) milestones among `milestones`."""
    if not is_open:
        return None
    return worst(milestone_rag(m, on, policy).rag for m in milestones if m.status != DONE)


def red_since(milestone, on, policy=RagPolicy(), *, forecast_set_on=None):
    """The first day an open milestone was red, if it is red on `on` (else None).

    Past its customer date: red since the day after it. Forecast beyond the tolerance: red
    since the forecast was set (`forecast_set_on`, from the slip history; `on` when not
    known). Both: the earlier.
    """
    if milestone.status == DONE or milestone_rag(milestone, on, policy).rag != Rag.RED:
        return None
    days = []
    if on > milestone.planned_date:
        days.append(milestone.planned_date + timedelta(days=1))
    expected = milestone.forecast_date or milestone.planned_date
    if (expected - milestone.planned_date).days > policy.tolerance_days:
        days.append(min(forecast_set_on or on, on))
    return min(days)
