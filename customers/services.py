"""Write use cases for customers: figures upsert, tier overrides, interactions."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from teams.permissions import not_on_team_message

from . import scoring
from .models import Customer, InteractionContact, InteractionParticipant, PeriodFigure, TierOverride
from .signals import customers_changed

FIGURE_FIELDS = [
    "revenue", "volume", "supply_share", "gross_margin", "payment_days", "cost_to_serve",
    "quality_ppm", "on_time_delivery", "market_influence", "loyalty", "strategic_fit",
]


@dataclass
class RowError:
    row: int  # 1-based position in the upload (a spreadsheet line number when known)
    field: str
    message: str

    def as_dict(self):
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def _validation_errors(row_number, exc):
    if hasattr(exc, "error_dict"):
        return [RowError(row_number, name, str(message))
                for name, messages in exc.message_dict.items() for message in messages]
    return [RowError(row_number, "__all__", str(message)) for message in exc.messages]


def not_on_team_error(number, field, code):
    return RowError(number, field, not_on_team_message(code))


def upsert_figures(tenant, rows, *, dry_run=False, first_row_number=1, editable=None):
    """Create or update period figures keyed by customer code and period, all or nothing.

    `rows` are dicts with `customer_code`, `period` and any of FIGURE_FIELDS (values
    already parsed, or strings the model fields can clean). Nothing is written if any
    row has an error, or with `dry_run`. A fixed number of queries for any number of rows
    (bulk writes aside). `editable`: the ids of the customers the writer may change
    (None: all of them).
    """
    rows = list(rows)
    codes = {str(row.get("customer_code") or "").strip() for row in rows}
    customers = {c.code: c for c in Customer.objects.filter(code__in=codes)}
    periods = {str(row.get("period") or "").strip().upper() for row in rows}
    existing = {
        (f.customer_id, f.period): f
        for f in PeriodFigure.objects.filter(customer__in=customers.values(), period__in=periods)
    }
    result, seen, to_create, to_update = UpsertResult(), set(), [], []
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        code = str(row.get("customer_code") or "").strip()
        period = str(row.get("period") or "").strip().upper()
        customer = customers.get(code)
        if customer is None:
            result.errors.append(RowError(number, "customer_code", _(
                "No customer with code “%(code)s” in this workspace.") % {"code": code}))
            continue
        if editable is not None and customer.pk not in editable:
            result.errors.append(not_on_team_error(number, "customer_code", code))
            continue
        if (code, period) in seen:
            result.errors.append(RowError(number, "period", _(
                "%(code)s %(period)s appears twice in this upload.") % {
                "code": code, "period": period}))
            continue
        seen.add((code, period))
        figure = existing.get((customer.pk, period))
        is_new = figure is None
        if is_new:
            figure = PeriodFigure(tenant=tenant, customer=customer, period=period)
        for name in FIGURE_FIELDS:
            if name in row:
                value = row[name]
                setattr(figure, name, None if value in ("", None) else value)
        try:
            # The customer and tenant are already resolved above; validating those foreign
            # keys again would cost one query per row.
            figure.full_clean(
                exclude=["customer", "tenant"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            result.errors.extend(_validation_errors(number, exc))
            continue
        (to_create if is_new else to_update).append(figure)
    result.created, result.updated = len(to_create), len(to_update)
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        PeriodFigure.objects.bulk_create(to_create, batch_size=2000)
        PeriodFigure.objects.bulk_update(to_update, FIGURE_FIELDS + ["updated_at"],
                                         batch_size=1000)
        customers_changed.send(sender=PeriodFigure, tenant=tenant, customer_ids={
            figure.customer_id for figure in (*to_create, *to_update)})
    return result


# --- tier overrides ----------------------------------------------------------------

OVERRIDE_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE})


@transaction.atomic
def set_tier_override(customer, *, tier, reason, expires_on, user, role):
    """Pin a customer's tier until `expires_on`; replaces any override in force."""
    if role not in OVERRIDE_ROLES:
        raise ValidationError({"tier": _("Only executives and administrators pin tiers.")})
    errors = {}
    if tier not in ("A", "B", "C"):
        errors["tier"] = _("Choose A, B or C.")
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for pinning the tier.")
    if expires_on is None or expires_on < customer.tenant.today():
        errors["expires_on"] = _("The expiry must be today or later.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    customer.overrides.filter(ended_at__isnull=True).update(ended_at=now, ended_by=user)
    override = customer.overrides.create(tenant=customer.tenant, tier=tier,
                                         reason=reason.strip(), expires_on=expires_on,
                                         created_by=user)
    Customer.objects.filter(pk=customer.pk).update(tier=tier, tier_source="override")
    customer.tier, customer.tier_source = tier, "override"
    customers_changed.send(sender=TierOverride, tenant=customer.tenant,
                           customer_ids=[customer.pk])
    return override


@transaction.atomic
def end_tier_override(customer, *, user):
    """End the override in force; the customer falls back to its last computed tier."""
    ended = customer.overrides.filter(ended_at__isnull=True).update(ended_at=timezone.now(),
                                                                     ended_by=user)
    if ended:
        tier, score = scoring.latest_computed_tier(customer)
        Customer.objects.filter(pk=customer.pk).update(
            tier=tier, tier_source="computed" if tier else "", score=score)
        customer.tier, customer.tier_source, customer.score = (
            tier, "computed" if tier else "", score)
        customers_changed.send(sender=TierOverride, tenant=customer.tenant,
                               customer_ids=[customer.pk])
    return ended


# --- interactions ------------------------------------------------------------------

@transaction.atomic
def save_interaction(interaction, *, our_people=(), contacts=()):
    """Save an interaction with its participants (through rows carry the tenant)."""
    interaction.save()
    InteractionParticipant.objects.filter(interaction=interaction).delete()
    InteractionContact.objects.filter(interaction=interaction).delete()
    InteractionParticipant.objects.bulk_create(
        InteractionParticipant(tenant=interaction.tenant, interaction=interaction, user=user)
        for user in our_people)
    foreign = [c for c in contacts if c.customer_id != interaction.customer_id]
    if foreign:
        raise ValidationError({"contacts": _("Choose contacts of this customer.")})
    InteractionContact.objects.bulk_create(
        InteractionContact(tenant=interaction.tenant, interaction=interaction, contact=contact)
        for contact in contacts)
    # The contacts met are "last contacted" on this date unless a later one is known.
    on = interaction.occurred_on
    interaction.contacts.filter(
        Q(last_contact_on__lt=on) | Q(last_contact_on__isnull=True)
    ).update(last_contact_on=on)
    return interaction
