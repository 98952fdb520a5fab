"""The OPL's rules, in one place: status flow, who may do what, stale and overdue, and
which survey answers propose an item. Views, the API, jobs and the seed call these.

- Flow: open → in_progress → done → verified. `blocked` and `cancelled` need a reason;
  a blocked item goes back to open or in progress; a done item whose verification fails
  goes back to in progress; a cancelled item may be reopened. Verified is final.
- Edit: admins; account managers on the account's team; whoever owns or answers for it.
- Verify: with a verification note, by someone other than the item's owner (no one
  verifies their own fix): its accountable KAM, or an executive or admin.
- Stale: an open, in-progress or blocked item with no progress update for 14 days.
- Overdue: past its due date (in the tenant's time zone) and not done, verified or
  cancelled.
- Closed on a day: a done or verified item on its closed date; a cancelled item on the
  day (tenant's time zone) of its last change, which is when it was cancelled unless it
  was edited since (no cancellation date is kept). Cancelled items count: they leave the
  open list as surely as done ones, so items opened minus items closed is what the open
  list gained, in the burn-down and the monthly report alike.
- A survey answer at or below 60 % of its scale (1–3 on 1–5, 1–6 on 1–10) proposes an item.
"""

from datetime import date, datetime, time, timedelta, tzinfo
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from kam import messages

from .models import Dimension, OplItem

Status = OplItem.Status

STALE_AFTER = timedelta(days=14)
LOW_SCORE_SHARE = Fraction(3, 5)  # ≤ 60 % of the scale proposes an item
DEFAULT_DUE_DAYS = 30

ACTIVE = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED})
FINISHED = frozenset({Status.DONE, Status.VERIFIED, Status.CANCELLED})
NEEDS_REASON = frozenset({Status.BLOCKED, Status.CANCELLED})

TRANSITIONS = {
    Status.OPEN: {Status.IN_PROGRESS, Status.BLOCKED, Status.DONE, Status.CANCELLED},
    Status.IN_PROGRESS: {Status.DONE, Status.BLOCKED, Status.CANCELLED, Status.OPEN},
    Status.BLOCKED: {Status.OPEN, Status.IN_PROGRESS, Status.CANCELLED},
    Status.DONE: {Status.VERIFIED, Status.IN_PROGRESS},
    Status.VERIFIED: set(),
    Status.CANCELLED: {Status.OPEN},
}

# --- who may do what -------------------------------------------------------------------

def can_create_for(user, role, customer):
    """Admins open items on every account; account managers on the accounts whose team
    they are on. (Whether the role opens items at all: "create_opl_items".)"""
    return roles.allows(role, "create_opl_items") and roles.can_edit_account(user, role,
                                                                             customer)


def can_edit(item, user, role):
    """Admins edit every item; account managers the items of the accounts whose team they
    are on; members and managers the items they own or answer for."""
    if roles.allows(role, "edit_every_account"):
        return True
    if roles.allows(role, "edit_own_items") and user.pk in {item.owner_id,
                                                            item.accountable_id}:
        return True
    return roles.allows(role, "edit_accounts") and roles.can_edit_account(user, role,
                                                                          item.customer)


def can_verify(item, user, role):
    """Whether `user` may verify `item`'s fix: never its owner, who did the work (a second
    pair of eyes is the point of verifying); else executives and admins any item, and the
    accountable KAM theirs, unless their role is read-only."""
    if user.pk is None or user.pk == item.owner_id:
        return False
    if roles.allows(role, "verify_opl_items"):
        return True
    return roles.allows(role, "work_opl_items") and user.pk == item.accountable_id


def verify_refusal(item, user):
    """Why `user` may not verify `item` (for the page and the field error)."""
    if user.pk is not None and user.pk == item.owner_id:
        return OWNER_CANNOT_VERIFY
    return ONLY_VERIFIERS


OWNER_CANNOT_VERIFY = _("The owner of an item does not verify their own fix: its "
                        "accountable KAM (when someone else did the work), an executive or an "
                        "administrator does.")
ONLY_VERIFIERS = _("Only the accountable KAM, an executive or an administrator may verify.")


def can_update(item, user, role):
    """Post a progress update or change the status (verification is checked on its own)."""
    return can_edit(item, user, role) or can_verify(item, user, role)


# --- status flow -----------------------------------------------------------------------

def allowed_transitions(item):
    return [s for s in Status.values if s in TRANSITIONS[item.status]]


def check_transition(item, new_status, *, user, role, reason="", verification=""):
    """Field errors ({"status": …, "status_reason": …, "verification": …}) for moving
    `item` to `new_status`; raises ValidationError, returns None when allowed."""
    if new_status == item.status:
        return
    errors = {}
    if new_status not in TRANSITIONS.get(item.status, ()):
        errors["status"] = _("An item that is %(current)s cannot become %(new)s.") % {
            "current": Status(item.status).label, "new": Status(new_status).label}
    elif new_status == Status.VERIFIED:
        if not can_verify(item, user, role):
            errors["status"] = verify_refusal(item, user)
        if not (verification or item.verification or "").strip():
            errors["verification"] = _("Say how the fix was verified.")
    if new_status in NEEDS_REASON and not (reason or "").strip():
        errors["status_reason"] = _("Give a reason for %(status)s.") % {
            "status": Status(new_status).label}
    if errors:
        raise ValidationError(errors)


def apply_transition(item, new_status, *, user, reason="", now=None, today=None):
    """Set the fields a transition changes (the caller has checked it and saves)."""
    now = now or timezone.now()
    if new_status == item.status:
        return
    item.status_reason = reason.strip() if new_status in NEEDS_REASON else ""
    if new_status == Status.DONE:
        item.progress = 100
        item.closed_on = today or now.date()
    elif new_status == Status.VERIFIED:
        item.progress = 100
        item.verified_by = user
        item.verified_at = now
        item.closed_on = item.closed_on or today or now.date()
    elif new_status in ACTIVE:
        item.closed_on = None
        item.verified_by = None
        item.verified_at = None
    item.status = new_status


# --- stale and overdue -----------------------------------------------------------------

def stale_cutoff(now=None):
    return (now or timezone.now()) - STALE_AFTER


def is_stale(item, now=None):
    return item.status in ACTIVE and item.last_update_at < stale_cutoff(now)


def is_overdue(item, today):
    return (item.due_date is not None and item.due_date < today
            and item.status not in FINISHED)


def stale_q(now=None):
    return Q(status__in=ACTIVE, last_update_at__lt=stale_cutoff(now))


def overdue_q(today):
    return Q(due_date__lt=today) & ~Q(status__in=FINISHED)


# --- closed in a period ----------------------------------------------------------------

COMPLETED = frozenset({Status.DONE, Status.VERIFIED})


def _start_of(day, tz):
    return datetime.combine(day, time.min, tzinfo=tz)


def closed_q(*, until: date, tz: tzinfo, since: date | None = None) -> Q:
    """Q for the items closed on or before `until` (and on or after `since`, when
    given), days in the tenant's time zone `tz`: see "Closed on a day" above."""
    completed = Q(status__in=COMPLETED, closed_on__lte=until)
    cancelled = Q(status=Status.CANCELLED,
                  updated_at__lt=_start_of(until + timedelta(days=1), tz))
    if since is not None:
        completed &= Q(closed_on__gte=since)
        cancelled &= Q(updated_at__gte=_start_of(since, tz))
    return completed | cancelled


def closed_day(tz: tzinfo):
    """The day an item closed (None while it is not closed), as a query expression."""
    return Case(When(status__in=COMPLETED, then=F("closed_on")),
                When(status=Status.CANCELLED, then=TruncDate("updated_at", tzinfo=tz)),
                default=None, output_field=DateField())


def closed_per_day(items: QuerySet[OplItem], *, since: date, until: date,
                   tz: tzinfo) -> dict[date, int]:
    """{day: items of `items` closed that day} from `since` to `until`: one grouped
    query."""
    return dict(items.filter(closed_q(since=since, until=until, tz=tz))
                .annotate(closed=closed_day(tz)).order_by().values_list("closed")
                .annotate(n=Count("pk")))


def annotate_flags(queryset, *, today, now=None):
    """`is_overdue` and `is_stale` on every row, computed in the query."""
    return queryset.annotate(
        is_overdue=Case(When(overdue_q(today), then=Value(True)), default=Value(False),
                        output_field=BooleanField()),
        is_stale=Case(When(stale_q(now), then=Value(True)), default=Value(False),
                      output_field=BooleanField()),
    )


def days_since_update(item, now=None):
    return ((now or timezone.now()) - item.last_update_at).days


# --- low answers propose items ---------------------------------------------------------

def is_low_score(score, scale_max, share=LOW_SCORE_SHARE):
    """At or below `share` of the scale's top: 1–3 of 5, 1–6 of 10."""
    return score is not None and Fraction(score) <= Fraction(scale_max) * share


PRIORITY_BY_SHARE = [(Fraction(1, 5), OplItem.Priority.CRITICAL),
                     (Fraction(2, 5), OplItem.Priority.HIGH)]


def proposed_priority(score, scale_max):
    share = Fraction(score, scale_max)
    for limit, priority in PRIORITY_BY_SHARE:
        if share <= limit:
            return priority
    return OplItem.Priority.MEDIUM


def proposal_messages(answer, question_texts, customer_name, department, period):
    """Title and description lines of the item a low answer proposes, as stored messages
    (kam.messages): shown in each reader's language. `question_texts` maps a language to
    the question's text; `department` is the department's (lazy) label."""
    title = messages.message(_("%(dimension)s: %(department)s scored %(score)s/%(max)s"),
                             dimension=Dimension(answer.dimension).label,
                             department=department, score=answer.score, max=answer.scale_max)
    lines = [
        messages.message(_("Survey %(period)s, %(customer)s, %(department)s."),
                         period=period, customer=customer_name, department=department),
        messages.message(_("Question: %(question)s"),
                         question=messages.by_language(question_texts)),
        messages.message(_("Score: %(score)s of %(max)s."), score=answer.score,
                         max=answer.scale_max),
    ]
    if answer.comment:
        lines.append(messages.message(_("Comment: %(comment)s"), comment=answer.comment))
    return title, lines


def default_due_date(today, priority):
    days = {OplItem.Priority.CRITICAL: 14, OplItem.Priority.HIGH: 21}.get(priority,
                                                                           DEFAULT_DUE_DAYS)
    return today + timedelta(days=days)
