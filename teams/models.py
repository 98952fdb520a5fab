"""Account teams: the team on a key account, its members (the iron triangle AR/SR/FR and
the supporting functions), quarterly reviews of the members and recognitions.

Invariants live here (`clean()`); use cases with side effects (the customer's owner
following the AR) live in `teams.services`; the triangle rule in `teams.triangle`; the
coefficient formula and the talent pool in `teams.coefficients`.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam import bounds
from kam.periods import PERIOD_RE, Quarter, period_bounds, validate_period
from kam.tenancy import TenantOwnedModel, sync_index
from records.history import track

SCORE_RANGE = (1, 5)
SCORE = bounds.between(*SCORE_RANGE)
PERCENT = bounds.between(0, 100)
COEFFICIENT = bounds.between(Decimal("0"), Decimal("1"))
# Up to 200 % for over-achievement.
ATTAINMENT_RANGE = (0, 200)
YEAR_RANGE = (bounds.MIN_YEAR, bounds.MAX_YEAR)
QUARTER_RANGE = (1, 4)


class TeamRole(models.TextChoices):
    AR = "AR", _("AR — account responsible (KAM)")
    SR = "SR", _("SR — solution responsible")
    FR = "FR", _("FR — fulfilment responsible")
    SALES = "sales", _("Sales")
    ENGINEERING = "engineering", _("Engineering")
    QUALITY = "quality", _("Quality")
    PROJECT = "project", _("Project management")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")


# The three corners of the iron triangle; one active member each at a time.
TRIANGLE_ROLES = (TeamRole.AR, TeamRole.SR, TeamRole.FR)


class ConstraintsCheckedInClean:
    """The database constraints of these models back up rules that `clean()` checks and
    reports on the right field; skip Django's generic, field-less constraint messages."""

    def validate_constraints(self, exclude=None):
        return None


class Team(ConstraintsCheckedInClean, TenantOwnedModel):
    """The account team on one customer (one team per customer)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="teams", verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=120, blank=True,
                            help_text=_("Optional; the customer's name is used when empty."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["customer__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer"], name="team_unique_customer"),
        ]
        verbose_name = _("account team")
        indexes = [sync_index("team_sync")]

    def __str__(self):
        return self.name or str(self.customer)

    def clean(self):
        super().clean()
        if self.customer_id is not None:
            others = Team.objects.filter(customer_id=self.customer_id)
            if self.pk is not None:
                others = others.exclude(pk=self.pk)
            if others.exists():
                raise ValidationError({"customer": _("This customer already has a team.")})


def active_on(day, prefix=""):
    """Q for membership rows active on `day` (started, and not ended before it)."""
    return (Q(**{f"{prefix}start_on__lte": day})
            & (Q(**{f"{prefix}end_on__isnull": True}) | Q(**{f"{prefix}end_on__gte": day})))


class TeamMember(ConstraintsCheckedInClean, TenantOwnedModel):
    """A person on an account team, with a role, an allocation and a period."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members",
                             verbose_name=_("team"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="team_memberships", verbose_name=_("person"))
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    allocation = models.PositiveSmallIntegerField(
        _("allocation %"), default=20, validators=PERCENT,
        help_text=_("Share of the person's working time spent on this account."))
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True,
                              help_text=_("Empty while the person is on the team."))
    notes = models.CharField(_("responsibilities"), max_length=300, blank=True)

    # Every change, who made it and from where (records.history).
    history = track()

    class Meta:
        ordering = ["team", "role", "start_on", "id"]
        constraints = [
            # Backstop for the rule in clean(): one open-ended AR, SR and FR per team.
            models.UniqueConstraint(
                fields=["tenant", "team", "role"],
                condition=Q(end_on__isnull=True, role__in=["AR", "SR", "FR"]),
                name="team_member_one_open_triangle_role"),
            models.CheckConstraint(condition=Q(allocation__lte=100),
                                   name="team_member_allocation_lte_100"),
            models.CheckConstraint(condition=Q(end_on__isnull=True)
                                   | Q(end_on__gte=models.F("start_on")),
                                   name="team_member_end_after_start"),
        ]
        indexes = [
            sync_index("team_member_sync"),
            models.Index(fields=["tenant", "user"]),
                   models.Index(fields=["tenant", "team", "role"])]
        verbose_name = _("team member")

    def __str__(self):
        return f"{self.user} ({self.role})"

    @property
    def is_triangle_role(self):
        return self.role in TRIANGLE_ROLES

    def is_active_on(self, day):
        return self.start_on <= day and (self.end_on is None or self.end_on >= day)

    def overlapping(self, queryset):
        """Rows of `queryset` (other than this one) whose period overlaps this one's."""
        rows = queryset.filter(Q(end_on__isnull=True) | Q(end_on__gte=self.start_on))
        if self.end_on is not None:
            rows = rows.filter(start_on__lte=self.end_on)
        return rows.exclude(pk=self.pk) if self.pk is not None else rows

    def clean(self):
        super().clean()
        errors = {}
        if self.start_on and self.end_on and self.end_on < self.start_on:
            errors["end_on"] = _("The end cannot be before the start.")
        elif self.team_id is not None and self.start_on:
            if self.role in TRIANGLE_ROLES:
                clash = self.overlapping(TeamMember.objects.filter(
                    team_id=self.team_id, role=self.role)).select_related("user").first()
                if clash is not None:
                    errors["role"] = _(
                        "The team already has an active %(role)s in this period: %(name)s "
                        "(from %(start)s). End that membership first."
                    ) % {"role": self.role, "name": clash.user, "start": clash.start_on}
            if self.user_id is not None and self.overlapping(TeamMember.objects.filter(
                    team_id=self.team_id, user_id=self.user_id)).exists():
                errors["user"] = _("This person is already on the team in this period.")
        if errors:
            raise ValidationError(errors)


class Review(ConstraintsCheckedInClean, TenantOwnedModel):
    """A team member's quarterly review: last quarter's objectives and their attainment,
    five dimension scores (1–5), the overall coefficient (0–1.0) and next quarter's
    objectives. The reviewer is the team's AR or the leader of the customer's region."""

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="reviews",
                               verbose_name=_("team member"))
    period = models.CharField(_("quarter"), max_length=6, validators=[validate_period],
                              help_text=_("The quarter reviewed, e.g. 2026Q3."))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("reviewer"))
    objectives = models.TextField(_("objectives set last quarter"), blank=True)
    attainment = models.PositiveSmallIntegerField(
        _("attainment %"), null=True, blank=True,
        validators=bounds.between(*ATTAINMENT_RANGE),
        help_text=_("How far last quarter's objectives were reached (100 = fully; up to "
                    "200 for over-achievement)."))
    business_results = models.PositiveSmallIntegerField(_("business results"),
                                                        validators=SCORE)
    customer_satisfaction = models.PositiveSmallIntegerField(_("customer satisfaction"),
                                                             validators=SCORE)
    project_delivery = models.PositiveSmallIntegerField(_("project delivery"),
                                                        validators=SCORE)
    collaboration = models.PositiveSmallIntegerField(_("collaboration"), validators=SCORE)
    capability_growth = models.PositiveSmallIntegerField(_("capability growth"),
                                                         validators=SCORE)
    coefficient = models.DecimalField(_("coefficient"), max_digits=3, decimal_places=2,
                                      validators=COEFFICIENT,
                                      help_text=_("Overall result, from 0 to 1.0."))
    next_objectives = models.TextField(_("objectives for next quarter"), blank=True)
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    DIMENSIONS = ["business_results", "customer_satisfaction", "project_delivery",
                  "collaboration", "capability_growth"]

    class Meta:
        ordering = ["-period", "member__team", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "member", "period"],
                                    name="review_unique_period"),
            models.CheckConstraint(condition=Q(coefficient__gte=0) & Q(coefficient__lte=1),
                                   name="review_coefficient_0_1"),
            bounds.check_between("attainment", *ATTAINMENT_RANGE,
                                 name="review_attainment_range"),
            *(bounds.check_between(field, *SCORE_RANGE, name=f"review_{field}_range")
              for field in ["business_results", "customer_satisfaction", "project_delivery",
                            "collaboration", "capability_growth"]),
        ]
        indexes = [models.Index(fields=["tenant", "period"])]
        verbose_name = _("quarterly review")

    def __str__(self):
        return f"{self.member} {self.period}"

    @property
    def year(self):
        return int(self.period[:4])

    def dimension_scores(self):
        return [(self._meta.get_field(name).verbose_name, getattr(self, name))
                for name in self.DIMENSIONS]

    def clean(self):
        super().clean()
        from . import permissions

        errors = {}
        if self.period and PERIOD_RE.match(self.period) and self.tenant_id is not None:
            start, _end = period_bounds(self.period)
            if start > self.tenant.today():
                errors["period"] = _("This quarter has not started yet; review it once it "
                                     "has begun.")
        if (self.member_id is not None and self.period and "period" not in errors
                and Review.objects.filter(member_id=self.member_id, period=self.period)
                .exclude(pk=self.pk).exists()):
            errors["period"] = _("This member already has a review for this quarter.")
        if self.member_id is not None and self.reviewer_id is not None:
            member = self.member
            if self.reviewer_id == member.user_id:
                errors["reviewer"] = _("Nobody reviews themselves; the team's AR or the "
                                       "region leader reviews.")
            elif not permissions.is_allowed_reviewer(self.reviewer_id, member.team,
                                                     self.period if "period" not in errors
                                                     and PERIOD_RE.match(self.period or "")
                                                     else None):
                errors["reviewer"] = _("The reviewer must be the team's AR or the leader of "
                                       "the customer's region.")
        if errors:
            raise ValidationError(errors)


class Recognition(ConstraintsCheckedInClean, TenantOwnedModel):
    """A quarterly award (to a person or a team) or the annual best team."""

    class Kind(models.TextChoices):
        QUARTERLY_AWARD = "quarterly_award", _("Quarterly award")
        BEST_TEAM = "annual_best_team", _("Annual best team")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"), validators=bounds.between(*YEAR_RANGE))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), null=True, blank=True, validators=bounds.between(*QUARTER_RANGE),
        help_text=_("For quarterly awards only."))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="recognitions", verbose_name=_("team"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="+", verbose_name=_("person"))
    citation = models.TextField(_("citation"), blank=True)
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("awarded by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-quarter", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "year"],
                                    condition=Q(kind="annual_best_team"),
                                    name="recognition_one_best_team_a_year"),
            bounds.check_between("year", *YEAR_RANGE, name="recognition_year_range"),
            bounds.check_between("quarter", *QUARTER_RANGE, name="recognition_quarter_range"),
        ]
        verbose_name = _("recognition")

    def __str__(self):
        who = self.team or self.user
        when = str(Quarter(self.year, self.quarter)) if self.quarter else str(self.year)
        return f"{self.get_kind_display()} {when}: {who}"

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == self.Kind.BEST_TEAM:
            if self.team_id is None:
                errors["team"] = _("Name the team.")
            if self.quarter is not None:
                errors["quarter"] = _("The annual best team has no quarter.")
            if self.user_id is not None:
                errors["user"] = _("The annual best team goes to a team, not a person.")
            if self.year and not errors:
                others = Recognition.objects.filter(kind=self.kind, year=self.year)
                if self.pk is not None:
                    others = others.exclude(pk=self.pk)
                if others.exists():
                    errors["year"] = _("This year's best team is already named.")
        elif self.kind == self.Kind.QUARTERLY_AWARD:
            if self.quarter is None:
                errors["quarter"] = _("Give the quarter of the award.")
            if self.team_id is None and self.user_id is None:
                errors["user"] = _("Name the person or the team.")
        if self.year and self.tenant_id is not None:
            today = self.tenant.today()
            if self.quarter and Quarter(self.year, self.quarter).start > today:
                errors.setdefault("quarter", _("This quarter has not started yet."))
            elif self.year > today.year:
                errors.setdefault("year", _("This year has not started yet."))
        if errors:
            raise ValidationError(errors)
