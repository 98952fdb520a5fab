"""APQP programmes: programmes per customer, their milestones and slip history, risks and
the PPAP package.

Models hold data and invariants that need nothing but the row itself (`clean()`); rules that
need "today", the tenant's settings or several rows live in `projects.services` (writes) and
`projects.rag` (the RAG colours).
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kam import bounds, codes
from kam.tenancy import TenantOwnedModel, sync_index
from records.history import track

# Business dates outside this range are typing errors (and would overflow date arithmetic).
MIN_DATE = date(1990, 1, 1)
MAX_DATE = date(2100, 12, 31)


def validate_business_date(value):
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s."),
            params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}, code="range")


def _date_field(verbose_name, **kwargs):
    return models.DateField(verbose_name, validators=[validate_business_date], **kwargs)


# --- settings and template ---------------------------------------------------------


SETTING_DAYS_RANGE = (0, bounds.MAX_SETTING_DAYS)
ESCALATION_DAYS_RANGE = (1, bounds.MAX_SETTING_DAYS)
OFFSET_DAYS_RANGE = (-bounds.MAX_DAYS, bounds.MAX_DAYS)
VOLUME_RANGE = (0, bounds.MAX_VEHICLES_A_YEAR)
MONEY_RANGE = (0, bounds.MAX_MONEY)
PPAP_LEVEL_RANGE = (1, 5)
PERCENT_RANGE = (0, 100)
RATING_RANGE = (1, 5)


class ProgrammeSettings(TenantOwnedModel):
    """A tenant's RAG settings (see `projects.rag`); a tenant without a row uses the
    defaults."""

    DEFAULT_TOLERANCE_DAYS = 7
    DEFAULT_DUE_SOON_DAYS = 14
    DEFAULT_ESCALATION_DAYS = 14

    tolerance_days = models.PositiveSmallIntegerField(
        _("slip tolerance (days)"), default=DEFAULT_TOLERANCE_DAYS,
        validators=bounds.between(*SETTING_DAYS_RANGE),
        help_text=_("A forecast later than the customer date by at most this many days is "
                    "amber; beyond it, red."))
    due_soon_days = models.PositiveSmallIntegerField(
        _("due-soon window (days)"), default=DEFAULT_DUE_SOON_DAYS,
        validators=bounds.between(*SETTING_DAYS_RANGE),
        help_text=_("A milestone due within this many days that has not started is amber."))
    escalation_days = models.PositiveSmallIntegerField(
        _("escalate red programmes after (days)"), default=DEFAULT_ESCALATION_DAYS,
        validators=bounds.between(*ESCALATION_DAYS_RANGE),
        help_text=_("A programme red for this many days is escalated to its region's "
                    "leader by the daily milestone reminders."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="programme_settings_one_per_tenant"),
            bounds.check_between("tolerance_days", *SETTING_DAYS_RANGE,
                                 name="programme_settings_tolerance_days_range"),
            bounds.check_between("due_soon_days", *SETTING_DAYS_RANGE,
                                 name="programme_settings_due_soon_days_range"),
            bounds.check_between("escalation_days", *ESCALATION_DAYS_RANGE,
                                 name="programme_settings_escalation_days_range"),
        ]
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    def __str__(self):
        return str(_("Programme settings"))


class MilestoneKind(models.TextChoices):
    RFQ_RECEIVED = "rfq_received", _("RFQ received")
    QUOTE_SUBMITTED = "quote_submitted", _("Quote submitted")
    NOMINATION = "nomination", _("Nomination")
    KICK_OFF = "kick_off", _("Kick-off")
    DESIGN_FREEZE = "design_freeze", _("Design freeze")
    TOOLING_KICK_OFF = "tooling_kick_off", _("Tooling kick-off")
    T0 = "t0", _("T0 tool trial")
    T1 = "t1", _("T1 tool trial")
    T2 = "t2", _("T2 tool trial")
    OTS = "ots", _("OTS samples")
    PPAP_SUBMISSION = "ppap_submission", _("PPAP submission")
    PPAP_APPROVAL = "ppap_approval", _("PPAP approval")
    RUN_AT_RATE = "run_at_rate", _("Run at rate")
    SOP = "sop", _("SOP")
    SAFE_LAUNCH_EXIT = "safe_launch_exit", _("Safe-launch exit")
    OTHER = "other", _("Other")


# Milestones that come before the nomination by nature: their forecast may precede it.
PRE_NOMINATION_KINDS = frozenset({
    MilestoneKind.RFQ_RECEIVED, MilestoneKind.QUOTE_SUBMITTED, MilestoneKind.NOMINATION,
})


class MilestoneTemplate(TenantOwnedModel):
    """One row of a tenant's milestone template: a kind and its default offset from SOP.

    Creating a programme makes one milestone per active row, planned at SOP + offset.
    The rows are validated together (`services.validate_template`).
    """

    kind = models.CharField(_("milestone"), max_length=30, choices=MilestoneKind.choices)
    offset_days = models.IntegerField(
        _("days from SOP"), validators=bounds.between(*OFFSET_DAYS_RANGE),
        help_text=_("Negative: before SOP; positive: after it."))
    is_active = models.BooleanField(_("used"), default=True)

    class Meta:
        ordering = ["offset_days", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="milestone_template_kind"),
            bounds.check_between("offset_days", *OFFSET_DAYS_RANGE,
                                 name="milestone_template_offset_days_range"),
        ]
        verbose_name = _("milestone template row")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.offset_days:+d})"


# --- programmes --------------------------------------------------------------------


class Stage(models.TextChoices):
    RFQ = "rfq", _("RFQ")
    QUOTED = "quoted", _("Quoted")
    NOMINATED = "nominated", _("Nominated")
    DEVELOPMENT = "development", _("Development")
    VALIDATION = "validation", _("Validation")
    LAUNCH = "launch", _("Launch")
    PRODUCTION = "production", _("Production")
    LOST = "lost", _("Lost")
    CLOSED = "closed", _("Closed")


CLOSED_STAGES = frozenset({Stage.LOST, Stage.CLOSED})
OPEN_STAGES = [value for value in Stage.values if value not in CLOSED_STAGES]


class Programme(codes.CodeIsIdentifier, TenantOwnedModel):
    code_taken_message = _("Another programme already has the code “%(code)s” (codes ignore case "
                           "and surrounding spaces).")

    """A customer's vehicle programme we quote for and, once nominated, develop to SOP."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="programmes",
        verbose_name=_("customer"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    vehicle = models.CharField(_("vehicle / platform"), max_length=120, blank=True)
    part_family = models.CharField(_("part family"), max_length=120, blank=True)
    annual_volume = models.PositiveIntegerField(_("annual volume (vehicles)"), null=True,
                                                blank=True,
                                                validators=bounds.between(*VOLUME_RANGE))
    lifetime_value = models.DecimalField(
        _("lifetime value"), max_digits=16, decimal_places=2, null=True, blank=True,
        validators=bounds.between(*MONEY_RANGE))
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("project manager"),
        help_text=_("Sales before the nomination, the project office after it."))
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices,
                             default=Stage.RFQ)
    nomination_date = _date_field(_("nomination date"), null=True, blank=True)
    sop_date = _date_field(_("SOP date"))
    ppap_level = models.PositiveSmallIntegerField(
        _("PPAP submission level"), default=3,
        validators=bounds.between(*PPAP_LEVEL_RANGE),
        help_text=_("1–5 (AIAG); decides which PPAP elements are submitted, retained or "
                    "given on request."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["sop_date", "code"]
        constraints = [
            # Codes are identifiers: unique ignoring case and surrounding spaces. The plain
            # key stays for upserts by code (ON CONFLICT names columns, not expressions).
            models.UniqueConstraint(fields=["tenant", "code"], name="programme_unique_code"),
            codes.unique_constraint("programme_unique_code_ci"),
            bounds.check_between("annual_volume", *VOLUME_RANGE,
                                 name="programme_annual_volume_range"),
            bounds.check_between("lifetime_value", *MONEY_RANGE,
                                 name="programme_lifetime_value_range"),
            bounds.check_between("ppap_level", *PPAP_LEVEL_RANGE,
                                 name="programme_ppap_level_range"),
        ]
        indexes = [
            sync_index("programme_sync"),
            models.Index(fields=["tenant", "stage", "sop_date"]),
        ]
        verbose_name = _("programme")

    def __str__(self):
        return f"{self.code} · {self.name}"

    @property
    def is_open(self):
        return self.stage not in CLOSED_STAGES

    def clean(self):
        super().clean()
        if self.nomination_date and self.sop_date and self.nomination_date > self.sop_date:
            raise ValidationError({"nomination_date": _(
                "The nomination cannot come after SOP.")})



class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Progress(models.IntegerChoices):
    NONE = 0, "0 %"
    QUARTER = 25, "25 %"
    HALF = 50, "50 %"
    THREE_QUARTERS = 75, "75 %"
    FULL = 100, "100 %"


class PswDisposition(models.TextChoices):
    APPROVED = "approved", _("Approved")
    INTERIM = "interim", _("Interim approval")
    REJECTED = "rejected", _("Rejected")


class Milestone(TenantOwnedModel):
    """One milestone of a programme: the customer's date (planned), our forecast and the
    actual date. Changes go through `projects.services`, which keeps the history."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="milestones", verbose_name=_("programme"))
    kind = models.CharField(_("milestone"), max_length=30, choices=MilestoneKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True,
                            help_text=_("Leave empty to use the milestone's standard name."))
    planned_date = _date_field(_("customer date"),
                               help_text=_("The date the customer expects (planned)."))
    forecast_date = _date_field(_("forecast"), null=True, blank=True,
                                help_text=_("Our current best estimate."))
    actual_date = _date_field(_("actual date"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=20, choices=MilestoneStatus.choices,
                              default=MilestoneStatus.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(_("progress"), choices=Progress.choices,
                                                default=Progress.NONE)
    psw_disposition = models.CharField(
        _("PSW disposition"), max_length=20, choices=PswDisposition.choices, blank=True,
        help_text=_("The customer's decision on the part submission warrant (PPAP approval "
                    "milestone only)."))
    psw_interim_expires_on = _date_field(_("interim approval expires"), null=True,
                                         blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["planned_date", "id"]
        indexes = [
            sync_index("milestone_sync"),
            models.Index(fields=["tenant", "programme", "planned_date"]),
            models.Index(fields=["tenant", "status", "planned_date"]),
        ]
        constraints = [
            bounds.check_between("progress", *PERCENT_RANGE, name="milestone_progress_range"),
        ]
        verbose_name = _("milestone")

    def __str__(self):
        return self.label

    @property
    def label(self):
        return self.name or self.get_kind_display()

    @property
    def kind_label(self):
        """The label as a message keeps it: a given name as it is, else the kind's label
        still to translate (lazy), for text read later in another language."""
        return self.name or MilestoneKind(self.kind).label

    @property
    def is_done(self):
        return self.status == MilestoneStatus.DONE

    def clean(self):
        super().clean()
        errors = {}
        if self.status == MilestoneStatus.DONE and self.actual_date is None:
            errors["actual_date"] = _("A done milestone needs its actual date.")
        if self.actual_date is not None and self.status != MilestoneStatus.DONE:
            errors["status"] = _("A milestone with an actual date is done: set the status "
                                 "to done, or clear the actual date.")
        if self.status == MilestoneStatus.DONE and self.progress != Progress.FULL:
            errors["progress"] = _("A done milestone is at 100 %.")
        if self.status == MilestoneStatus.NOT_STARTED and self.progress not in (0, None):
            errors["progress"] = _("A milestone that has not started is at 0 %; set it in "
                                   "progress first.")
        if self.kind != MilestoneKind.PPAP_APPROVAL:
            if self.psw_disposition:
                errors["psw_disposition"] = _("Only the PPAP approval milestone has a PSW "
                                              "disposition.")
        elif self.psw_disposition and self.status != MilestoneStatus.DONE:
            errors["psw_disposition"] = _("Record the PSW disposition when the PPAP approval "
                                          "is done (with its actual date).")
        if self.psw_disposition == PswDisposition.INTERIM:
            if self.psw_interim_expires_on is None:
                errors["psw_interim_expires_on"] = _("An interim approval needs its expiry "
                                                     "date.")
            elif self.actual_date and self.psw_interim_expires_on <= self.actual_date:
                errors["psw_interim_expires_on"] = _("The interim approval must expire after "
                                                     "it was given.")
        elif self.psw_interim_expires_on is not None:
            errors["psw_interim_expires_on"] = _("Only an interim approval has an expiry "
                                                 "date.")
        if errors:
            raise ValidationError(errors)


class MilestoneChange(TenantOwnedModel):
    """One changed field of a milestone: the slip history (who, when, from, to, why)."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE,
                                  related_name="changes", verbose_name=_("milestone"))
    field = models.CharField(_("field"), max_length=40)
    old_value = models.CharField(_("from"), max_length=40, blank=True)
    new_value = models.CharField(_("to"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["tenant", "milestone", "changed_at"])]
        verbose_name = _("milestone change")

    def __str__(self):
        return f"{self.field}: {self.old_value or '—'} → {self.new_value or '—'}"

    @property
    def field_label(self):
        try:
            return Milestone._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:
            return self.field

    def _display(self, value):
        if not value:
            return "—"
        try:
            field = Milestone._meta.get_field(self.field)
        except FieldDoesNotExist:
            return value
        if field.choices:
            return {str(k): v for k, v in field.flatchoices}.get(value, value)
        if isinstance(field, models.DateField):
            try:
                return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
            except ValueError:
                return value
        return value

    @property
    def old_display(self):
        return self._display(self.old_value)

    @property
    def new_display(self):
        return self._display(self.new_value)


# --- risks ---------------------------------------------------------------------------


class RiskCategory(models.TextChoices):
    TECHNICAL = "technical", _("Technical")
    CAPACITY = "capacity", _("Capacity")
    SUPPLY_CHAIN = "supply_chain", _("Supply chain")
    QUALITY = "quality", _("Quality")
    COMMERCIAL = "commercial", _("Commercial")


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Mitigating")
    CLOSED = "closed", _("Closed")


ONE_TO_FIVE = bounds.between(*RATING_RANGE)


class Risk(TenantOwnedModel):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="risks",
                                  verbose_name=_("programme"))
    title = models.CharField(_("risk"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=RiskCategory.choices)
    probability = models.PositiveSmallIntegerField(
        _("probability (1–5)"), validators=ONE_TO_FIVE,
        help_text=_("1 = rare, 5 = almost certain."))
    impact = models.PositiveSmallIntegerField(
        _("impact (1–5)"), validators=ONE_TO_FIVE,
        help_text=_("1 = negligible, 5 = stops the launch."))
    score = models.PositiveSmallIntegerField(_("score"), editable=False, default=1)
    mitigation = models.TextField(_("mitigation"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    due_date = _date_field(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RiskStatus.choices,
                              default=RiskStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "due_date", "id"]
        constraints = [
            bounds.check_between("probability", *RATING_RANGE, name="risk_probability_range"),
            bounds.check_between("impact", *RATING_RANGE, name="risk_impact_range"),
        ]
        verbose_name = _("risk")
        indexes = [sync_index("risk_sync")]

    def __str__(self):
        return self.title

    @property
    def level(self):
        """low (score ≤ 4), medium (5–12) or high (≥ 15)."""
        return risk_level(self.score)

    def save(self, *args, **kwargs):
        self.score = (self.probability or 0) * (self.impact or 0)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "score"}
        super().save(*args, **kwargs)


def risk_level(score):
    if score >= 15:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


# --- PPAP ----------------------------------------------------------------------------


class PpapRequirement(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    RETAIN = "retain", _("Retain")
    ON_REQUEST = "on_request", _("Submit on request")


class PpapElementKind(models.IntegerChoices):
    DESIGN_RECORDS = 1, _("Design records")
    ENGINEERING_CHANGES = 2, _("Engineering change documents")
    CUSTOMER_ENGINEERING_APPROVAL = 3, _("Customer engineering approval")
    DFMEA = 4, _("Design FMEA")
    PROCESS_FLOW = 5, _("Process flow diagrams")
    PFMEA = 6, _("Process FMEA")
    CONTROL_PLAN = 7, _("Control plan")
    MSA = 8, _("Measurement system analysis studies")
    DIMENSIONAL_RESULTS = 9, _("Dimensional results")
    TEST_RESULTS = 10, _("Material / performance test results")
    INITIAL_PROCESS_STUDIES = 11, _("Initial process studies")
    LAB_DOCUMENTATION = 12, _("Qualified laboratory documentation")
    AAR = 13, _("Appearance approval report")
    SAMPLE_PARTS = 14, _("Sample production parts")
    MASTER_SAMPLE = 15, _("Master sample")
    CHECKING_AIDS = 16, _("Checking aids")
    CUSTOMER_SPECIFIC = 17, _("Customer-specific requirements")
    PSW = 18, _("Part submission warrant (PSW)")


_S, _R, _Q = PpapRequirement.SUBMIT, PpapRequirement.RETAIN, PpapRequirement.ON_REQUEST

# The AIAG PPAP retention/submission table (4th edition), levels 1–5 per element:
# S = submit to the customer and retain a copy, R = retain and make available on request,
# * (here ON_REQUEST) = retain and submit to the customer on request.
PPAP_LEVEL_TABLE = {
    PpapElementKind.DESIGN_RECORDS: (_R, _S, _S, _Q, _R),
    PpapElementKind.ENGINEERING_CHANGES: (_R, _S, _S, _Q, _R),
    PpapElementKind.CUSTOMER_ENGINEERING_APPROVAL: (_R, _R, _S, _Q, _R),
    PpapElementKind.DFMEA: (_R, _R, _S, _Q, _R),
    PpapElementKind.PROCESS_FLOW: (_R, _R, _S, _Q, _R),
    PpapElementKind.PFMEA: (_R, _R, _S, _Q, _R),
    PpapElementKind.CONTROL_PLAN: (_R, _R, _S, _Q, _R),
    PpapElementKind.MSA: (_R, _R, _S, _Q, _R),
    PpapElementKind.DIMENSIONAL_RESULTS: (_R, _S, _S, _Q, _R),
    PpapElementKind.TEST_RESULTS: (_R, _S, _S, _Q, _R),
    PpapElementKind.INITIAL_PROCESS_STUDIES: (_R, _R, _S, _Q, _R),
    PpapElementKind.LAB_DOCUMENTATION: (_R, _S, _S, _Q, _R),
    PpapElementKind.AAR: (_S, _S, _S, _Q, _R),
    PpapElementKind.SAMPLE_PARTS: (_R, _S, _S, _Q, _R),
    PpapElementKind.MASTER_SAMPLE: (_R, _R, _R, _Q, _R),
    PpapElementKind.CHECKING_AIDS: (_R, _R, _R, _Q, _R),
    PpapElementKind.CUSTOMER_SPECIFIC: (_R, _R, _S, _Q, _R),
    PpapElementKind.PSW: (_S, _S, _S, _S, _R),
}


def ppap_requirement(element, level):
    """What level `level` (1–5) asks of PPAP element `element` (1–18)."""
    return PPAP_LEVEL_TABLE[PpapElementKind(element)][int(level) - 1]


class PpapElementStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    READY = "ready", _("Ready")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class PpapElement(TenantOwnedModel):
    """One of the 18 PPAP elements of a programme; what is due for it follows from the
    programme's submission level (`requirement`)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="ppap_elements", verbose_name=_("programme"))
    element = models.PositiveSmallIntegerField(_("element"), choices=PpapElementKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=PpapElementStatus.choices,
                              default=PpapElementStatus.NOT_STARTED)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme_id", "element"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "programme", "element"],
                                    name="ppap_element_unique"),
        ]
        verbose_name = _("PPAP element")
        indexes = [sync_index("ppap_element_sync")]

    def __str__(self):
        return self.get_element_display()

    @property
    def requirement(self):
        return ppap_requirement(self.element, self.programme.ppap_level)

    def get_requirement_display(self):
        return PpapRequirement(self.requirement).label
