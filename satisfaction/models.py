"""Satisfaction surveys and the OPL (open point list): the data and its invariants.

Rules live in modules of their own: the satisfaction index in `satisfaction.index`, the
OPL's status flow, stale/overdue and low-score proposals in `satisfaction.opl`; the use
cases in `services` (writes) and `selectors` (reads).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Department
from kam import bounds, messages
from kam.periods import Quarter
from kam.tenancy import TenantOwnedModel, sync_index

SCALE_MIN = 1
NPS_MIN, NPS_MAX = 0, 10
WEIGHT_RANGE = (Decimal("0.01"), Decimal("100"))
# A question's place in its template; more questions than this is no survey.
POSITION_RANGE = (0, 999)
SHARE_RANGE = (Decimal("0"), Decimal("1"))
YEAR_RANGE = (bounds.MIN_YEAR, bounds.MAX_YEAR)
QUARTER_RANGE = (1, 4)
PERCENT_RANGE = (0, 100)


class Dimension(models.TextChoices):
    QUALITY = "quality", _("Quality")
    DELIVERY = "delivery", _("Delivery")
    COST = "cost", _("Cost")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    SERVICE = "service", _("Service and responsiveness")
    COMMUNICATION = "communication", _("Communication")


class Language(models.TextChoices):
    EN = "en", "English"
    ZH = "zh-hans", "简体中文"


def validate_departments(value):
    if (not isinstance(value, list) or not value
            or any(v not in Department.values for v in value)):
        raise ValidationError(
            _("Choose one or more of: %(options)s.") % {"options": ", ".join(Department.values)},
            code="departments")


class SurveyTemplate(TenantOwnedModel):
    """A questionnaire: questions by dimension, each for some customer departments."""

    class Scale(models.IntegerChoices):
        FIVE = 5, _("1–5")
        TEN = 10, _("1–10")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    scale_max = models.PositiveSmallIntegerField(_("scale"), choices=Scale.choices,
                                                 default=Scale.FIVE)
    ask_recommend = models.BooleanField(
        _("ask would-recommend (0–10)"), default=True,
        help_text=_("Adds the B2B NPS question: how likely are you to recommend us?"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"],
                                    name="survey_template_unique_name"),
            # The values of Scale (not in scope in Meta).
            bounds.RangeCheck(condition=models.Q(scale_max__in=[5, 10]),
                              name="survey_template_scale_max_choices"),
        ]
        verbose_name = _("survey template")

    def __str__(self):
        return self.name

    @property
    def scale_min(self):
        return SCALE_MIN


class Question(TenantOwnedModel):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE,
                                 related_name="questions", verbose_name=_("template"))
    code = models.SlugField(_("code"), max_length=20,
                            help_text=_("Short key, used as the column name in imports."))
    dimension = models.CharField(_("dimension"), max_length=30, choices=Dimension.choices)
    text_en = models.CharField(_("question (English)"), max_length=300)
    text_zh = models.CharField(_("question (简体中文)"), max_length=300, blank=True)
    departments = models.JSONField(_("departments"), default=list,
                                   validators=[validate_departments],
                                   help_text=_("The customer departments that answer it."))
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1,
                                 validators=bounds.between(*WEIGHT_RANGE))
    is_required = models.BooleanField(_("answer required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0,
                                                validators=bounds.between(*POSITION_RANGE))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "template", "code"],
                                    name="question_unique_code"),
            bounds.check_between("weight", *WEIGHT_RANGE, name="question_weight_range"),
            bounds.check_between("position", *POSITION_RANGE, name="question_position_range"),
        ]
        verbose_name = _("question")

    def __str__(self):
        return f"{self.code}: {self.text_en}"

    def text(self, language):
        if language and language.startswith("zh") and self.text_zh:
            return self.text_zh
        return self.text_en

    def clean(self):
        super().clean()
        validate_departments(self.departments)


class SatisfactionSettings(TenantOwnedModel):
    """A tenant's satisfaction settings (no row: the defaults)."""

    DEFAULT_INTERIM_SHARE = Decimal("0.75")

    # An open campaign stands for the quarter (on the dashboard, in health and the
    # movers) once this share of its invitations is answered; until then, the latest
    # closed one does (satisfaction.selectors.reported_campaign).
    interim_share = models.DecimalField(
        _("use an open campaign once this share of its invitations is answered"),
        max_digits=4, decimal_places=3, default=DEFAULT_INTERIM_SHARE,
        validators=bounds.between(*SHARE_RANGE))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="satisfaction_settings_unique"),
            bounds.check_between("interim_share", *SHARE_RANGE,
                                 name="satisfaction_settings_interim_share_range"),
        ]
        verbose_name = _("satisfaction settings")
        verbose_name_plural = _("satisfaction settings")

    def __str__(self):
        return f"{self.tenant_id}: {self.interim_share}"


class Campaign(TenantOwnedModel):
    """One quarter's survey round: draft → open → closed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    year = models.PositiveSmallIntegerField(_("year"), validators=bounds.between(*YEAR_RANGE))
    quarter = models.PositiveSmallIntegerField(_("quarter"),
                                               validators=bounds.between(*QUARTER_RANGE))
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT,
                                 related_name="campaigns", verbose_name=_("template"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    closes_on = models.DateField(_("closes on"),
                                 help_text=_("Invitation links expire at the end of this day."))
    customers = models.ManyToManyField("customers.Customer", through="CampaignCustomer",
                                       related_name="+", blank=True,
                                       verbose_name=_("customers"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "year", "quarter"],
                                    name="campaign_unique_quarter"),
            bounds.check_between("year", *YEAR_RANGE, name="campaign_year_range"),
            bounds.check_between("quarter", *QUARTER_RANGE, name="campaign_quarter_range"),
        ]
        verbose_name = _("campaign")
        indexes = [sync_index("campaign_sync")]

    def __str__(self):
        return self.period

    @property
    def period(self):
        return str(Quarter(self.year, self.quarter))

    @property
    def period_index(self):
        return Quarter(self.year, self.quarter).index


class CampaignCustomer(TenantOwnedModel):
    """A customer included in a campaign (the editable list; default A and B tiers)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="inclusions")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"],
                                               name="campaign_customer_unique")]


class Survey(TenantOwnedModel):
    """One customer's survey in one campaign; its scale is fixed when the campaign opens."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="surveys",
                                 verbose_name=_("campaign"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="surveys", verbose_name=_("customer"))
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+")
    scale_max = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "customer__name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"],
                                               name="survey_unique_customer")]
        verbose_name = _("survey")
        indexes = [sync_index("survey_sync")]

    def __str__(self):
        return f"{self.customer_id} {self.campaign_id}"


class Invitation(TenantOwnedModel):
    """A department's link to its survey. Only the SHA-256 of the token is stored."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations",
                               verbose_name=_("survey"))
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("contact"))
    language = models.CharField(_("language"), max_length=10, choices=Language.choices,
                                default=Language.EN)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "department"]
        constraints = [models.UniqueConstraint(fields=["survey", "department"],
                                               name="invitation_unique_department")]
        verbose_name = _("invitation")

    def __str__(self):
        return f"{self.survey_id} {self.department}"


class Response(TenantOwnedModel):
    """One department's answers to one survey: online (by link) or entered by staff."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online (invitation link)")
        AGENCY = "agency", _("Outside agency")
        STAFF = "staff", _("Entered by staff")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses",
                               verbose_name=_("survey"))
    invitation = models.OneToOneField(Invitation, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="response")
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.ONLINE)
    respondent = models.CharField(_("respondent"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices,
                                default=Language.EN)
    recommend = models.PositiveSmallIntegerField(
        _("would recommend (0–10)"), null=True, blank=True,
        validators=bounds.between(NPS_MIN, NPS_MAX))
    comment = models.TextField(_("comment"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("entered by"))
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "department"],
                                    name="response_unique_department"),
            bounds.check_between("recommend", NPS_MIN, NPS_MAX, name="response_recommend_range"),
        ]
        verbose_name = _("response")
        indexes = [sync_index("response_sync")]

    def __str__(self):
        return f"{self.survey_id} {self.department}"


class Answer(TenantOwnedModel):
    """One scored question; weight, dimension and scale are copied from the question and
    the survey, so later template edits never rewrite history."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    dimension = models.CharField(max_length=30, choices=Dimension.choices)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    score = models.PositiveSmallIntegerField()
    scale_min = models.PositiveSmallIntegerField(default=SCALE_MIN)
    scale_max = models.PositiveSmallIntegerField(default=5)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["response", "question__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique"),
            models.CheckConstraint(condition=models.Q(score__gte=models.F("scale_min"),
                                                      score__lte=models.F("scale_max")),
                                   name="answer_score_on_scale"),
        ]
        verbose_name = _("answer")

    def __str__(self):
        return f"{self.question_id}={self.score}"


# --- OPL ------------------------------------------------------------------------------


class GeneratedText(models.Model):
    """A title and description that a rule wrote (a low survey answer proposes an item),
    kept as stored messages as well (kam.messages): while nobody has edited them, each
    reader sees them in their own language. `title` and `description` hold them as
    written, in the workspace's language."""

    generated = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def set_generated(self, *, title, description):
        """Write `title` (a stored message) and `description` (a list of them, one a
        line) in the active language, and keep the messages."""
        self.title = messages.render(title)[:200]
        self.description = "\n".join(messages.render(line) for line in description)
        self.generated = {"title": {"message": title, "as_written": self.title},
                          "description": {"message": description,
                                          "as_written": self.description}}

    def _shown(self, name):
        stored = (self.generated or {}).get(name)
        if not stored or getattr(self, name) != stored["as_written"]:
            return getattr(self, name)  # not generated, or edited since
        message = stored["message"]
        if isinstance(message, list):
            return "\n".join(messages.render(line) for line in message)
        return messages.render(message)

    @property
    def title_text(self):
        """The title in the active language (as typed if someone edited it)."""
        return self._shown("title")

    @property
    def description_text(self):
        return self._shown("description")

    @property
    def title_message(self):
        """The title as a message parameter: the stored message while it is unedited."""
        stored = (self.generated or {}).get("title")
        if stored and self.title == stored["as_written"]:
            return stored["message"]
        return self.title


class OplItem(GeneratedText, TenantOwnedModel):
    """An open point: something the customer raised that we owe them, tracked to closure."""

    class Source(models.TextChoices):
        SURVEY = "survey", _("Survey answer")
        MEETING = "meeting", _("Meeting")
        VISIT = "visit", _("Visit")
        AUDIT = "audit", _("Audit")
        HEALTH = "health", _("Health drop")
        OTHER = "other", _("Other")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")
        VERIFIED = "verified", _("Verified")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="opl_items", verbose_name=_("customer"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.OTHER)
    answer = models.ForeignKey(Answer, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="opl_items", verbose_name=_("survey answer"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    department = models.CharField(_("customer department"), max_length=20,
                                  choices=Department.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                default=Priority.MEDIUM)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    accountable = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("accountable KAM"))
    opened_on = models.DateField(_("opened on"))
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.OPEN)
    status_reason = models.TextField(_("reason (blocked / cancelled)"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    action = models.TextField(_("action"), blank=True)
    verification = models.TextField(_("verification"), blank=True)
    progress = models.PositiveSmallIntegerField(_("Done (%)"), default=0,
                                                validators=bounds.between(*PERCENT_RANGE))
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("verified by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_on = models.DateField(_("done on"), null=True, blank=True)
    # The last progress update (or creation): what "stale" is measured from.
    last_update_at = models.DateTimeField(_("last update"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            sync_index("opl_item_sync"),
            models.Index(fields=["tenant", "status", "due_date"]),
            models.Index(fields=["tenant", "customer", "status"]),
            models.Index(fields=["tenant", "owner", "status"]),
        ]
        constraints = [
            bounds.check_between("progress", *PERCENT_RANGE, name="opl_item_progress_range"),
        ]
        verbose_name = _("OPL item")

    def __str__(self):
        return self.title


class OplUpdate(TenantOwnedModel):
    """An entry of an item's log: a progress note, % done, and any status change."""

    item = models.ForeignKey(OplItem, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("author"))
    note = models.TextField(_("note"))
    progress = models.PositiveSmallIntegerField(_("Done (%)"),
                                                validators=bounds.between(*PERCENT_RANGE))
    status_from = models.CharField(max_length=20, choices=OplItem.Status.choices, blank=True)
    status_to = models.CharField(max_length=20, choices=OplItem.Status.choices, blank=True)
    created_at = models.DateTimeField(_("date"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "item", "created_at"])]
        constraints = [
            bounds.check_between("progress", *PERCENT_RANGE, name="opl_update_progress_range"),
        ]
        verbose_name = _("progress update")

    def __str__(self):
        return f"{self.item_id} {self.progress}%"


class OplProposal(GeneratedText, TenantOwnedModel):
    """A rule's suggestion of an OPL item, for the KAM to accept or dismiss: a low survey
    answer's (`answer`), or a drop of the account's health band in a week (`week`, the
    Monday of the week whose snapshot dropped; one proposal per customer and week)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    class Source(models.TextChoices):
        SURVEY = "survey", _("Survey answer")
        HEALTH = "health", _("Health drop")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.SURVEY)
    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="proposal",
                                  null=True, blank=True)
    week = models.DateField(_("week"), null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")
    department = models.CharField(max_length=20, choices=Department.choices, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    item = models.ForeignKey(OplItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "week"],
                                    condition=Q(week__isnull=False),
                                    name="opl_proposal_one_per_week"),
        ]
        verbose_name = _("OPL proposal")

    def __str__(self):
        return self.title
