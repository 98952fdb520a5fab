"""Write use cases for customers: figures (checked, then written in bulk), tier overrides,
interactions, the scoring policy and service standards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.models import Tenant
from integrations import events
from kam import external_ids, messages
from kam.imports import kinds as import_kinds
from kam.imports.rows import (
    RowError,
    UpsertResult,
    not_on_team_error,
    preview_value,
    row_errors,
)
from kam.periods import read_quarter

from . import scoring
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

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date

    from accounts.models import User
    from kam.imports.rows import ChangePreview

    from .models import Contact, Interaction

FIGURE_FIELDS = [
    "revenue", "volume", "supply_share", "gross_margin", "payment_days", "cost_to_serve",
    "quality_ppm", "on_time_delivery", "market_influence", "loyalty", "strategic_fit",
]


NO_CUSTOMER = gettext_lazy("No customer with code “%(code)s” in this workspace.")
FIGURES_TWICE = gettext_lazy(
    "%(code)s %(period)s appears twice in this upload (also line %(line)d).")
EXTERNAL_ID_TWICE = gettext_lazy(
    "External id “%(external_id)s” appears twice in this upload (also line %(line)d).")
EXTERNAL_ID_TAKEN = gettext_lazy(
    "External id “%(external_id)s” belongs to other figures of this workspace.")


@dataclass
class FigurePlan:
    """A check of figure rows: its result, and the figures to write in row order."""

    tenant: object
    result: UpsertResult = field(default_factory=UpsertResult)
    figures: list = field(default_factory=list)  # (PeriodFigure, is new)


@dataclass
class _FigureLookups:
    customers: dict  # code -> Customer
    existing: dict  # (customer id, period) -> PeriodFigure
    places: dict  # field -> decimal places, for the preview's numbers
    external_ids: dict  # external id -> the id of the figures that have it
    seen: dict = field(default_factory=dict)  # (customer id, period) -> line
    seen_external_ids: dict = field(default_factory=dict)  # external id -> line


def _figure_lookups(rows):
    codes = {str(row.get("customer_code") or "").strip() for row in rows}
    customers = {c.code: c for c in Customer.objects.filter(code__in=codes)}
    periods = {read_quarter(row.get("period")) for row in rows}
    existing = {
        (f.customer_id, f.period): f
        for f in PeriodFigure.objects.filter(customer__in=customers.values(), period__in=periods)
    }
    places = {name: PeriodFigure._meta.get_field(name).decimal_places for name in FIGURE_FIELDS
              if hasattr(PeriodFigure._meta.get_field(name), "decimal_places")}
    wanted = {external_ids.normalise(row.get("external_id")) for row in rows} - {""}
    taken = dict(PeriodFigure.objects.filter(external_id__in=wanted)
                 .values_list("external_id", "pk")) if wanted else {}
    return _FigureLookups(customers=customers, existing=existing, places=places,
                          external_ids=taken)


def _external_id_error(lookups, number, figure, value):
    """The row's error about its external id (unique in the workspace), or None."""
    if value in lookups.seen_external_ids:
        return RowError(number, "external_id", messages.message(
            EXTERNAL_ID_TWICE, external_id=value, line=lookups.seen_external_ids[value]))
    owner = lookups.external_ids.get(value)
    if owner is not None and owner != figure.pk:
        return RowError(number, "external_id", messages.message(
            EXTERNAL_ID_TAKEN, external_id=value))
    return None


def _figure_key_error(lookups, number, code, period, editable):
    """The row's error about its customer and period, or None."""
    customer = lookups.customers.get(code)
    if customer is None:
        return RowError(number, "customer_code", messages.message(NO_CUSTOMER, code=code))
    if editable is not None and customer.pk not in editable:
        return not_on_team_error(number, "customer_code", code)
    if (customer.pk, period) in lookups.seen:
        return RowError(number, "period", messages.message(
            FIGURES_TWICE, code=code, period=period, line=lookups.seen[customer.pk, period]))
    return None


def _preview_figure(preview, lookups, number, code, row, figure, old, changed):
    places = lookups.places
    if not old:
        preview.new_row(number, code, [
            (name, preview_value(getattr(figure, name), places.get(name)))
            for name in FIGURE_FIELDS
            if name in row and getattr(figure, name) is not None], period=figure.period)
    else:
        preview.changed_row(number, code, [
            (name, preview_value(old[name], places.get(name)),
             preview_value(getattr(figure, name), places.get(name)), "")
            for name in changed], period=figure.period)


def _check_figure(plan, lookups, number, row, editable, preview):
    code = str(row.get("customer_code") or "").strip()
    period = read_quarter(row.get("period"))
    error = _figure_key_error(lookups, number, code, period, editable)
    if error is not None:
        plan.result.errors.append(error)
        return
    customer = lookups.customers[code]
    lookups.seen[customer.pk, period] = number
    figure = lookups.existing.get((customer.pk, period))
    is_new = figure is None
    if is_new:
        figure = PeriodFigure(tenant=plan.tenant, customer=customer, period=period)
        old = {}
    else:
        figure.customer = customer  # known: validation need not look it up row by row
        old = {name: getattr(figure, name) for name in FIGURE_FIELDS}
    for name in FIGURE_FIELDS:
        if name in row:
            value = row[name]
            setattr(figure, name, None if value in ("", None) else value)
    old_external_id = figure.external_id
    if "external_id" in row:  # optional: the figures' id in the sender's system
        figure.external_id = external_ids.normalise(row["external_id"])
        if figure.external_id:
            error = _external_id_error(lookups, number, figure, figure.external_id)
            if error is not None:
                plan.result.errors.append(error)
                return
            lookups.seen_external_ids[figure.external_id] = number
    try:
        # The customer and tenant are already resolved above; validating those foreign
        # keys again would cost one query per row.
        figure.full_clean(
            exclude=["customer", "tenant"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        plan.result.errors.extend(row_errors(number, exc, PeriodFigure))
        return
    changed = [name for name in FIGURE_FIELDS
               if name in row and (is_new or getattr(figure, name) != old[name])]
    if "external_id" in row and not is_new and figure.external_id != old_external_id:
        changed.append("external_id")
    if is_new or changed:
        plan.result.changed_customer_ids.add(customer.pk)
    if preview is not None:
        _preview_figure(preview, lookups, number, code, row, figure, old, changed)
    plan.figures.append((figure, is_new))


def check_figures(*, tenant: Tenant, rows: Iterable[dict], lines: list[int] | None = None,
                  first_row_number: int = 1, editable: set[int] | None = None,
                  preview: ChangePreview | None = None) -> FigurePlan:
    """Check period figure rows keyed by customer code and period; writes nothing.

    `rows` are dicts with `customer_code`, `period` and any of FIGURE_FIELDS (values
    already parsed, or strings the model fields can clean). A fixed number of queries for
    any number of rows. Errors name a row by `lines[i]` (a spreadsheet line) if given,
    else by `first_row_number + i`. `editable`: the ids of the customers the writer may
    change (None: all of them). `preview`: a ChangePreview to fill in.
    """
    rows = list(rows)
    lookups = _figure_lookups(rows)
    plan = FigurePlan(tenant=tenant)
    for offset, row in enumerate(rows):
        number = lines[offset] if lines is not None else first_row_number + offset
        _check_figure(plan, lookups, number, row, editable, preview)
    created = sum(1 for _figure, is_new in plan.figures if is_new)
    plan.result.created, plan.result.updated = created, len(plan.figures) - created
    return plan


def write_figures(*, tenant: Tenant, plan: FigurePlan,
                  progress: Callable[[int], None] | None = None) -> None:
    """Write a check without errors: bulk inserts and updates in chunks, reporting the
    rows written to `progress`."""
    done = 0
    with transaction.atomic():
        for chunk in import_kinds.chunks(plan.figures):
            PeriodFigure.objects.bulk_create([f for f, is_new in chunk if is_new],
                                             batch_size=2000)
            PeriodFigure.objects.bulk_update([f for f, is_new in chunk if not is_new],
                                             [*FIGURE_FIELDS, "external_id", "updated_at"],
                                             batch_size=1000)
            done += len(chunk)
            if progress:
                progress(done)
        customers_changed.send(sender=PeriodFigure, tenant=tenant, customer_ids={
            figure.customer_id for figure, _is_new in plan.figures})


def upsert_figures(tenant: Tenant, *, rows: Iterable[dict], dry_run: bool = False,
                   first_row_number: int = 1, lines: list[int] | None = None,
                   editable: set[int] | None = None, preview: ChangePreview | None = None,
                   progress: Callable[[int], None] | None = None) -> UpsertResult:
    """Create or update period figures keyed by customer code and period, all or nothing
    (check_figures, then write_figures): nothing is written if any row has an error, or
    with `dry_run`."""
    plan = check_figures(tenant=tenant, rows=rows, lines=lines,
                         first_row_number=first_row_number, editable=editable, preview=preview)
    if not (plan.result.errors or dry_run):
        write_figures(tenant=tenant, plan=plan, progress=progress)
    return plan.result


# --- tier overrides ----------------------------------------------------------------

@transaction.atomic
def set_tier_override(customer: Customer, *, tier: str, reason: str, expires_on: date | None,
                      user: User, role: str) -> TierOverride:
    """Pin a customer's tier until `expires_on`; replaces any override in force."""
    if not roles.allows(role, "override_tiers"):
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
    before = customer.tier
    customer.overrides.filter(ended_at__isnull=True).update(ended_at=now, ended_by=user)
    override = customer.overrides.create(tenant=customer.tenant, tier=tier,
                                         reason=reason.strip(), expires_on=expires_on,
                                         created_by=user)
    Customer.objects.filter(pk=customer.pk).update(tier=tier, tier_source="override")
    customer.tier, customer.tier_source = tier, "override"
    customers_changed.send(sender=TierOverride, tenant=customer.tenant,
                           customer_ids=[customer.pk])
    _tier_changed(customer, before, cause="override")
    return override


def _tier_changed(customer: Customer, before: str, *, cause: str) -> None:
    """The webhook event of a tier an override set or ended moved."""
    if customer.tier == before:
        return
    events.emit("customer.tier_changed", tenant=customer.tenant, records=[scoring.tier_change(
        {"customer_id": customer.pk, "customer__code": customer.code,
         "customer__name": customer.name, "previous_tier": before, "tier": customer.tier,
         "tier_source": customer.tier_source, "score": customer.score}, cause=cause)])


@transaction.atomic
def end_tier_override(customer: Customer, *, user: User) -> int:
    """End the override in force; the customer falls back to its last computed tier."""
    ended = customer.overrides.filter(ended_at__isnull=True).update(ended_at=timezone.now(),
                                                                     ended_by=user)
    if ended:
        before = customer.tier
        tier, score = scoring.latest_computed_tier(customer)
        Customer.objects.filter(pk=customer.pk).update(
            tier=tier, tier_source="computed" if tier else "", score=score)
        customer.tier, customer.tier_source, customer.score = (
            tier, "computed" if tier else "", score)
        customers_changed.send(sender=TierOverride, tenant=customer.tenant,
                               customer_ids=[customer.pk])
        _tier_changed(customer, before, cause="override_ended")
    return ended


# --- interactions ------------------------------------------------------------------

@transaction.atomic
def save_interaction(interaction: Interaction, *, our_people: Iterable[User] = (),
                     contacts: Iterable[Contact] = ()) -> Interaction:
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
def save_policy_version(*, tenant: Tenant, user: User, values: dict) -> ScoringPolicy:
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
def set_service_standards(*, tenant: Tenant,
                          standards: dict[tuple[str, str], int | None]) -> int:
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
