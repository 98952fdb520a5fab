"""API serializers for customers: field lists, types and tenant checks, nothing more.

Rules stay where they live: a model's `clean()` (its invariants), `customers.services`
(writes with side effects) and `customers.scoring`. Foreign keys to tenant-owned rows are
scoped to the request's tenant by the models' default managers, so another tenant's id is
"Invalid pk" (400, naming the field); user foreign keys accept active members of the
tenant only.
"""

import math

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.models import User
from accounts.selectors import KAM, WORK
from kam.serializers import (  # noqa: F401 -- the customers API's names for the shared bases
    AssignableMemberField,
    ChoiceOrNullField,
    PeriodField,
    ShowsUpdatedAt,
    TenantMemberField,
    TenantModelSerializer,
    drf_errors,
)

from . import scoring, services
from .models import (
    AccountPlan,
    Contact,
    Customer,
    Initiative,
    Interaction,
    PainPoint,
    PeriodFigure,
    Region,
    ScoringPolicy,
    ScoringRun,
    ServiceStandard,
    Technology,
    Tier,
    TierAssessment,
    TierOverride,
)
from .services import FIGURE_FIELDS

# Rows one `POST customer-figures/bulk/` may carry.
MAX_BULK_ROWS = 20_000

TIER_SOURCES = [("computed", "computed"), ("override", "override")]


# A pattern, not an enum: an enum of the same choices under several field names makes
# drf-spectacular warn (and `check --deploy` fail).
@extend_schema_field({"type": "string", "pattern": "^[ABC]?$",
                      "description": 'Tier "A", "B" or "C"; "" when there is none.'})
class TierOrBlankField(serializers.ChoiceField):
    """A read-only tier that may be blank (no figures in the scoring window)."""

    def __init__(self, **kwargs):
        super().__init__(choices=[*Tier.choices, ("", "")], read_only=True, **kwargs)


@extend_schema_serializer(description=(
    "A sales region, with the member who leads it."))
class RegionSerializer(TenantModelSerializer):
    unique_messages = {"region_unique_code": ("code", gettext_lazy(
        "A region with this code already exists."))}

    class Meta:
        model = Region
        fields = ["id", "name", "code", "leader"]


def _unique_choices(values):
    return list(dict.fromkeys(values))


@extend_schema_serializer(description=(
    "A customer account: its code, name, tier and where the tier comes from, lifecycle "
    "stage, owner and region."))
class CustomerSerializer(TenantModelSerializer):
    tier = TierOrBlankField()
    tier_source = ChoiceOrNullField(
        choices=TIER_SOURCES, read_only=True,
        help_text=gettext_lazy('"computed" (from the last scoring run), "override" (pinned by '
                               'an executive) or null (no tier).'))
    technology_roadmap = serializers.ListField(
        child=serializers.ChoiceField(choices=Technology.choices), required=False,
        help_text=gettext_lazy("Technologies on the customer's roadmap."))
    pain_points = serializers.ListField(
        child=serializers.ChoiceField(choices=PainPoint.choices), required=False,
        help_text=gettext_lazy("The customer's pain points."))
    owner = AssignableMemberField(for_=KAM, allow_null=True, required=False,
                                  help_text=gettext_lazy(
                                      "The key account manager responsible for this customer."))

    unique_messages = {"customer_unique_code": ("code", gettext_lazy(
        "A customer with this code already exists."))}

    class Meta:
        model = Customer
        fields = [
            "id", "code", "name", "tier", "tier_source", "lifecycle_stage", "owner", "region",
            "score", "parent", "segment", "country", "city", "is_active", "positioning",
            "platform_plans", "technology_roadmap", "pain_points", "notes", "created_at",
            "updated_at",
        ]
        read_only_fields = ["score", "created_at", "updated_at"]

    def validate_technology_roadmap(self, value):
        return _unique_choices(value)

    def validate_pain_points(self, value):
        return _unique_choices(value)


@extend_schema_serializer(description=(
    "A tier pinned by an executive for a customer, with its reason, expiry and whether it "
    "is still in force."))
class TierOverrideSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    in_force = serializers.SerializerMethodField(
        help_text=gettext_lazy("Not ended and not expired: it decides the customer's tier."))

    class Meta:
        model = TierOverride
        fields = ["id", "customer", "tier", "reason", "expires_on", "created_by", "created_at",
                  "ended_at", "ended_by", "in_force"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_in_force(self, override):
        today = self.context.get("today")
        return override.ended_at is None and (today is None or override.expires_on >= today)


@extend_schema_serializer(description=(
    "The tier to pin on a customer, why, and until when."))
class TierOverrideInputSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    reason = serializers.CharField(max_length=2000)
    expires_on = serializers.DateField(
        help_text=gettext_lazy("Last day the override is in force (today or later)."))


@extend_schema_serializer(description=(
    "A customer's figures for one quarter: revenue, supply share, margin, payment days, "
    "cost to serve and delivery quality."))
class PeriodFigureSerializer(TenantModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    period = PeriodField()

    unique_messages = {"figure_unique_period": ("period", gettext_lazy(
        "This customer already has figures for this period."))}

    class Meta:
        model = PeriodFigure
        fields = ["id", "customer", "customer_code", "period", *FIGURE_FIELDS, "external_id",
                  "updated_at"]
        read_only_fields = ["updated_at"]


@extend_schema_serializer(description=(
    "One row of a bulk figures upload: a customer's figures for one quarter, named by "
    "customer code and period."))
class FigureBulkRowSerializer(serializers.ModelSerializer):
    """One row of a bulk upload: the customer's code, the quarter and any figures.

    A figure left out keeps its stored value (or stays empty on a new row); `null`
    clears it. Revenue is required for a new row.
    """

    customer_code = serializers.CharField(max_length=30)
    period = PeriodField()

    class Meta:
        model = PeriodFigure
        fields = ["customer_code", "period", *FIGURE_FIELDS, "external_id"]
        extra_kwargs = {name: {"required": False, "allow_null": True} for name in FIGURE_FIELDS}


@extend_schema_serializer(description=(
    "Whether the uploaded figures changed what scoring would see, and where to start a "
    "run."))
class RescoringAdviceSerializer(serializers.Serializer):
    advised = serializers.BooleanField(help_text=gettext_lazy(
        "Whether the upload changed figures that a scoring run has not seen yet: tiers "
        "follow the figures only once customers are re-scored."))
    customers_changed = serializers.IntegerField(help_text=gettext_lazy(
        "Customers with a new figure row or a changed value."))
    url = serializers.CharField(help_text=gettext_lazy(
        "Where to start a scoring run: POST to it (administrators and executives)."))


@extend_schema_serializer(description=(
    "What a bulk figures upload wrote, and whether a scoring run is advised."))
class FigureBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rescoring = RescoringAdviceSerializer()


@extend_schema_serializer(description=(
    "One problem of a bulk figures upload: the row (1-based; null for the upload as a "
    "whole), the field and the message."))
class FigureBulkRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy("1-based position of the row in the list; null when the error "
                               "is about the whole body."))
    field = serializers.CharField()
    message = serializers.CharField()


@extend_schema_serializer(description=(
    "Why a bulk figures upload was refused: every problem, by row."))
class FigureBulkErrorsSerializer(serializers.Serializer):
    errors = FigureBulkRowErrorSerializer(many=True)


# --- scoring ------------------------------------------------------------------------

WEIGHTS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "number", "minimum": 0},
    "description": "Criterion name to weight (≥ 0); criteria: revenue, supply_share, "
    "gross_margin, payment_days, cost_to_serve, on_time_delivery, quality_ppm, "
    "market_influence, loyalty, strategic_fit.",
}


@extend_schema_field(WEIGHTS_SCHEMA)
class WeightsField(serializers.JSONField):
    pass


@extend_schema_serializer(description=(
    "A version of the workspace's scoring policy: the criteria and weights, the tier "
    "cut-offs and the scoring window."))
class ScoringPolicySerializer(TenantModelSerializer):
    weights = WeightsField(required=False)

    class Meta:
        model = ScoringPolicy
        fields = ["id", "version", "weights", "normalisation", "lookback_quarters", "method",
                  "a_share", "b_share", "a_revenue_cutoff", "b_revenue_cutoff",
                  "concentration_threshold", "coverage_share", "created_by", "created_at"]
        read_only_fields = ["version", "created_by", "created_at"]

    def validate_weights(self, value):
        # JSON numbers beyond float range parse as infinity; scoring.weight_errors (run
        # from the model's clean) judges everything else.
        if isinstance(value, dict) and any(
                isinstance(weight, float) and not math.isfinite(weight)
                for weight in value.values()):
            raise serializers.ValidationError(_("Weights must be finite numbers."))
        return value


@extend_schema_serializer(description=(
    "How many customers reported figures for a quarter, against how many are needed to "
    "use it."))
class QuarterCoverageSerializer(serializers.Serializer):
    period = serializers.CharField()
    reported = serializers.IntegerField(help_text=gettext_lazy(
        "Customers with figures in the quarter, of those with figures the quarter before."))
    expected = serializers.IntegerField(help_text=gettext_lazy(
        "Customers with figures the quarter before."))
    closed = serializers.BooleanField(help_text=gettext_lazy("Whether the quarter is over."))
    complete = serializers.BooleanField(help_text=gettext_lazy(
        "Over, and reported for the policy's coverage share of the expected customers."))


@extend_schema_serializer(description=(
    "The quarters a scoring run uses, and which later quarters are not used yet and why."))
class WindowSerializer(serializers.Serializer):
    """The quarters a scoring window spans and why it ends where it does."""

    periods = serializers.ListField(child=serializers.CharField(), help_text=gettext_lazy(
        "The quarters used, oldest first; empty when there are no figures."))
    as_of = serializers.CharField(help_text=gettext_lazy(
        "The quarter the run was asked to end with; empty: the latest complete one."))
    end = QuarterCoverageSerializer(allow_null=True, help_text=gettext_lazy(
        "The coverage of the window's last quarter."))
    skipped = QuarterCoverageSerializer(many=True, help_text=gettext_lazy(
        "Newer quarters with figures that were not used: not over yet, or not reported "
        "enough yet."))


@extend_schema_serializer(description=(
    "A scoring run: when it ran, the quarters it used and how many customers it scored."))
class ScoringRunSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    as_of = serializers.CharField(required=False, allow_blank=True, max_length=6,
                                  help_text=gettext_lazy(
        "Score over the window ending with this quarter (e.g. 2026Q2) instead of the "
        "latest complete one; it must be over."))
    coverage = WindowSerializer(read_only=True, allow_null=True, source="window",
                                help_text=gettext_lazy(
                                    "The window's quarters and coverage; null for runs "
                                    "made before it was recorded."))
    customers_unscored = serializers.IntegerField(read_only=True)
    tier_counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True,
        help_text=gettext_lazy('Customers per tier after the run: "A", "B", "C" and "none".'))

    class Meta:
        model = ScoringRun
        fields = ["id", "policy", "policy_version", "policy_snapshot", "trigger",
                  "triggered_by", "window_start", "window_end", "as_of", "coverage",
                  "started_at", "finished_at",
                  "duration_ms", "customers_total", "customers_scored", "customers_unscored",
                  "tier_counts", "changes"]
        read_only_fields = [name for name in fields if name != "as_of"]

    def validate_as_of(self, value):
        value = value.strip().upper()
        errors = scoring.as_of_errors(value, today=self.context["request"].tenant.today()) \
            if value else []
        if errors:
            raise serializers.ValidationError(errors)
        return value


@extend_schema_serializer(description=(
    "One customer's result in a scoring run: score, rank, tier (computed and in force), "
    "the previous tier and why."))
class TierAssessmentSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    tier = TierOrBlankField()
    computed_tier = TierOrBlankField()
    previous_tier = TierOrBlankField()
    tier_source = ChoiceOrNullField(choices=TIER_SOURCES, read_only=True)
    breakdown = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Why this score: per weighted criterion its value, normalised value (0–1), weight "
        "and contribution (points of the score); the rank and the run's tier cut."))

    class Meta:
        model = TierAssessment
        fields = ["id", "run", "customer", "customer_code", "score", "rank", "tier",
                  "computed_tier", "tier_source", "previous_tier", "breakdown", "revenue",
                  "revenue_share"]
        read_only_fields = fields

    def get_breakdown(self, assessment) -> dict:
        return scoring.breakdown_of(assessment)


@extend_schema_serializer(description=(
    "One customer's share of the workspace's revenue, flagged when it is above the "
    "policy's threshold."))
class ConcentrationCustomerSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    share = serializers.DecimalField(
        max_digits=7, decimal_places=6,
        help_text=gettext_lazy("Share of the tenant's revenue over the window, 0–1."))
    flagged = serializers.BooleanField(
        help_text=gettext_lazy("The share is above the policy's concentration threshold."))


@extend_schema_serializer(description=(
    "How concentrated revenue is: each customer's share, the top customer's and the top "
    "20 %'s, and the HHI."))
class ConcentrationSerializer(serializers.Serializer):
    """Revenue concentration over the scoring window. Decimals are strings."""

    window = serializers.ListField(child=serializers.CharField(),
                                   help_text=gettext_lazy("The quarters of the window."))
    total_revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
    top1_share = serializers.DecimalField(max_digits=7, decimal_places=6)
    top20_share = serializers.DecimalField(
        max_digits=7, decimal_places=6,
        help_text=gettext_lazy("Revenue share of the top 20 percent of customers (rounded up)."))
    top20_count = serializers.IntegerField()
    hhi = serializers.DecimalField(
        max_digits=6, decimal_places=1,
        help_text=gettext_lazy("Herfindahl–Hirschman index, 0–10,000."))
    customers = ConcentrationCustomerSerializer(many=True)


# --- relationship map, cadence, plans ----------------------------------------------


@extend_schema_serializer(description=(
    "A person at a customer: department, level, role in decisions, attitude and how to "
    "reach them."))
class ContactSerializer(TenantModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "title", "department", "level", "decision_role",
                  "attitude", "influence", "strength", "counterpart", "email", "phone", "language",
                  "last_contact_on", "is_active", "notes", "external_id"]


@extend_schema_serializer(description=(
    "A visit, call, review or other contact with a customer, counted against the tier's "
    "service standards."))
class InteractionSerializer(TenantModelSerializer):
    our_people = TenantMemberField(
        many=True, queryset=User.objects.all(), required=False,
        help_text=gettext_lazy("Ids of the workspace members who took part."))
    contacts = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Contact.objects.all(), required=False,
        help_text=gettext_lazy("Ids of the customer's contacts who took part."))

    class Meta:
        model = Interaction
        fields = ["id", "customer", "kind", "occurred_on", "level", "our_people", "contacts",
                  "summary", "next_step", "next_step_on", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        customer = attrs.get("customer") or getattr(self.instance, "customer", None)
        contacts = attrs.get("contacts")
        if contacts is None and self.instance is not None and "customer" in attrs:
            contacts = list(self.instance.contacts.all())
        if customer is not None and any(c.customer_id != customer.pk for c in contacts or ()):
            raise serializers.ValidationError(
                {"contacts": [_("Choose contacts of this customer.")]})
        return attrs

    def create(self, validated_data):
        our_people = validated_data.pop("our_people", [])
        contacts = validated_data.pop("contacts", [])
        return services.save_interaction(Interaction(**validated_data), our_people=our_people,
                                         contacts=contacts)

    def update(self, instance, validated_data):
        our_people = validated_data.pop("our_people", None)
        contacts = validated_data.pop("contacts", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return services.save_interaction(
            instance,
            our_people=list(instance.our_people.all()) if our_people is None else our_people,
            contacts=list(instance.contacts.all()) if contacts is None else contacts,
        )


@extend_schema_serializer(description=(
    "How often each kind of interaction is due for the customers of a tier."))
class ServiceStandardSerializer(TenantModelSerializer):
    unique_messages = {"standard_unique": ("kind", gettext_lazy(
        "This tier already has a standard for this interaction type."))}

    class Meta:
        model = ServiceStandard
        fields = ["id", "tier", "kind", "max_days"]


@extend_schema_serializer(description=(
    "An initiative of an account plan, with its owner, due date and status."))
class InitiativeSerializer(TenantModelSerializer):
    owner = AssignableMemberField(for_=WORK, allow_null=True, required=False)

    class Meta:
        model = Initiative
        fields = ["id", "plan", "title", "owner", "due_on", "status"]


@extend_schema_serializer(description=(
    "A customer's account plan for a year: its goals and the initiatives to reach them."))
class AccountPlanSerializer(TenantModelSerializer):
    initiatives = InitiativeSerializer(many=True, read_only=True)

    unique_messages = {"plan_unique_year": ("year", gettext_lazy(
        "This customer already has a plan for this year."))}

    class Meta:
        model = AccountPlan
        fields = ["id", "customer", "year", "revenue_target", "share_target", "strategy",
                  "focus_products", "initiatives", "updated_at"]
        read_only_fields = ["updated_at"]
