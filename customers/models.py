from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam import bounds, codes, external_ids
from kam.imports import kinds
from kam.periods import validate_period
from kam.tenancy import TenantOwnedModel, sync_index
from records.history import track

# The ranges of the numbers people enter (kam.bounds): validators here, the same range
# as a database check in each model's Meta.
PERCENT_RANGE = (Decimal("0"), Decimal("100"))
PERCENT = bounds.between(*PERCENT_RANGE)
MONEY_RANGE = (Decimal("0"), bounds.MAX_MONEY)
MONEY = bounds.between(*MONEY_RANGE)
RATING_RANGE = (1, 5)
RATING = bounds.between(*RATING_RANGE)
SHARE_RANGE = (Decimal("0"), Decimal("1"))
SHARE = bounds.between(*SHARE_RANGE)
PPM_RANGE = (Decimal("0"), bounds.MAX_PPM)
UNITS_RANGE = (0, bounds.MAX_UNITS)
PAYMENT_DAYS_RANGE = (0, bounds.MAX_PAYMENT_DAYS)
LOOKBACK_RANGE = (1, 12)
STANDARD_DAYS_RANGE = (1, bounds.MAX_DAYS)
YEAR_RANGE = (bounds.MIN_YEAR, bounds.MAX_YEAR)
ATTITUDE_RANGE = (-2, 2)


class Tier(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class Region(TenantOwnedModel):
    """A sales region, led by a VP-level leader; customers belong to one."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("leader"),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="region_unique_code"),
        ]
        verbose_name = _("region")

    def __str__(self):
        return self.name


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect (potential)")
    DEVELOPING = "developing", _("Developing (general)")
    KEY = "key", _("Key (elite)")
    MATURE = "mature", _("Mature")
    DECLINING = "declining", _("Declining (sunset)")


class Segment(models.TextChoices):
    OEM_PASSENGER = "oem_passenger", _("OEM — passenger cars")
    OEM_COMMERCIAL = "oem_commercial", _("OEM — commercial vehicles")
    NEV = "nev", _("New-energy vehicle maker")
    JOINT_VENTURE = "joint_venture", _("Joint venture")
    TIER1 = "tier1", _("Tier-1 supplier")
    OTHER = "other", _("Other")


class Technology(models.TextChoices):
    ELECTRIFICATION = "electrification", _("Electrification")
    COCKPIT = "intelligent_cockpit", _("Intelligent cockpit")
    LIGHTWEIGHT = "lightweight", _("Lightweight")
    SUSTAINABLE = "sustainable_materials", _("Sustainable materials")


class PainPoint(models.TextChoices):
    COST = "cost", _("Cost")
    RESILIENCE = "supply_resilience", _("Supply resilience")
    RD_SPEED = "rd_speed", _("R&D speed")
    QUALITY = "quality", _("Quality")
    DELIVERY = "delivery", _("Delivery")


def _validate_choices(values, choices, field):
    if not isinstance(values, list) or any(v not in choices.values for v in values):
        raise ValidationError(
            {field: _("Choose from: %(options)s.") % {"options": ", ".join(choices.values)}}
        )


class Customer(codes.CodeIsIdentifier, TenantOwnedModel):
    code_taken_message = _("Another customer already has the code “%(code)s” (codes ignore case "
                           "and surrounding spaces).")

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
        verbose_name=_("group / parent"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="customers",
        verbose_name=_("region"),
    )
    segment = models.CharField(_("segment"), max_length=30, choices=Segment.choices,
                               default=Segment.OEM_PASSENGER)
    country = models.CharField(_("country"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=20,
                                       choices=LifecycleStage.choices,
                                       default=LifecycleStage.DEVELOPING)
    is_active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="owned_customers", verbose_name=_("owner (KAM)"),
    )
    # Strategy profile: understanding the OEM's strategy.
    positioning = models.TextField(_("brand positioning"), blank=True)
    platform_plans = models.TextField(_("vehicle / platform plans"), blank=True)
    technology_roadmap = models.JSONField(_("technology roadmap"), default=list, blank=True)
    pain_points = models.JSONField(_("pain points"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Current tier, written by the scoring run and overrides (customers/scoring.py).
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
    tier_source = models.CharField(_("tier source"), max_length=10, blank=True)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=4, null=True,
                                blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Codes are identifiers: unique ignoring case and surrounding spaces. The plain
            # key stays for upserts by code (ON CONFLICT names columns, not expressions).
            models.UniqueConstraint(fields=["tenant", "code"], name="customer_unique_code"),
            codes.unique_constraint("customer_unique_code_ci"),
            # The target of the tenant-checking foreign keys (TierAssessment).
            models.UniqueConstraint(fields=["id", "tenant"], name="customer_id_tenant"),
        ]
        indexes = [
            sync_index("customer_sync"),
            models.Index(fields=["tenant", "tier"]),
        ]
        verbose_name = _("customer")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        _validate_choices(self.technology_roadmap, Technology, "technology_roadmap")
        _validate_choices(self.pain_points, PainPoint, "pain_points")
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A customer cannot be its own group.")})



class PeriodFigure(TenantOwnedModel):
    """One customer's figures for one quarter (from ERP, import or the API)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="figures",
                                 verbose_name=_("customer"))
    period = models.CharField(_("period"), max_length=6, validators=[validate_period],
                              help_text=_("Quarter, e.g. 2026Q3"))
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2,
                                  validators=MONEY)
    volume = models.PositiveIntegerField(_("volume (units)"), null=True, blank=True,
                                         validators=bounds.between(*UNITS_RANGE))
    supply_share = models.DecimalField(_("supply share %"), max_digits=5, decimal_places=2,
                                       null=True, blank=True, validators=PERCENT)
    gross_margin = models.DecimalField(_("gross margin %"), max_digits=5, decimal_places=2,
                                       null=True, blank=True, validators=PERCENT)
    payment_days = models.PositiveIntegerField(_("payment terms (days)"), null=True, blank=True,
                                               validators=bounds.between(*PAYMENT_DAYS_RANGE))
    cost_to_serve = models.DecimalField(_("cost to serve"), max_digits=16, decimal_places=2,
                                        null=True, blank=True, validators=MONEY)
    quality_ppm = models.DecimalField(_("quality PPM"), max_digits=10, decimal_places=1,
                                      null=True, blank=True,
                                      validators=bounds.between(*PPM_RANGE))
    on_time_delivery = models.DecimalField(_("on-time delivery %"), max_digits=5,
                                           decimal_places=2, null=True, blank=True,
                                           validators=PERCENT)
    market_influence = models.PositiveSmallIntegerField(_("market influence (1–5)"), null=True,
                                                        blank=True, validators=RATING)
    loyalty = models.PositiveSmallIntegerField(_("loyalty (1–5)"), null=True, blank=True,
                                               validators=RATING)
    strategic_fit = models.PositiveSmallIntegerField(_("strategic region fit (1–5)"), null=True,
                                                     blank=True, validators=RATING)
    external_id = external_ids.field()
    updated_at = models.DateTimeField(auto_now=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["customer__name", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "period"],
                                    name="figure_unique_period"),
            external_ids.unique_constraint("figure_unique_external_id"),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="figure_revenue_gte_0"),
            *(bounds.check_between(field, *limits, name=f"figure_{field}_range")
              for field, limits in [
                  ("revenue", MONEY_RANGE), ("volume", UNITS_RANGE),
                  ("supply_share", PERCENT_RANGE), ("gross_margin", PERCENT_RANGE),
                  ("payment_days", PAYMENT_DAYS_RANGE), ("cost_to_serve", MONEY_RANGE),
                  ("quality_ppm", PPM_RANGE), ("on_time_delivery", PERCENT_RANGE),
                  ("market_influence", RATING_RANGE), ("loyalty", RATING_RANGE),
                  ("strategic_fit", RATING_RANGE)]),
        ]
        indexes = [
            sync_index("figure_sync"),
            models.Index(fields=["tenant", "period"]),
        ]
        verbose_name = _("period figures")
        verbose_name_plural = _("period figures")

    def __str__(self):
        return f"{self.customer} {self.period}"


class Normalisation(models.TextChoices):
    MINMAX = "minmax", _("Min–max")
    PERCENTILE = "percentile", _("Percentile rank")


class TieringMethod(models.TextChoices):
    COUNT_SHARE = "count_share", _("Share of customers (A 10 %, B 20 %)")
    VALUE_SHARE = "value_share", _("Share of revenue (A to 80 %, B to 95 %)")


def default_weights():
    return {
        "revenue": 0.35, "supply_share": 0.20, "gross_margin": 0.20, "payment_days": 0.15,
        "cost_to_serve": 0.10, "on_time_delivery": 0, "quality_ppm": 0,
        "market_influence": 0, "loyalty": 0, "strategic_fit": 0,
    }


class ScoringPolicy(TenantOwnedModel):
    """How a tenant scores and tiers customers. Edits create a new version."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    weights = models.JSONField(_("weights"), default=default_weights)
    normalisation = models.CharField(_("normalisation"), max_length=12,
                                     choices=Normalisation.choices, default=Normalisation.MINMAX)
    lookback_quarters = models.PositiveSmallIntegerField(
        _("look-back (quarters)"), default=4, validators=bounds.between(*LOOKBACK_RANGE))
    method = models.CharField(_("tiering method"), max_length=12, choices=TieringMethod.choices,
                              default=TieringMethod.COUNT_SHARE)
    a_share = models.DecimalField(_("A share of customers"), max_digits=4, decimal_places=3,
                                  default=Decimal("0.10"),
                                  validators=SHARE)
    b_share = models.DecimalField(_("B share of customers"), max_digits=4, decimal_places=3,
                                  default=Decimal("0.20"),
                                  validators=SHARE)
    a_revenue_cutoff = models.DecimalField(_("A up to cumulative revenue"), max_digits=4,
                                           decimal_places=3, default=Decimal("0.80"),
                                           validators=SHARE)
    b_revenue_cutoff = models.DecimalField(_("B up to cumulative revenue"), max_digits=4,
                                           decimal_places=3, default=Decimal("0.95"),
                                           validators=SHARE)
    concentration_threshold = models.DecimalField(
        _("concentration flag above share"), max_digits=4, decimal_places=3,
        default=Decimal("0.30"), validators=SHARE)
    # A quarter ends the scoring window once reported for this share of the customers
    # that had figures the quarter before (customers/scoring.py, window_status).
    coverage_share = models.DecimalField(
        _("complete quarter at reported share"), max_digits=4, decimal_places=3,
        default=Decimal("0.80"), validators=SHARE,
        help_text=_("A quarter is used once it is over and this share of the customers "
                    "with figures the quarter before have reported it."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="policy_unique_version"),
            bounds.check_between("lookback_quarters", *LOOKBACK_RANGE,
                                 name="policy_lookback_quarters_range"),
            *(bounds.check_between(field, *SHARE_RANGE, name=f"policy_{field}_range")
              for field in ["a_share", "b_share", "a_revenue_cutoff", "b_revenue_cutoff",
                            "concentration_threshold", "coverage_share"]),
        ]
        verbose_name = _("scoring policy")
        verbose_name_plural = _("scoring policies")

    def __str__(self):
        return f"v{self.version}"

    def clean(self):
        super().clean()
        from . import scoring

        errors = scoring.weight_errors(self.weights)
        if errors:
            raise ValidationError({"weights": errors})
        if self.a_share + self.b_share > 1:
            raise ValidationError({"b_share": _("A and B shares together exceed 100 %.")})
        if self.a_revenue_cutoff > self.b_revenue_cutoff:
            raise ValidationError(
                {"b_revenue_cutoff": _("The B cut-off must not be below the A cut-off.")})


class ScoringRun(TenantOwnedModel):
    class Trigger(models.TextChoices):
        MANUAL = "manual", _("by hand")
        SCHEDULE = "schedule", _("schedule")
        API = "api", _("API")

    policy = models.ForeignKey(ScoringPolicy, on_delete=models.PROTECT, related_name="runs")
    policy_snapshot = models.JSONField(default=dict)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    window_start = models.CharField(max_length=6, blank=True)
    window_end = models.CharField(max_length=6, blank=True)
    # The quarter the run was asked to end with ("": the latest complete one), and the
    # coverage of the window's end and of the newer quarters left out (scoring.Window).
    as_of = models.CharField(_("as of"), max_length=6, blank=True,
                             validators=[validate_period])
    coverage = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    customers_total = models.PositiveIntegerField(default=0)
    customers_scored = models.PositiveIntegerField(default=0)
    tier_counts = models.JSONField(default=dict)
    changes = models.PositiveIntegerField(_("tier changes"), default=0)
    # The facts of the tier cut every assessment of the run shares (method, n, n_A and n_B,
    # or the revenue cut-offs): stored once here, not in each breakdown.
    cut = models.JSONField(default=dict)
    # Past the retention period only the assessments that changed a tier are kept
    # (scoring.prune_assessments).
    pruned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # The target of the tenant-checking foreign keys (TierAssessment).
            models.UniqueConstraint(fields=["id", "tenant"], name="scoringrun_id_tenant"),
        ]
        verbose_name = _("scoring run")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.window_start}–{self.window_end})"

    @property
    def customers_unscored(self):
        return self.customers_total - self.customers_scored

    @property
    def window(self):
        """The window's quarters and coverage (scoring.Window.as_dict()), or None for a
        run made before they were recorded."""
        return self.coverage or None


class TierAssessment(TenantOwnedModel):
    """One customer's result in one scoring run, with the breakdown that explains it."""

    # A run inserts a row per customer, so every index and key check here counts:
    # - no single-column indexes: the unique (run, customer) and the (customer, run)
    #   index below serve both look-ups;
    # - on PostgreSQL the database checks (run, tenant) and (customer, tenant) against
    #   the run's and the customer's own (migration 0005): two checks per row instead of
    #   three, and an assessment can never name another tenant's run or customer.
    #   Django still cascades the deletes;
    # - no index on the tenant alone: every look-up names a run or a customer.
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+",
                               editable=False, db_constraint=False, db_index=False)
    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="assessments",
                            db_index=False, db_constraint=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="assessments", db_index=False,
                                 db_constraint=False)
    score = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    computed_tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    tier_source = models.CharField(max_length=10, blank=True)
    previous_tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_share = models.DecimalField(max_digits=7, decimal_places=6, default=0)
    # Compact, as the run writes a row per customer: {"values": [...], "normalised": [...]}
    # in the order of the run's weighted criteria (and "cumulative_share_before" for
    # value_share). scoring.breakdown_of() gives the full explanation.
    breakdown = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="assessment_unique"),
        ]
        indexes = [
            sync_index("assessment_sync"),
            models.Index(fields=["customer", "run"], name="assessment_customer_run"),
        ]
        verbose_name = _("tier assessment")

    def __str__(self):
        return f"{self.customer_id} {self.tier or '—'} ({self.run_id})"


class TierOverride(TenantOwnedModel):
    """An executive's pinned tier for a strategic account, with a reason and an expiry."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="overrides")
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices)
    reason = models.TextField(_("reason"))
    expires_on = models.DateField(_("expires on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tier override")
        indexes = [sync_index("tier_override_sync")]

    def __str__(self):
        return f"{self.customer_id} → {self.tier} until {self.expires_on}"


class Department(models.TextChoices):
    PURCHASING = "purchasing", _("Purchasing")
    ENGINEERING = "engineering", _("Engineering")
    QUALITY = "quality", _("Quality")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")
    MANAGEMENT = "management", _("Management")
    PRODUCTION = "production", _("Production")


class Level(models.TextChoices):
    EXECUTIVE = "executive", _("Executive")
    MIDDLE = "middle", _("Middle management")
    OPERATIONAL = "operational", _("Operational")


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    KEY_PERSON = "key_person", _("Key person")


class Attitude(models.IntegerChoices):
    OPPONENT = -2, _("Opponent")
    SCEPTIC = -1, _("Sceptical")
    NEUTRAL = 0, _("Neutral")
    FAVOURABLE = 1, _("Favourable")
    SUPPORTER = 2, _("Supporter")


class Contact(TenantOwnedModel):
    """A person at the customer, placed on the relationship map."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts",
                                 verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    decision_role = models.CharField(_("decision role"), max_length=20,
                                     choices=DecisionRole.choices, default=DecisionRole.USER)
    attitude = models.SmallIntegerField(_("attitude"), choices=Attitude.choices,
                                        null=True, blank=True,
                                        validators=bounds.between(*ATTITUDE_RANGE),
                                        help_text=_("Empty when unknown."))
    influence = models.PositiveSmallIntegerField(_("influence (1–5)"), default=3,
                                                 validators=RATING)
    strength = models.PositiveSmallIntegerField(_("relationship strength (1–5)"), default=3,
                                                validators=RATING)
    counterpart = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("our counterpart"))
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # What we write to them in (survey invitations); empty: the workspace's language.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                blank=True, help_text=_(
                                    "The language of the e-mails they get, such as survey "
                                    "invitations. Empty: the workspace's language."))
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = external_ids.field()

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["customer__name", "department", "level", "name"]
        constraints = [
            external_ids.unique_constraint("contact_unique_external_id"),
            bounds.check_between("attitude", *ATTITUDE_RANGE, name="contact_attitude_range"),
            bounds.check_between("influence", *RATING_RANGE, name="contact_influence_range"),
            bounds.check_between("strength", *RATING_RANGE, name="contact_strength_range"),
        ]
        verbose_name = _("contact")
        indexes = [sync_index("contact_sync")]

    def __str__(self):
        return f"{self.name} ({self.get_department_display()})"


class InteractionKind(models.TextChoices):
    EXECUTIVE_VISIT = "executive_visit", _("Executive visit")
    TECHNICAL_EXCHANGE = "technical_exchange", _("Technical exchange")
    PROJECT_MEETING = "project_meeting", _("Project meeting")
    BUSINESS_REVIEW = "business_review", _("Business review")
    ESCALATION = "escalation", _("Escalation")
    CALL = "call", _("Call")


class Interaction(TenantOwnedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="interactions", verbose_name=_("customer"))
    kind = models.CharField(_("type"), max_length=30, choices=InteractionKind.choices)
    occurred_on = models.DateField(_("date"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices,
                             default=Level.MIDDLE)
    our_people = models.ManyToManyField(settings.AUTH_USER_MODEL,
                                        through="InteractionParticipant", blank=True,
                                        related_name="+", verbose_name=_("our people"))
    contacts = models.ManyToManyField(Contact, through="InteractionContact", blank=True,
                                      related_name="interactions",
                                      verbose_name=_("their contacts"))
    summary = models.TextField(_("summary"))
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [
            sync_index("interaction_sync"),
            models.Index(fields=["tenant", "customer", "kind", "occurred_on"]),
        ]
        verbose_name = _("interaction")

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"


class InteractionParticipant(TenantOwnedModel):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interaction", "user"],
                                               name="participant_unique")]


class InteractionContact(TenantOwnedModel):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interaction", "contact"],
                                               name="interaction_contact_unique")]


class ServiceStandard(TenantOwnedModel):
    """The longest gap allowed between interactions of a type, per tier."""

    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices)
    kind = models.CharField(_("interaction type"), max_length=30,
                            choices=InteractionKind.choices)
    max_days = models.PositiveIntegerField(_("at most every (days)"),
                                           validators=bounds.between(*STANDARD_DAYS_RANGE))

    class Meta:
        ordering = ["tier", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tier", "kind"], name="standard_unique"),
            bounds.check_between("max_days", *STANDARD_DAYS_RANGE,
                                 name="standard_max_days_range"),
        ]
        verbose_name = _("service standard")

    def __str__(self):
        return f"{self.tier}: {self.get_kind_display()} ≤ {self.max_days} d"


class AccountPlan(TenantOwnedModel):
    """One customer, one year: targets, strategy and the initiatives to get there."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="plans",
                                 verbose_name=_("customer"))
    year = models.PositiveSmallIntegerField(_("year"), validators=bounds.between(*YEAR_RANGE))
    revenue_target = models.DecimalField(_("revenue target"), max_digits=16, decimal_places=2,
                                         validators=MONEY)
    share_target = models.DecimalField(_("supply share target %"), max_digits=5,
                                       decimal_places=2, null=True, blank=True,
                                       validators=PERCENT)
    strategy = models.TextField(_("strategy"), blank=True)
    focus_products = models.TextField(_("focus products"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["customer__name", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "year"],
                                    name="plan_unique_year"),
            bounds.check_between("year", *YEAR_RANGE, name="plan_year_range"),
            bounds.check_between("revenue_target", *MONEY_RANGE,
                                 name="plan_revenue_target_range"),
            bounds.check_between("share_target", *PERCENT_RANGE, name="plan_share_target_range"),
        ]
        verbose_name = _("account plan")
        indexes = [sync_index("account_plan_sync")]

    def __str__(self):
        return f"{self.customer} {self.year}"


class Initiative(TenantOwnedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="initiatives")
    title = models.CharField(_("initiative"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.PLANNED)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("initiative")
        indexes = [sync_index("initiative_sync")]

    def __str__(self):
        return self.title


class ImportJob(TenantOwnedModel):
    """An uploaded CSV/XLSX file of one import kind (customers, period figures, survey
    answers: kam.imports.kinds), from dry run to commit.

    The file's bytes live in the row itself, so they are scoped to the tenant like any
    other row. Rules: kam/imports/ and customers/import_jobs.py.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Checking")
        VALIDATED = "validated", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    # The name of a registered kind; the apps register theirs, so it has no fixed choices.
    kind = models.CharField(_("kind"), max_length=20)
    # What the kind needs besides the file (JSON), e.g. the survey campaign.
    options = models.JSONField(_("options"), default=dict, blank=True)
    original_filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4,
                                   choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    content = models.BinaryField(editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    # [{"row": spreadsheet line, "column": name or "", "message": stored message}], capped;
    # a message is a kam.messages dict (older jobs: plain text).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors found"), default=0)
    # What the dry run found the file would change (kam.imports.rows.ChangePreview:
    # new rows, changed fields old → new, capped), and for figures how many customers'
    # figures changed.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"])]
        verbose_name = _("import")

    def __str__(self):
        return f"{self.title}: {self.original_filename}"

    @property
    def title(self):
        """The kind as the pages name this job ("Survey answers 2026Q1")."""
        try:
            return kinds.get(self.kind).title(self.options or {})
        except LookupError:  # a kind no installed app registers any more
            return self.kind

    @property
    def is_busy(self):
        return self.status in (self.Status.UPLOADED, self.Status.RUNNING)
