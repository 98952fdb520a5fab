"""Write use cases for customers: figures upsert, tier overrides, interactions."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.models import Role, Tenant
from kam import messages
from kam.periods import read_quarter

from . import row_messages, scoring
from .models import (
    Customer,
    InteractionContact,
    InteractionParticipant,
    PeriodFigure,
    ScoringPolicy,
    ServiceStandard,
    TierOverride,
)
from .signals import customers_changed

FIGURE_FIELDS = [
    "revenue", "volume", "supply_share", "gross_margin", "payment_days", "cost_to_serve",
    "quality_ppm", "on_time_delivery", "market_influence", "loyalty", "strategic_fit",
]


@dataclass
class RowError:
    row: int  # 1-based position in the upload (a spreadsheet line number when known)
    field: str
    message: object  # a stored message (kam.messages): rendered in the reader's language

    def as_dict(self):
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)
    # Customers with a new figure row or a changed value: what a re-scoring would see.
    changed_customer_ids: set = field(default_factory=set)

    @property
    def ok(self):
        return not self.errors


PREVIEW_LIMIT = 1000  # entries a preview keeps; its counts cover every row


@dataclass
class ChangePreview:
    """What an upsert would change, row by row, for the dry-run page: each new row with
    its values, each changed field of an existing row (old → new), and a count of the
    rows that change nothing. Entries are capped at `limit`; the counts are not.

    An entry is {"row", "code", "period" (figures), "field", "old", "new", "flag"} for a
    change, or {"row", "code", "period", "new_row": True, "values": [[column, value]]}
    for a new row. Values are JSON: None, text, {"number": "1.50"} or a stored message
    (a choice label, yes/no), shown in the reader's language and number format."""

    limit: int = PREVIEW_LIMIT
    new_rows: int = 0
    changed_rows: int = 0
    unchanged_rows: int = 0
    changes: int = 0  # entries, listed or not
    flagged_count: int = 0
    entries: list = field(default_factory=list)
    flagged: list = field(default_factory=list)  # the entries to look at twice

    def _add(self, entry):
        self.changes += 1
        if len(self.entries) < self.limit:
            self.entries.append(entry)
        if entry.get("flag"):
            self.flagged_count += 1
            if len(self.flagged) < self.limit:
                self.flagged.append(entry)

    def new_row(self, row, code, values, period=""):
        self.new_rows += 1
        self._add({"row": row, "code": code, "period": period, "new_row": True,
                   "values": [[column, value] for column, value in values]})

    def changed_row(self, row, code, changes, period=""):
        """`changes`: [(column, old, new, flag or "")], none of them equal."""
        if not changes:
            self.unchanged_rows += 1
            return
        self.changed_rows += 1
        for column, old, new, flag in changes:
            self._add({"row": row, "code": code, "period": period, "field": column,
                       "old": old, "new": new, "flag": flag})

    def as_dict(self):
        return {"new_rows": self.new_rows, "changed_rows": self.changed_rows,
                "unchanged_rows": self.unchanged_rows, "changes": self.changes,
                "flagged_count": self.flagged_count, "entries": self.entries,
                "flagged": self.flagged}


YES, NO = gettext_lazy("yes"), gettext_lazy("no")


def preview_value(value, decimal_places=None):
    """A field's value as a ChangePreview keeps it (see there)."""
    if value is None or value == "":
        return None
    if messages.is_message(value):
        return value
    if isinstance(value, bool):
        return messages.message(YES if value else NO)
    if isinstance(value, Promise):
        return messages.message(value)
    if isinstance(value, Decimal | int):
        number = Decimal(value)
        if decimal_places is not None:
            number = number.quantize(Decimal(1).scaleb(-decimal_places))
        return {"number": str(number)}
    return str(value)


def row_errors(row_number, exc, model, column_of=None):
    """RowErrors, with the product's column-aware messages, of a model ValidationError."""
    return [RowError(row_number, column, message)
            for column, message in row_messages.model_errors(exc, model, column_of)]


def not_on_team_error(number, field, code):
    return RowError(number, field, messages.message(roles.NOT_ON_TEAM, code=code))


NO_CUSTOMER = gettext_lazy("No customer with code “%(code)s” in this workspace.")
FIGURES_TWICE = gettext_lazy(
    "%(code)s %(period)s appears twice in this upload (also line %(line)d).")


def upsert_figures(tenant, rows, *, dry_run=False, first_row_number=1, lines=None,
                   editable=None, preview=None):
    """Create or update period figures keyed by customer code and period, all or nothing.

    `rows` are dicts with `customer_code`, `period` and any of FIGURE_FIELDS (values
    already parsed, or strings the model fields can clean). Nothing is written if any
    row has an error, or with `dry_run`. A fixed number of queries for any number of rows
    (bulk writes aside). Errors name a row by `lines[i]` (a spreadsheet line) if given,
    else by `first_row_number + i`. `editable`: the ids of the customers the writer may
    change (None: all of them). `preview`: a ChangePreview to fill in.
    """
    rows = list(rows)
    codes = {str(row.get("customer_code") or "").strip() for row in rows}
    customers = {c.code: c for c in Customer.objects.filter(code__in=codes)}
    periods = {read_quarter(row.get("period")) for row in rows}
    existing = {
        (f.customer_id, f.period): f
        for f in PeriodFigure.objects.filter(customer__in=customers.values(), period__in=periods)
    }
    places = {name: PeriodFigure._meta.get_field(name).decimal_places for name in FIGURE_FIELDS
              if hasattr(PeriodFigure._meta.get_field(name), "decimal_places")}
    result, seen, to_create, to_update = UpsertResult(), {}, [], []
    for offset, row in enumerate(rows):
        number = lines[offset] if lines is not None else first_row_number + offset
        code = str(row.get("customer_code") or "").strip()
        period = read_quarter(row.get("period"))
        customer = customers.get(code)
        if customer is None:
            result.errors.append(RowError(number, "customer_code",
                                          messages.message(NO_CUSTOMER, code=code)))
            continue
        if editable is not None and customer.pk not in editable:
            result.errors.append(not_on_team_error(number, "customer_code", code))
            continue
        if (customer.pk, period) in seen:
            result.errors.append(RowError(number, "period", messages.message(
                FIGURES_TWICE, code=code, period=period, line=seen[customer.pk, period])))
            continue
        seen[customer.pk, period] = number
        figure = existing.get((customer.pk, period))
        is_new = figure is None
        if is_new:
            figure = PeriodFigure(tenant=tenant, customer=customer, period=period)
            old = {}
        else:
            figure.customer = customer  # known: validation need not look it up row by row
            old = {name: getattr(figure, name) for name in FIGURE_FIELDS}
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
            result.errors.extend(row_errors(number, exc, PeriodFigure))
            continue
        changed = [name for name in FIGURE_FIELDS
                   if name in row and (is_new or getattr(figure, name) != old[name])]
        if is_new or changed:
            result.changed_customer_ids.add(customer.pk)
        if preview is not None:
            if is_new:
                preview.new_row(number, code, [
                    (name, preview_value(getattr(figure, name), places.get(name)))
                    for name in FIGURE_FIELDS
                    if name in row and getattr(figure, name) is not None], period=period)
            else:
                preview.changed_row(number, code, [
                    (name, preview_value(old[name], places.get(name)),
                     preview_value(getattr(figure, name), places.get(name)), "")
                    for name in changed], period=period)
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


# --- the scoring policy and the service standards --------------------------------------

POLICY_FIELDS = ["weights", "normalisation", "lookback_quarters", "method", "a_share",
                 "b_share", "a_revenue_cutoff", "b_revenue_cutoff", "concentration_threshold",
                 "coverage_share"]


@transaction.atomic
def save_policy_version(*, tenant, user, values: dict) -> ScoringPolicy:
    """A new version of `tenant`'s scoring policy with `values` (of POLICY_FIELDS; the
    others as the newest version has them): the versions before stay as they were.
    Versions are numbered per tenant under a lock of the tenant's row, so two
    administrators saving at once get two versions, not one error."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).exists()
    newest = ScoringPolicy.objects.order_by("-version").first()
    base = {name: getattr(newest, name) for name in POLICY_FIELDS} if newest else {}
    policy = ScoringPolicy(tenant=tenant, version=(newest.version if newest else 0) + 1,
                           created_by=user, **{**base, **values})
    policy.full_clean(exclude=["tenant", "created_by"])
    policy.save()
    return policy


@transaction.atomic
def set_service_standards(*, tenant, standards: dict) -> int:
    """Make `tenant`'s service standards `standards` ({(tier, kind): max days, or None for
    no standard}) in one transaction of bulk writes; returns how many changed."""
    existing = {(s.tier, s.kind): s for s in ServiceStandard.objects.all()}
    to_create, to_update, to_delete = [], [], []
    for (tier, kind), days in standards.items():
        standard = existing.get((tier, kind))
        if days is None:
            if standard is not None:
                to_delete.append(standard.pk)
        elif standard is None:
            to_create.append(ServiceStandard(tenant=tenant, tier=tier, kind=kind,
                                             max_days=days))
        elif standard.max_days != days:
            standard.max_days = days
            to_update.append(standard)
    ServiceStandard.objects.filter(pk__in=to_delete).delete()
    ServiceStandard.objects.bulk_update(to_update, ["max_days"])
    ServiceStandard.objects.bulk_create(to_create)
    return len(to_create) + len(to_update) + len(to_delete)
