"""The customers and period-figures import kinds: their columns, how a row is checked and
previewed, and their set-based writes. The pipeline (kam.imports; the jobs, pages and
tasks in customers/import_jobs.py) runs them; CustomersConfig.ready registers them.

An empty cell clears the value, except where a column says otherwise; a column left out
of the file leaves the field unchanged.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy

from accounts.models import Tenant, User
from accounts.selectors import KAM, assignable_members
from kam import codes as code_rules
from kam import messages
from kam.imports import cells, kinds
from kam.imports.cells import Column
from kam.imports.rows import (
    ChangePreview,
    RowError,
    UpsertResult,
    not_on_team_error,
    preview_value,
    row_errors,
)

from . import services
from .models import Customer, LifecycleStage, Region, Segment

# --- columns -------------------------------------------------------------------------

CUSTOMER_COLUMNS = [
    Column("code", "text", True, gettext_lazy(
        "Your code for the customer, unique in the workspace (at most 30 characters). A row "
        "whose code exists updates that customer; a new code creates one."), "OEM-001"),
    Column("name", "text", True, gettext_lazy("The customer's name."), "Example Motors"),
    Column("parent_code", "text", False, gettext_lazy(
        "Code of its group (parent) customer: an existing customer or one in this file. "
        "Empty for none."), ""),
    Column("region_code", "text", False, gettext_lazy(
        "Code of one of the workspace's regions. Empty for none."), "east"),
    Column("segment", "choice", False, gettext_lazy(
        "One of: %(choices)s. Empty: oem_passenger for a new customer, unchanged for an "
        "existing one."), "oem_passenger", choices=Segment),
    Column("country", "text", False, gettext_lazy("Country."), "China"),
    Column("city", "text", False, gettext_lazy("City."), "Shanghai"),
    Column("lifecycle_stage", "choice", False, gettext_lazy(
        "One of: %(choices)s. Empty: developing for a new customer, unchanged for an "
        "existing one."), "key", choices=LifecycleStage),
    Column("owner_email", "email", False, gettext_lazy(
        "E-mail of the account manager (KAM), an active member of this workspace. "
        "Empty for none."), "kam@example.com"),
    Column("is_active", "boolean", False, gettext_lazy(
        "yes or no (also true/false, 1/0). Empty: yes for a new customer, unchanged for an "
        "existing one."), "yes"),
]
CHOICE_COLUMNS = [c for c in CUSTOMER_COLUMNS if c.choices is not None]

FIGURE_COLUMNS = [
    Column("customer_code", "text", True, gettext_lazy(
        "Code of an existing customer of this workspace."), "OEM-001"),
    Column("period", "period", True, gettext_lazy(
        "Quarter: year, the letter Q, quarter 1–4, e.g. 2026Q3 (2026-Q3, 2026 Q3 and "
        "Q3 2026 are read as 2026Q3). A customer and quarter already imported are "
        "updated."), "2026Q3"),
    Column("revenue", "decimal", True, gettext_lazy(
        "Revenue in the quarter, ≥ 0, in the workspace currency."), Decimal("1250000.00")),
    Column("volume", "integer", False, gettext_lazy("Units delivered, whole number ≥ 0."),
           48000),
    Column("supply_share", "percent", False, gettext_lazy(
        "Our share of the customer's spend in our category, in percent (0–100)."),
           Decimal("35.5")),
    Column("gross_margin", "percent", False, gettext_lazy("Gross margin, in percent (0–100)."),
           Decimal("18.2")),
    Column("payment_days", "integer", False, gettext_lazy(
        "Payment terms in days, whole number ≥ 0."), 60),
    Column("cost_to_serve", "decimal", False, gettext_lazy(
        "Cost to serve (sales expense) in the quarter, ≥ 0."), Decimal("21000.00")),
    Column("quality_ppm", "decimal", False, gettext_lazy(
        "Defective parts per million reported by the customer, ≥ 0."), Decimal("45.0")),
    Column("on_time_delivery", "percent", False, gettext_lazy(
        "On-time delivery, in percent (0–100)."), Decimal("97.8")),
    Column("market_influence", "integer", False, gettext_lazy("Rating 1–5."), 4),
    Column("loyalty", "integer", False, gettext_lazy("Rating 1–5."), 3),
    Column("strategic_fit", "integer", False, gettext_lazy(
        "Strategic region fit, rating 1–5."), 5),
    Column("external_id", "text", False, gettext_lazy(
        "The figures' id in your own system (optional): unique in the workspace, compared "
        "exactly. Empty: none (an existing one is cleared)."), "ERP-OEM-001-2026Q3"),
]

COLUMNS = {"customers": CUSTOMER_COLUMNS, "figures": FIGURE_COLUMNS}

CUSTOMER_TEXT_FIELDS = ("name", "country", "city")
# model field -> the column that sets it
CUSTOMER_FIELD_COLUMNS = {"parent": "parent_code", "region": "region_code",
                          "owner": "owner_email", "__all__": ""}
FLAG_LABELS = {
    "a_tier_name": gettext_lazy("A-tier customer renamed"),
    "owner": gettext_lazy("New account manager"),
    "deactivation": gettext_lazy("Deactivated"),
}


# --- customers: what the rows are checked against --------------------------------------


@dataclass
class CustomerLookups:
    """What every customer row is checked against, read once for the whole file."""

    everyone: dict  # code -> (id, parent id) of every customer: parent links and loops
    code_of: dict  # id -> code
    existing: dict  # code -> Customer, of the file's codes
    regions: dict  # lower-case code -> Region
    owners: dict  # lower-case e-mail -> user id, of the active account managers named
    owner_emails: dict  # user id -> e-mail, for "old → new"
    file_codes: set  # every code of the file
    region_codes: dict = field(default_factory=dict)  # region id -> code

    def __post_init__(self):
        self.region_codes = {r.pk: r.code for r in self.regions.values()}

    def state(self, customer, owner_id, parent_code):
        """column -> (value compared, value shown) of a customer as the file sees it."""
        return {
            "name": (customer.name, customer.name),
            "parent_code": (parent_code or "", parent_code),
            "region_code": (customer.region_id, self.region_codes.get(customer.region_id)),
            "segment": (customer.segment, cells.label(Segment, customer.segment)),
            "country": (customer.country, customer.country),
            "city": (customer.city, customer.city),
            "lifecycle_stage": (customer.lifecycle_stage,
                                cells.label(LifecycleStage, customer.lifecycle_stage)),
            "owner_email": (owner_id, self.owner_emails.get(owner_id)),
            "is_active": (customer.is_active, customer.is_active),
        }


def _codes_as_stored(rows, everyone):
    """The rows with their codes and parent codes spelt as stored: codes are identifiers
    that ignore case and surrounding spaces (kam.codes), so `oem-1 ` in a file names the
    customer OEM-1, or the new customer a row before it spelt another way."""
    stored = {code_rules.key(code): code for code in everyone}
    for row in rows:  # new codes: the file's first spelling
        code = code_rules.normalise(cells.text(row.get("code")))
        if code:
            stored.setdefault(code_rules.key(code), code)
    result = []
    for row in rows:
        row = dict(row)
        for name in ("code", "parent_code"):
            if name in row and cells.text(row[name]):
                row[name] = stored.get(code_rules.key(cells.text(row[name])),
                                       cells.text(row[name]))
        result.append(row)
    return result


def _owners(tenant, rows, existing, *, with_present):
    """(e-mail -> id of the account managers the rows name, id -> e-mail, with the
    present owners' addresses too when `with_present`, for the preview)."""
    emails = {cells.text(row.get("owner_email")).lower() for row in rows} - {""}
    owners = {}
    if emails:  # the people the customer form offers as owner: active account managers
        owners = dict(assignable_members(tenant, for_=KAM).annotate(address=Lower("email"))
                      .filter(address__in=emails).values_list("address", "pk"))
    owner_emails = {user_id: email for email, user_id in owners.items()}
    if with_present:
        missing = {c.owner_id for c in existing.values()} - set(owner_emails) - {None}
        owner_emails.update(User.objects.filter(pk__in=missing).values_list("pk", "email"))
    return owners, owner_emails


def customer_lookups(*, tenant: Tenant, rows: Iterable[dict], preview: bool = False
                     ) -> tuple[CustomerLookups, list[dict]]:
    """(CustomerLookups, the rows with their codes as stored): a fixed number of queries
    for any number of rows."""
    everyone = {code: (pk, parent_id) for pk, code, parent_id in
                Customer.objects.filter(tenant=tenant).values_list("id", "code", "parent_id")}
    rows = _codes_as_stored(list(rows), everyone)
    codes = {cells.text(row.get("code")) for row in rows}
    existing = {c.code: c for c in Customer.objects.filter(tenant=tenant, code__in=codes)}
    owners, owner_emails = _owners(tenant, rows, existing, with_present=preview)
    lookups = CustomerLookups(
        everyone=everyone, code_of={pk: code for code, (pk, _parent) in everyone.items()},
        existing=existing, regions={r.code.lower(): r for r in Region.objects.filter(
            tenant=tenant)},
        owners=owners, owner_emails=owner_emails, file_codes=codes)
    return lookups, rows


# --- customers: each row -----------------------------------------------------------------


@dataclass
class CustomerPlan:
    """A check of customer rows: its result, and what write_customers takes."""

    tenant: object
    rows: list
    result: UpsertResult = field(default_factory=UpsertResult)
    valid: list = field(default_factory=list)  # Customers to write
    parents: dict = field(default_factory=dict)  # code -> parent code wanted ("" = none)
    lines: dict = field(default_factory=dict)  # code -> line of the row that has it
    seen: dict = field(default_factory=dict)  # code ignoring case -> line
    everyone: dict = field(default_factory=dict)  # code -> (id, parent id), as checked


def _code_error(plan, number, code):
    if not code:
        return RowError(number, "code", messages.message(
            gettext_lazy("Enter the customer code.")))
    # Codes are identifiers: OEM-1 and oem-1 name the same customer.
    if code.casefold() in plan.seen:
        return RowError(number, "code", messages.message(gettext_lazy(
            "The code %(code)s appears twice in this upload (also line %(line)d)."),
            code=code, line=plan.seen[code.casefold()]))
    return None


def _set_choices(customer, row, number):
    errors = []
    for column in CHOICE_COLUMNS:
        word = cells.text(row.get(column.name))
        if not word:
            continue
        value = cells.choice_value(column.choices, word)
        if value is None:
            errors.append(RowError(number, column.name, messages.message(gettext_lazy(
                "“%(value)s” is not one of: %(choices)s."),
                value=word, choices=cells.choice_help(column.choices))))
        else:
            setattr(customer, column.name, value)
    return errors


def _set_active(customer, row, number):
    if "is_active" not in row or cells.text(row["is_active"]) == "":
        return []
    try:
        customer.is_active = cells.boolean(row["is_active"])
    except ValueError:
        return [RowError(number, "is_active", messages.message(gettext_lazy(
            "Enter yes or no, not “%(value)s”."), value=cells.text(row["is_active"])))]
    return []


def _set_region(customer, row, number, lookups):
    if "region_code" not in row:
        return []
    region_code = cells.text(row["region_code"])
    region = lookups.regions.get(region_code.lower()) if region_code else None
    customer.region = region
    if region_code and region is None:
        return [RowError(number, "region_code", messages.message(gettext_lazy(
            "No region with code “%(code)s” in this workspace."), code=region_code))]
    return []


def _owner_id(customer, row, number, lookups, errors):
    """The owner the row wants (the present one when it names none)."""
    if "owner_email" not in row:
        return customer.owner_id
    email = cells.text(row["owner_email"]).lower()
    if email and email not in lookups.owners:
        errors.append(RowError(number, "owner_email", messages.message(gettext_lazy(
            "%(email)s is not an active account manager of this workspace."), email=email)))
    return lookups.owners.get(email)


def _parent_errors(plan, code, row, number, lookups):
    if "parent_code" not in row:
        return []
    parent_code = cells.text(row["parent_code"])
    plan.parents[code] = parent_code
    if parent_code == code:
        return [RowError(number, "parent_code", messages.message(gettext_lazy(
            "A customer cannot be its own group.")))]
    if (parent_code and parent_code not in lookups.everyone
            and parent_code not in lookups.file_codes):
        return [RowError(number, "parent_code", messages.message(gettext_lazy(
            "No customer with code “%(code)s” in this workspace or this file."),
            code=parent_code))]
    return []


def _model_errors(customer, number):
    # Model.clean_fields, not TenantOwnedModel's: that one asks for the owner's membership
    # once a row; the lookups check all owners, regions and parents in bulk.
    errors = []
    checks = (lambda: models.Model.clean_fields(
        customer, exclude={"tenant", "owner", "parent", "region"}), customer.clean)
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors.extend(row_errors(number, exc, Customer, CUSTOMER_FIELD_COLUMNS))
    return errors


def _row_errors(plan, customer, code, row, number, lookups):
    """Set the row's values on `customer`; (its errors, the owner id it wants)."""
    for name in CUSTOMER_TEXT_FIELDS:
        if name in row:
            setattr(customer, name, cells.text(row[name]))
    errors = [*_set_choices(customer, row, number), *_set_active(customer, row, number),
              *_set_region(customer, row, number, lookups)]
    owner_id = _owner_id(customer, row, number, lookups, errors)
    errors += _parent_errors(plan, code, row, number, lookups)
    errors += _model_errors(customer, number)
    return errors, owner_id


def _check_customer(plan, lookups, number, row, editable, preview):
    code = cells.text(row.get("code"))
    error = _code_error(plan, number, code)
    if error is not None:
        plan.result.errors.append(error)
        return
    plan.seen[code.casefold()] = number
    plan.lines[code] = number
    customer = lookups.existing.get(code)
    before = None
    if customer is None:
        customer = Customer(tenant=plan.tenant, code=code)
    elif editable is not None and customer.pk not in editable:
        plan.result.errors.append(not_on_team_error(number, "code", code))
        return
    elif preview is not None:
        before = lookups.state(customer, customer.owner_id,
                               lookups.code_of.get(customer.parent_id))
    errors, owner_id = _row_errors(plan, customer, code, row, number, lookups)
    if errors:
        plan.result.errors.extend(errors)
        return
    customer.owner_id = owner_id
    plan.valid.append(customer)
    if preview is not None:
        parent_code = plan.parents.get(code, lookups.code_of.get(customer.parent_id))
        _preview_customer(preview, number, row, before,
                          lookups.state(customer, owner_id, parent_code), tier=customer.tier)


def _check_loops(plan, lookups):
    """Parent links must not make a loop (A in group B, B in group A)."""

    def parent_of(child):
        if child in plan.parents:
            return plan.parents[child] or None
        return lookups.code_of.get(lookups.everyone.get(child, (None, None))[1])

    for code in plan.parents:
        path, current = [code], parent_of(code)
        while current is not None:
            if current in path:
                plan.result.errors.append(RowError(
                    plan.lines[code], "parent_code", messages.message(
                        gettext_lazy("These group links make a loop: %(path)s."),
                        path=" → ".join([*path, current]))))
                break
            path.append(current)
            current = parent_of(current)


def check_customers(*, tenant: Tenant, rows: Iterable[dict], lines: list[int] | None = None,
                    first_row_number: int = 1, editable: set[int] | None = None,
                    preview: ChangePreview | None = None) -> CustomerPlan:
    """Check customer rows keyed by `code`; writes nothing.

    `rows` are dicts with `code` and any of the other CUSTOMER_COLUMNS (strings, or
    booleans for `is_active`). `parent_code` may name a customer created by another row;
    unknown parents, regions and owners (who must be active account managers of the
    tenant) are row errors naming the column. A fixed number of queries for any number
    of rows. Errors name a row by `lines[i]` (a spreadsheet line) if given, else by
    `first_row_number + i`. `editable`: the ids of the existing customers the writer may
    change (None: all of them); new customers may always be added. `preview`: a
    ChangePreview to fill in.
    """
    lookups, rows = customer_lookups(tenant=tenant, rows=rows, preview=preview is not None)
    plan = CustomerPlan(tenant=tenant, rows=rows)
    for offset, row in enumerate(rows):
        number = lines[offset] if lines is not None else first_row_number + offset
        _check_customer(plan, lookups, number, row, editable, preview)
    if plan.parents and not plan.result.errors:
        _check_loops(plan, lookups)
    plan.result.created = sum(1 for c in plan.valid if c.pk is None)
    plan.result.updated = len(plan.valid) - plan.result.created
    plan.result.errors.sort(key=lambda e: e.row)
    plan.everyone = lookups.everyone
    return plan


# --- customers: the preview --------------------------------------------------------------


def _flag(name, old, new, tier):
    """What makes a change worth a second look, or ""."""
    if name == "name" and tier == "A":
        return "a_tier_name"
    if name == "owner_email" and old is not None:
        return "owner"
    if name == "is_active" and old and not new:
        return "deactivation"
    return ""


def _preview_customer(preview, number, row, before, after, tier):
    """One customer row of the preview: a new customer with the values it sets, or the
    columns it changes (old → new), flagging what deserves a second look."""
    choice_names = {c.name for c in CHOICE_COLUMNS} | {"is_active"}
    columns = [c.name for c in CUSTOMER_COLUMNS[1:] if c.name in row
               and (c.name not in choice_names or cells.text(row[c.name]) != "")]
    code = cells.text(row.get("code"))
    if before is None:
        preview.new_row(number, code, [(name, preview_value(after[name][1]))
                                       for name in columns if after[name][1] not in (None, "")])
        return
    changes = []
    for name in columns:
        (old, old_shown), (new, new_shown) = before[name], after[name]
        if old != new:
            changes.append((name, preview_value(old_shown), preview_value(new_shown),
                            _flag(name, old, new, tier)))
    preview.changed_row(number, code, changes)


# --- customers: the write ----------------------------------------------------------------


def _update_fields(rows):
    """The fields the file's columns set: a column left out leaves its field alone."""
    present = {name for row in rows for name in row}
    names = [name for name in (*CUSTOMER_TEXT_FIELDS, *(c.name for c in CHOICE_COLUMNS),
                               "is_active") if name in present]
    names += [model_field for model_field, column in CUSTOMER_FIELD_COLUMNS.items()
              if column and column in present]
    return [*names, "updated_at"]


def _write_chunk(customers, update_fields):
    """Insert new and update existing customers in one INSERT … ON CONFLICT per chunk
    (bulk_update's CASE WHEN per field costs about a millisecond per row and field)."""
    for customer in customers:
        customer.pk = None  # matched on (tenant, code); the id comes back from the insert
    Customer.objects.bulk_create(customers, update_conflicts=True,
                                 unique_fields=["tenant", "code"], update_fields=update_fields)


def _ready(pending, parents, ids):
    """(the customers whose group has an id by now, with it set; the others)."""
    ready, waiting = [], []
    for customer in pending:
        parent_code = parents.get(customer.code)
        if parent_code and parent_code not in ids:
            waiting.append(customer)
            continue
        if customer.code in parents:
            customer.parent_id = ids.get(parent_code) if parent_code else None
        ready.append(customer)
    return ready, waiting


def write_customers(*, plan: CustomerPlan,
                    progress: Callable[[int], None] | None = None) -> None:
    """Write a check without errors. Parents first: a customer is written once the id of
    the group it names is known, so groups created by this file are linked without a
    second pass. `progress(n)` as rows are written."""
    update_fields = _update_fields(plan.rows)
    ids = {code: pk for code, (pk, _parent) in plan.everyone.items()}
    pending, done = plan.valid, 0
    with transaction.atomic():
        while pending:
            ready, pending = _ready(pending, plan.parents, ids)
            if not ready:  # cannot happen: loops were refused by the check
                raise RuntimeError("customer group links make a loop")
            for chunk in kinds.chunks(ready):
                _write_chunk(chunk, update_fields)
                done += len(chunk)
                if progress:
                    progress(done)
            ids.update((customer.code, customer.pk) for customer in ready)


def upsert_customers(tenant, rows, *, dry_run=False, first_row_number=1, lines=None,
                     progress=None, editable=None, preview=None):
    """Create or update customers keyed by `code`, all or nothing (check_customers, then
    write_customers): nothing is written if any row has an error, or with `dry_run`."""
    plan = check_customers(tenant=tenant, rows=rows, lines=lines,
                           first_row_number=first_row_number, editable=editable,
                           preview=preview)
    if not (plan.result.errors or dry_run):
        write_customers(plan=plan, progress=progress)
    return plan.result


# --- the kinds -----------------------------------------------------------------------------


class CustomersKind(kinds.ImportKind):
    name = "customers"
    label = gettext_lazy("Customers")
    description = gettext_lazy("Create or update customers by code: name, group, region, "
                               "segment, location, lifecycle stage, account manager.")
    action_label = gettext_lazy("Import customers")
    flag_labels = FLAG_LABELS

    def columns(self, options):
        return CUSTOMER_COLUMNS

    def check(self, context, parsed, *, preview=None):
        plan = check_customers(tenant=context.tenant, rows=parsed.rows, lines=parsed.lines,
                               editable=context.editable, preview=preview)
        return kinds.Checked(result=plan.result, plan=plan)

    def write(self, context, checked, *, progress=None):
        write_customers(plan=checked.plan, progress=progress)

    def result_link(self, options):
        return gettext_lazy("Go to the customers"), reverse("customer_list")


class FiguresKind(kinds.ImportKind):
    name = "figures"
    label = gettext_lazy("Period figures")
    description = gettext_lazy(
        "Create or update quarterly figures by customer code and period: revenue, volume, "
        "supply share, margin, payment days, cost to serve, quality, delivery and ratings.")
    action_label = gettext_lazy("Import figures")

    def columns(self, options):
        return FIGURE_COLUMNS

    def check(self, context, parsed, *, preview=None):
        plan = services.check_figures(tenant=context.tenant, rows=parsed.rows,
                                      lines=parsed.lines, editable=context.editable,
                                      preview=preview)
        return kinds.Checked(result=plan.result, plan=plan)

    def write(self, context, checked, *, progress=None):
        services.write_figures(tenant=context.tenant, plan=checked.plan, progress=progress)

    def committed(self, result):
        # What a re-scoring would now see differently: the result page's offer.
        return {"customers_changed": len(result.changed_customer_ids)}

    def result_link(self, options):
        return gettext_lazy("Go to the customers"), reverse("customer_list")
