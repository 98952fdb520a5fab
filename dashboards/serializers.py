"""Output shapes of the dashboard API: plain serializers over `dashboards.selectors`' data
(read only; they document the JSON in the OpenAPI schema)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from customers.filters import TIER_CHOICES
from customers.serializers import WindowSerializer
from kam.serializers import ShowsUpdatedAt
from projects import rag

from . import health
from .models import HealthSnapshot

TIER_KEYS = [key for key, _label in TIER_CHOICES]
BAND_CHOICES = list(health.ALL_BANDS)
RAG_CHOICES = rag.Rag.choices  # the same choice set as the programmes API


def percent(help_text=None, **kwargs):
    return serializers.FloatField(help_text=help_text or _("Percent, 0–100."), **kwargs)


@extend_schema_serializer(description=(
    "A customer named in a dashboard figure."))
class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.CharField(help_text=_("A, B, C or empty."))


@extend_schema_serializer(description=(
    "A member named in a dashboard figure."))
class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- tiers ---------------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "One tier's customers and revenue, with their shares of the whole portfolio."))
class TierRowSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TIER_KEYS)
    customers = serializers.IntegerField()
    customers_share = percent()
    revenue = serializers.FloatField(help_text=_("Revenue over the scoring window."))
    revenue_share = percent()


@extend_schema_serializer(description=(
    "A tier cut-off on the Pareto curve."))
class CutoffSerializer(serializers.Serializer):
    axis = serializers.ChoiceField(choices=["x", "y"], help_text=_(
        "x: a share of customers (count_share tiering); y: a share of revenue "
        "(value_share tiering)."))
    value = percent()
    tier = serializers.CharField()


@extend_schema_serializer(description=(
    "The Pareto curve of revenue over customers, with the policy's tier cut-offs."))
class ParetoSerializer(serializers.Serializer):
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text=_("[customers in percent, cumulative revenue in percent], largest "
                    "customer first, "
                    "from [0, 0]; at most 201 points."))
    cutoffs = CutoffSerializer(many=True)


@extend_schema_serializer(description=(
    "The share of revenue of the largest customers, by tenths of the portfolio."))
class DecileSerializer(serializers.Serializer):
    customers_share = serializers.IntegerField()
    customers = serializers.IntegerField()
    revenue_share = percent()


@extend_schema_serializer(description=(
    "The tiers panel: customers and revenue by tier, the Pareto curve and deciles."))
class DashboardTiersSerializer(serializers.Serializer):
    window = serializers.ListField(child=serializers.CharField(),
                                   help_text=_("The quarters of the scoring window."))
    coverage = WindowSerializer(help_text=_(
        "Why the window ends where it does: its last quarter's coverage and the newer "
        "quarters not used yet."))
    within_filter = serializers.BooleanField(help_text=_(
        "True when filters apply: the revenue shares and the Pareto curve are then of the "
        "customers in the filter."))
    method = serializers.CharField(help_text=_("The policy's tiering method."))
    currency = serializers.CharField()
    customers = serializers.IntegerField()
    customers_with_revenue = serializers.IntegerField()
    total_revenue = serializers.FloatField()
    tiers = TierRowSerializer(many=True)
    pareto = ParetoSerializer()
    deciles = DecileSerializer(many=True)


# --- concentration -------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "A customer's share of revenue."))
class ShareSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    share = percent()


@extend_schema_serializer(description=(
    "The largest customer's share of revenue, flagged above the policy's threshold."))
class TopShareSerializer(ShareSerializer):
    flagged = serializers.BooleanField()


@extend_schema_serializer(description=(
    "The Herfindahl–Hirschman index of one quarter."))
class HhiPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    hhi = serializers.FloatField(allow_null=True, help_text=_("0–10,000; null: no revenue."))
    top1_share = percent(allow_null=True)
    customers = serializers.IntegerField()


@extend_schema_serializer(description=(
    "The concentration panel: the top shares, customers above the threshold and the HHI "
    "trend."))
class DashboardConcentrationSerializer(serializers.Serializer):
    window = serializers.ListField(child=serializers.CharField())
    threshold = percent()
    within_filter = serializers.BooleanField(help_text=_(
        "True when filters apply: the top customer and the flagged ones are then those of "
        "the filter, but every share, the top-20-percent share, the HHI and its trend stay of "
        "the whole portfolio."))
    filter_share = percent(allow_null=True, help_text=_(
        "The filter's share of the portfolio's revenue over the window; null unfiltered."))
    top1 = TopShareSerializer(allow_null=True)
    top20_share = percent()
    top20_count = serializers.IntegerField()
    hhi = serializers.FloatField(help_text=_("Herfindahl–Hirschman index over the window, "
                                             "0–10,000."))
    flagged = ShareSerializer(many=True)
    trend = HhiPointSerializer(many=True)


# --- satisfaction --------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "A customer department, a column of the satisfaction heatmap."))
class DepartmentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


@extend_schema_serializer(description=(
    "How many departments answered of those invited."))
class CoverageSerializer(serializers.Serializer):
    answered = serializers.IntegerField(help_text=_("Departments that answered."))
    invited = serializers.IntegerField(help_text=_("Departments invited."))


@extend_schema_serializer(description=(
    "An open campaign not used yet, with its answers so far."))
class WaitingCampaignSerializer(CoverageSerializer):
    period = serializers.CharField()


@extend_schema_serializer(description=(
    "A colour band of the satisfaction heatmap: the index range it covers."))
class ColourBandSerializer(serializers.Serializer):
    gte = serializers.FloatField(help_text=_("Lowest index of the band."))
    lt = serializers.FloatField(required=False, help_text=_("The next band's lowest index."))
    lte = serializers.FloatField(required=False, help_text=_("100, for the highest band."))
    color = serializers.CharField()


@extend_schema_serializer(description=(
    "A customer's row of the satisfaction heatmap: the index per department and overall."))
class HeatmapRowSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    cells = serializers.ListField(child=serializers.FloatField(allow_null=True),
                                  help_text=_("Index per department, in `departments` order."))
    index = serializers.FloatField(allow_null=True)
    coverage = CoverageSerializer()
    trend = serializers.FloatField(allow_null=True)


@extend_schema_serializer(description=(
    "A customer whose satisfaction index moved most since the campaign before."))
class MoverSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    index = serializers.FloatField(allow_null=True)
    previous = serializers.FloatField(allow_null=True)
    trend = serializers.FloatField(allow_null=True)


@extend_schema_serializer(description=(
    "The satisfaction panel: the heatmap customer × department and the movers."))
class DashboardSatisfactionSerializer(serializers.Serializer):
    campaign = serializers.CharField(allow_null=True, help_text=_(
        "The campaign shown: the latest closed one, or an open one once the tenant's share "
        "of its invitations is answered."))
    previous = serializers.CharField(allow_null=True)
    interim = serializers.BooleanField(help_text=_(
        "True when the campaign is still open: its figures may still change."))
    coverage = CoverageSerializer(allow_null=True)
    waiting = WaitingCampaignSerializer(many=True, help_text=_(
        "Newer open campaigns not shown yet, with how far they are answered."))
    colour_bands = ColourBandSerializer(many=True, help_text=_(
        "The heatmap's colour bands, highest first."))
    departments = DepartmentSerializer(many=True)
    rows = HeatmapRowSerializer(many=True, help_text=_("The lowest-index customers first."))
    customers = serializers.IntegerField(help_text=_("Surveyed customers in scope."))
    index = serializers.FloatField(allow_null=True)
    trend = serializers.FloatField(allow_null=True)
    movers_up = MoverSerializer(many=True)
    movers_down = MoverSerializer(many=True)


# --- OPL -----------------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "Open, overdue and stale OPL items."))
class OplTotalsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    stale = serializers.IntegerField()


@extend_schema_serializer(description=(
    "One owner's open, overdue and stale OPL items."))
class OplOwnerSerializer(OplTotalsSerializer):
    owner = UserRefSerializer(allow_null=True)


@extend_schema_serializer(description=(
    "Open OPL items by age."))
class AgeingSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


@extend_schema_serializer(description=(
    "One week of the OPL burn-down: items open at its end, opened and closed in it."))
class BurndownSerializer(serializers.Serializer):
    week_ending = serializers.DateField()
    open = serializers.IntegerField()
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()


@extend_schema_serializer(description=(
    "The OPL panel: totals, by owner, ageing and the 12-week burn-down."))
class DashboardOplSerializer(serializers.Serializer):
    totals = OplTotalsSerializer()
    by_owner = OplOwnerSerializer(many=True)
    ageing = AgeingSerializer(many=True)
    burndown = BurndownSerializer(many=True)


# --- programmes ----------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "Open programmes by RAG."))
class RagCountsSerializer(serializers.Serializer):
    red = serializers.IntegerField()
    amber = serializers.IntegerField()
    green = serializers.IntegerField()
    none = serializers.IntegerField()


@extend_schema_serializer(description=(
    "A programme named in a dashboard figure."))
class ProgrammeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(description=(
    "A milestone named in a dashboard figure."))
class MilestoneRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


@extend_schema_serializer(description=(
    "A programme's start of production in the next 90 days."))
class UpcomingSopSerializer(serializers.Serializer):
    programme = ProgrammeRefSerializer()
    customer = CustomerRefSerializer()
    sop_date = serializers.DateField()
    days = serializers.IntegerField()
    rag = serializers.ChoiceField(choices=RAG_CHOICES, allow_null=True)


@extend_schema_serializer(description=(
    "A milestone forecast after the customer's planned date."))
class SlippingSerializer(serializers.Serializer):
    milestone = MilestoneRefSerializer()
    programme = ProgrammeRefSerializer()
    customer = CustomerRefSerializer()
    planned_date = serializers.DateField()
    forecast_date = serializers.DateField(allow_null=True)
    days_late = serializers.IntegerField()
    rag = serializers.ChoiceField(choices=RAG_CHOICES)


@extend_schema_serializer(description=(
    "The programmes panel: RAG counts, upcoming SOPs and slipping milestones."))
class DashboardProgrammesSerializer(serializers.Serializer):
    programmes = serializers.IntegerField(help_text=_("Open programmes in scope."))
    rag = RagCountsSerializer()
    upcoming_sops = UpcomingSopSerializer(many=True)
    upcoming_count = serializers.IntegerField()
    slipping = SlippingSerializer(many=True)
    slipping_count = serializers.IntegerField()


# --- cadence -------------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "Visit compliance for one tier: customers meeting all their service standards."))
class CadenceTierSerializer(serializers.Serializer):
    tier = serializers.CharField()
    customers = serializers.IntegerField()
    compliant = serializers.IntegerField(help_text=_("Customers meeting all their standards."))
    standards = serializers.IntegerField()
    met = serializers.IntegerField()
    compliance = percent(allow_null=True)
    compliant_share = percent(allow_null=True)


@extend_schema_serializer(description=(
    "An A-tier customer whose iron triangle is incomplete."))
class IncompleteTriangleSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    missing = serializers.ListField(child=serializers.ChoiceField(choices=["AR", "SR", "FR"]))


@extend_schema_serializer(description=(
    "The cadence panel: visit compliance by tier and the A accounts with an incomplete "
    "triangle."))
class DashboardCadenceSerializer(serializers.Serializer):
    by_tier = CadenceTierSerializer(many=True)
    incomplete_triangles = IncompleteTriangleSerializer(many=True)
    incomplete_count = serializers.IntegerField()


# --- health --------------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "A customer's health by part (satisfaction, OPL, RAG, coverage, service, scorecard); "
    "null where a part has no data."))
class HealthPartsSerializer(serializers.Serializer):
    """Each part's score, 0–100; null when it does not apply to the customer."""

    satisfaction = serializers.FloatField(allow_null=True)
    opl = serializers.FloatField(allow_null=True)
    programmes = serializers.FloatField(allow_null=True)
    relationships = serializers.FloatField(allow_null=True)
    cadence = serializers.FloatField(allow_null=True)
    scorecard = serializers.FloatField(allow_null=True)


@extend_schema_serializer(description=(
    "A customer's account health (0–100, null without data), its band and parts."))
class HealthRowSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    health = serializers.IntegerField(allow_null=True, help_text=_(
        "Account health, 0–100; null when no part has data yet (band no_data)."))
    band = serializers.ChoiceField(choices=BAND_CHOICES)
    parts = HealthPartsSerializer()


@extend_schema_serializer(description=(
    "Customers in one health band."))
class BandSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=BAND_CHOICES)
    label = serializers.CharField()
    customers = serializers.IntegerField()


@extend_schema_serializer(description=(
    "The health panel: customers by band and the lowest-health accounts."))
class DashboardHealthPanelSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    bands = BandSerializer(many=True)
    lowest = HealthRowSerializer(many=True)


@extend_schema_serializer(description=(
    "Every panel of the executive dashboard, for the filters asked."))
class DashboardSerializer(serializers.Serializer):
    tiers = DashboardTiersSerializer()
    concentration = DashboardConcentrationSerializer()
    satisfaction = DashboardSatisfactionSerializer()
    opl = DashboardOplSerializer()
    programmes = DashboardProgrammesSerializer()
    cadence = DashboardCadenceSerializer()
    health = DashboardHealthPanelSerializer()


@extend_schema_serializer(description=(
    "One of the caller's accounts with its tier, health, worst programme RAG, "
    "satisfaction and overdue items."))
class MyAccountSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    health = serializers.IntegerField(allow_null=True)
    band = serializers.ChoiceField(choices=BAND_CHOICES)
    team_role = serializers.CharField(help_text=_("The user's role on the account team, "
                                                  "empty when they only own it."))
    rag = serializers.ChoiceField(choices=RAG_CHOICES, allow_null=True,
                                  help_text=_("Worst RAG of the open programmes."))
    satisfaction = serializers.FloatField(allow_null=True)
    opl_open = serializers.IntegerField()
    opl_overdue = serializers.IntegerField()
    opl_stale = serializers.IntegerField()
    visits_overdue = serializers.IntegerField(help_text=_("Service standards not met."))


# --- health history ------------------------------------------------------------------------

@extend_schema_serializer(description=(
    "A customer's account health as it stood in a week: the weekly snapshot (taken by the "
    "`health-snapshots` job, Mondays), with its band and part scores."))
class HealthSnapshotSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    value = serializers.IntegerField(allow_null=True, read_only=True, help_text=_(
        "Account health, 0–100; null when no part had data (band no_data)."))
    band = serializers.ChoiceField(choices=BAND_CHOICES, read_only=True)
    parts = HealthPartsSerializer(read_only=True)
    week = serializers.DateField(read_only=True, help_text=_(
        "The Monday of the ISO week, in the workspace's time zone."))

    class Meta:
        model = HealthSnapshot
        fields = ["id", "customer", "week", "value", "band", "parts", "taken_at"]
        read_only_fields = fields
