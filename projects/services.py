"""Write use cases for programmes: creating a programme with its milestones and PPAP
package, changing milestones (with the slip history), bulk re-dating, the milestone template
and the RAG settings.

Every function takes the tenant or objects of it, validates everything before it writes,
and raises `django.core.exceptions.ValidationError` with field errors (nothing saved) when
the input breaks a rule. Functions that judge dates take `today` (default: the tenant's
today), so tests never depend on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import events

from . import rag
from .models import (
    PRE_NOMINATION_KINDS,
    Milestone,
    MilestoneChange,
    MilestoneKind,
    MilestoneStatus,
    MilestoneTemplate,
    PpapElement,
    PpapElementKind,
    Programme,
    ProgrammeSettings,
    Progress,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date
    from typing import Any

    from accounts.models import Tenant, User

K = MilestoneKind

# Sensible automotive defaults: days from SOP (an interior part, ~30 months RFQ to SOP).
DEFAULT_TEMPLATE = [
    (K.RFQ_RECEIVED, -900),
    (K.QUOTE_SUBMITTED, -860),
    (K.NOMINATION, -780),
    (K.KICK_OFF, -750),
    (K.DESIGN_FREEZE, -560),
    (K.TOOLING_KICK_OFF, -520),
    (K.T0, -400),
    (K.T1, -330),
    (K.T2, -260),
    (K.OTS, -200),
    (K.PPAP_SUBMISSION, -120),
    (K.PPAP_APPROVAL, -75),
    (K.RUN_AT_RATE, -45),
    (K.SOP, 0),
    (K.SAFE_LAUNCH_EXIT, 90),
]

# (earlier, later): where a template has both, the first may not come after the second.
TEMPLATE_ORDER = [
    (K.RFQ_RECEIVED, K.QUOTE_SUBMITTED),
    (K.QUOTE_SUBMITTED, K.NOMINATION),
    (K.NOMINATION, K.KICK_OFF),
    (K.KICK_OFF, K.DESIGN_FREEZE),
    (K.DESIGN_FREEZE, K.SOP),
    (K.TOOLING_KICK_OFF, K.T0),
    (K.T0, K.T1),
    (K.T1, K.T2),
    (K.OTS, K.PPAP_SUBMISSION),
    (K.PPAP_SUBMISSION, K.PPAP_APPROVAL),
    (K.PPAP_APPROVAL, K.SOP),
    (K.SOP, K.SAFE_LAUNCH_EXIT),
]

# Fields whose every change is kept in the history.
TRACKED_FIELDS = ["planned_date", "forecast_date", "actual_date", "status", "progress",
                  "psw_disposition", "psw_interim_expires_on"]
EDITABLE_FIELDS = [*TRACKED_FIELDS, "owner", "name", "notes"]
# What a member who owns a milestone may change (not who owns it).
OWNER_EDITABLE_FIELDS = [f for f in EDITABLE_FIELDS if f != "owner"]


# --- settings and template -----------------------------------------------------------


def programme_settings(tenant: Tenant) -> ProgrammeSettings:
    """The tenant's settings row, created with the defaults on first use."""
    row, _created = ProgrammeSettings.objects.get_or_create(tenant=tenant)
    return row


def update_settings(tenant: Tenant, *, tolerance_days: int, due_soon_days: int,
                    escalation_days: int | None = None) -> ProgrammeSettings:
    row = programme_settings(tenant)
    row.tolerance_days, row.due_soon_days = tolerance_days, due_soon_days
    if escalation_days is not None:
        row.escalation_days = escalation_days
    row.full_clean()
    row.save()
    return row


def ensure_default_template(tenant: Tenant) -> list[MilestoneTemplate]:
    """Give the tenant the default template if it has none; returns its rows."""
    if not MilestoneTemplate.objects.exists():
        MilestoneTemplate.objects.bulk_create(
            MilestoneTemplate(tenant=tenant, kind=kind, offset_days=offset)
            for kind, offset in DEFAULT_TEMPLATE
        )
    return list(MilestoneTemplate.objects.all())


def validate_template(rows: Mapping[str, tuple[int, bool]]) -> None:
    """Check a whole template: `rows` maps kind → (offset_days, is_active). Raises a
    ValidationError keyed by kind."""
    errors = {}
    active = {kind: offset for kind, (offset, is_active) in rows.items() if is_active}
    if K.SOP not in active:
        errors[K.SOP] = _("The template needs the SOP milestone: the others are dated from it.")
    elif active[K.SOP] != 0:
        errors[K.SOP] = _("SOP is day 0 of the template; its offset must be 0.")
    for earlier, later in TEMPLATE_ORDER:
        if earlier in active and later in active and active[earlier] > active[later]:
            errors.setdefault(later, _("%(later)s (day %(b)s) comes before %(earlier)s (day "
                                       "%(a)s).") % {
                "later": K(later).label, "earlier": K(earlier).label,
                "a": active[earlier], "b": active[later]})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_template(tenant: Tenant, *, rows: Mapping[str, tuple[int, bool]]) -> None:
    """Replace the tenant's template with `rows` (kind → (offset_days, is_active))."""
    validate_template(rows)
    existing = {row.kind: row for row in MilestoneTemplate.objects.select_for_update()}
    for kind, (offset, is_active) in rows.items():
        row = existing.get(kind) or MilestoneTemplate(tenant=tenant, kind=kind)
        row.offset_days, row.is_active = offset, is_active
        row.full_clean(validate_unique=False)
        row.save()


# --- programmes ----------------------------------------------------------------------


@transaction.atomic
def create_programme(*, tenant: Tenant, **fields: Any) -> Programme:
    """A new programme with one milestone per active template row (planned at SOP +
    offset) and its 18 PPAP elements."""
    programme = Programme(tenant=tenant, **fields)
    programme.full_clean()
    programme.save()
    rows = [row for row in ensure_default_template(tenant) if row.is_active]
    Milestone.objects.bulk_create(
        Milestone(tenant=tenant, programme=programme, kind=row.kind,
                  planned_date=programme.sop_date + timedelta(days=row.offset_days),
                  owner=programme.project_manager)
        for row in rows
    )
    ensure_ppap_elements(programme)
    return programme


@transaction.atomic
def update_programme(programme: Programme, **fields: Any) -> Programme:
    """Change a programme's fields. Its SOP date follows the SOP milestone: re-date that
    (with a reason) to move SOP."""
    if "sop_date" in fields and fields["sop_date"] != programme.sop_date:
        raise ValidationError({"sop_date": _(
            "Re-date the SOP milestone (with the reason) to move SOP.")})
    # The stored stage: a form bound to the programme has set the new one already.
    stage_before = Programme.objects.filter(pk=programme.pk).values_list(
        "stage", flat=True).first()
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.full_clean()
    programme.save()
    if stage_before is not None and stage_before != programme.stage:
        events.emit("programme.stage_changed", tenant=programme.tenant, records=[{
            "programme": _programme_ref(programme),
            "stage": {"from": stage_before, "to": programme.stage}}])
    return programme


def _programme_ref(programme):
    return {"id": programme.pk, "code": programme.code, "name": programme.name,
            "customer": programme.customer_id}


def ensure_ppap_elements(programme: Programme) -> None:
    have = set(PpapElement.objects.filter(programme=programme).values_list("element",
                                                                            flat=True))
    PpapElement.objects.bulk_create(
        PpapElement(tenant=programme.tenant, programme=programme, element=element)
        for element in PpapElementKind.values if element not in have
    )


# --- milestones ----------------------------------------------------------------------


def _as_text(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _date_rules(milestone, today):
    """Rules that need today or the programme: field → message."""
    errors = {}
    if milestone.actual_date and milestone.actual_date > today:
        errors["actual_date"] = _("The actual date cannot be in the future (today is "
                                  "%(today)s).") % {"today": today.isoformat()}
    nomination = milestone.programme.nomination_date
    if (nomination and milestone.forecast_date and milestone.forecast_date < nomination
            and milestone.kind not in PRE_NOMINATION_KINDS):
        errors["forecast_date"] = _("The forecast cannot be before the nomination "
                                    "(%(date)s).") % {"date": nomination.isoformat()}
    return errors


def _follow_status(milestone, old_status, changes):
    """Keep progress and the actual date in step with a status change the caller made
    without naming them."""
    new_status = milestone.status
    if new_status == old_status:
        return
    if "progress" not in changes:
        if new_status == MilestoneStatus.DONE:
            milestone.progress = Progress.FULL
        elif new_status == MilestoneStatus.NOT_STARTED:
            milestone.progress = Progress.NONE
        elif milestone.progress in (Progress.NONE, Progress.FULL):
            milestone.progress = (Progress.QUARTER if milestone.progress == Progress.NONE
                                  else Progress.THREE_QUARTERS)
    if old_status == MilestoneStatus.DONE and "actual_date" not in changes:
        milestone.actual_date = None
    if old_status == MilestoneStatus.DONE and "psw_disposition" not in changes:
        milestone.psw_disposition = ""
        milestone.psw_interim_expires_on = None


def _validate(milestone, *, old, reason, today):
    errors = {}
    try:
        milestone.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for name, message in _date_rules(milestone, today).items():
        errors.setdefault(name, [message])
    if old is not None and not reason.strip():
        if old["planned_date"] != milestone.planned_date:
            errors.setdefault("reason", [_("Say why the customer date moves.")])
        if old["status"] == MilestoneStatus.DONE and milestone.status != MilestoneStatus.DONE:
            errors.setdefault("reason", [_("Say why a done milestone is reopened.")])
    if errors:
        raise ValidationError(errors)


def _record(milestone, old, *, user, reason, skip=(), when=None):
    when = when or timezone.now()
    rows = [
        MilestoneChange(tenant=milestone.tenant, milestone=milestone, field=name,
                        old_value=_as_text(old[name]),
                        new_value=_as_text(getattr(milestone, name)), reason=reason.strip(),
                        changed_by=user, changed_at=when)
        for name in TRACKED_FIELDS
        if old[name] != getattr(milestone, name) and name not in skip
    ]
    MilestoneChange.objects.bulk_create(rows)
    return rows


def _snapshot(milestone):
    return {name: getattr(milestone, name) for name in TRACKED_FIELDS}


@transaction.atomic
def update_milestone(milestone: Milestone, *, user: User | None = None, reason: str = "",
                     today: date | None = None, **changes: Any) -> list[MilestoneChange]:
    """Change a milestone's fields (`EDITABLE_FIELDS`), keep every change of a tracked
    field in the history, and return the changes recorded.

    A reason is required when the customer (planned) date moves and when a done milestone
    is reopened. Leaving `done` clears the actual date unless the caller names one.
    On any error nothing is saved and the milestone keeps its values.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.")
                               for name in sorted(unknown)})
    today = today or milestone.tenant.today()
    old = _snapshot(milestone)
    before = {name: getattr(milestone, name) for name in EDITABLE_FIELDS}
    for name, value in changes.items():
        setattr(milestone, name, value)
    _follow_status(milestone, old["status"], changes)
    try:
        _validate(milestone, old=old, reason=reason, today=today)
    except ValidationError:
        for name, value in before.items():
            setattr(milestone, name, value)
        raise
    milestone.save()
    if milestone.kind == K.SOP and old["planned_date"] != milestone.planned_date:
        Programme.objects.filter(pk=milestone.programme_id).update(
            sop_date=milestone.planned_date)
        milestone.programme.sop_date = milestone.planned_date
    _milestone_events(milestone, old, today=today)
    # Progress that only followed a status change says nothing the status row does not.
    skip = () if "progress" in changes or old["status"] == milestone.status else ("progress",)
    return _record(milestone, old, user=user, reason=reason, skip=skip)


def _milestone_events(milestone, old, *, today):
    """`milestone.slipped` (its expected date, the forecast else the planned date, moved
    later) and `milestone.rag_changed` (the edit changed its colour today), if wanted."""
    wanted = events.subscribed_events(milestone.tenant)
    if not wanted & {"milestone.slipped", "milestone.rag_changed"}:
        return
    ref = {"id": milestone.pk, "kind": milestone.kind, "name": milestone.name,
           "programme": _programme_ref(milestone.programme)}
    before = old["forecast_date"] or old["planned_date"]
    after = milestone.forecast_date or milestone.planned_date
    if (before and after and after > before and milestone.status != MilestoneStatus.DONE):
        events.emit("milestone.slipped", tenant=milestone.tenant, records=[{
            "milestone": ref, "expected_date": {"from": before, "to": after},
            "days": (after - before).days,
            "planned_date": {"from": old["planned_date"], "to": milestone.planned_date},
            "forecast_date": {"from": old["forecast_date"], "to": milestone.forecast_date}}])
    if "milestone.rag_changed" in wanted:
        policy = rag.policy_for(milestone.tenant)
        colour_before = rag.colour(planned=old["planned_date"], forecast=old["forecast_date"],
                                   actual=old["actual_date"], status=old["status"], on=today,
                                   policy=policy)
        colour_after = rag.colour(planned=milestone.planned_date,
                                  forecast=milestone.forecast_date,
                                  actual=milestone.actual_date, status=milestone.status,
                                  on=today, policy=policy)
        if colour_before != colour_after:
            events.emit("milestone.rag_changed", tenant=milestone.tenant, records=[{
                "milestone": ref, "rag": {"from": str(colour_before), "to": str(colour_after)},
                "on": today}])


@transaction.atomic
def add_milestone(programme: Programme, *, user: User | None = None, today: date | None = None,
                  **fields: Any) -> Milestone:
    """A milestone added by hand to `programme`."""
    today = today or programme.tenant.today()
    milestone = Milestone(tenant=programme.tenant, programme=programme, **fields)
    if milestone.status == MilestoneStatus.DONE and "progress" not in fields:
        milestone.progress = Progress.FULL
    _validate(milestone, old=None, reason="", today=today)
    milestone.save()
    return milestone


def remove_milestone(milestone: Milestone) -> None:
    """Delete a milestone that is not done (a done one is history)."""
    if milestone.status == MilestoneStatus.DONE:
        raise ValidationError({"status": _("A done milestone cannot be removed.")})
    if milestone.kind == K.SOP:
        raise ValidationError({"kind": _("The SOP milestone cannot be removed: it carries "
                                         "the programme's SOP date.")})
    milestone.delete()


@dataclass
class RedateError(Exception):
    """Bulk re-dating failed; nothing was saved. `errors` lines up with the input rows:
    {} for a good row, {field: [messages]} for a bad one; `reason` holds the messages
    about the shared reason."""

    errors: list = field(default_factory=list)
    reason: list = field(default_factory=list)


REDATE_FIELDS = ("planned_date", "forecast_date")


def redate_milestones(rows: Sequence[dict], *, user: User | None = None, reason: str = "",
                      today: date | None = None) -> int:
    """Re-date many milestones at once, all or nothing.

    `rows` is a list of dicts: `milestone` (a Milestone) and any of `planned_date`,
    `forecast_date`. Every row is checked (so every error can be shown), then either all
    are saved or, if any row is wrong, none is and RedateError says which.
    """
    errors, reason_errors, changed = [], [], 0
    try:
        with transaction.atomic():
            for row in rows:
                milestone = row["milestone"]
                changes = {name: row[name] for name in REDATE_FIELDS if name in row}
                try:
                    changed += len(update_milestone(milestone, user=user, reason=reason,
                                                    today=today, **changes))
                    errors.append({})
                except ValidationError as exc:
                    messages = exc.message_dict
                    if "reason" in messages:
                        reason_errors = messages.pop("reason")
                    errors.append(messages)
            if any(errors) or reason_errors:
                raise RedateError(errors=errors, reason=reason_errors)
    except RedateError:
        # The milestones hold the new values in memory: reload what was rolled back.
        for row in rows:
            row["milestone"].refresh_from_db()
        raise
    return changed
