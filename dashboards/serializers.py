"""Output shapes of the dashboard API: plain serializers over `dashboards.selectors`' data
(read only; they document the JSON in the OpenAPI schema)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.filters import TIER_CHOICES
from customers.serializers import WindowSerializer
from projects import rag

from . import health

TIER_KEYS = [key for key, _label in TIER_CHOICES]
BAND_CHOICES = list(health.ALL_BANDS)
RAG_CHOICES = rag.Rag.choices  # the same choice set as the programmes API


def percent(help_text=None, **kwargs):
    return serializers.FloatField(help_text=help_text or _("Percent, 0–100."), **kwargs)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.CharField(help_text=_("A, B, C or empty."))


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- tiers ---------------------------------------------------------------------------------

class TierRowSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TIER_KEYS)
    customers = serializers.IntegerField()
    customers_share = percent()
    revenue = serializers.FloatField(help_text=_("Revenue over the scoring window."))
    revenue_share = percent()


class CutoffSerializer(serializers.Serializer):
    axis = serializers.ChoiceField(choices=["x", "y"], help_text=_(
        "x: a share of customers (count_share tiering); y: a share of revenue "
        "(value_share tiering)."))
    value = percent()
    tier = serializers.CharField()


class ParetoSerializer(serializers.Serializer):
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text=_("[customers in percent, cumulative revenue in percent], largest "
                    "customer first, "
                    "from [0, 0]; at most 201 points."))
    cutoffs = CutoffSerializer(many=True)


class DecileSerializer(serializers.Serializer):
    customers_share = serializers.IntegerField()
    customers = serializers.IntegerField()
    revenue_share = percent()


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

class ShareSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    share = percent()


class TopShareSerializer(ShareSerializer):
    flagged = serializers.BooleanField()


class HhiPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    hhi = serializers.FloatField(allow_null=True, help_text=_("0–10,000; null: no revenue."))
    top1_share = percent(allow_null=True)
    customers = serializers.IntegerField()


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

class DepartmentSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    answered = serializers.IntegerField(help_text=_("Departments that answered."))
    invited = serializers.IntegerField(help_text=_("Departments invited."))


class WaitingCampaignSerializer(CoverageSerializer):
    period = serializers.CharField()


class ColourBandSerializer(serializers.Serializer):
    gte = serializers.FloatField(help_text=_("Lowest index of the band."))
    lt = serializers.FloatField(required=False, help_text=_("The next band's lowest index."))
    lte = serializers.FloatField(required=False, help_text=_("100, for the highest band."))
    color = serializers.CharField()


class HeatmapRowSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    cells = serializers.ListField(child=serializers.FloatField(allow_null=True),
                                  help_text=_("Index per department, in `departments` order."))
    index = serializers.FloatField(allow_null=True)
    coverage = CoverageSerializer()
    trend = serializers.FloatField(allow_null=True)


class MoverSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    index = serializers.FloatField(allow_null=True)
    previous = serializers.FloatField(allow_null=True)
    trend = serializers.FloatField(allow_null=True)


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

class OplTotalsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    stale = serializers.IntegerField()


class OplOwnerSerializer(OplTotalsSerializer):
    owner = UserRefSerializer(allow_null=True)


class AgeingSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class BurndownSerializer(serializers.Serializer):
    week_ending = serializers.DateField()
    open = serializers.IntegerField()
    opened = serializers.IntegerField()
    closed = serializers.IntegerField()


class DashboardOplSerializer(serializers.Serializer):
    totals = OplTotalsSerializer()
    by_owner = OplOwnerSerializer(many=True)
    ageing = AgeingSerializer(many=True)
    burndown = BurndownSerializer(many=True)


# --- programmes ----------------------------------------------------------------------------

class RagCountsSerializer(serializers.Serializer):
    red = serializers.IntegerField()
    amber = serializers.IntegerField()
    green = serializers.IntegerField()
    none = serializers.IntegerField()


class ProgrammeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MilestoneRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class UpcomingSopSerializer(serializers.Serializer):
    programme = ProgrammeRefSerializer()
    customer = CustomerRefSerializer()
    sop_date = serializers.DateField()
    days = serializers.IntegerField()
    rag = serializers.ChoiceField(choices=RAG_CHOICES, allow_null=True)


class SlippingSerializer(serializers.Serializer):
    milestone = MilestoneRefSerializer()
    programme = ProgrammeRefSerializer()
    customer = CustomerRefSerializer()
    planned_date = serializers.DateField()
    forecast_date = serializers.DateField(allow_null=True)
    days_late = serializers.IntegerField()
    rag = serializers.ChoiceField(choices=RAG_CHOICES)


class DashboardProgrammesSerializer(serializers.Serializer):
    programmes = serializers.IntegerField(help_text=_("Open programmes in scope."))
    rag = RagCountsSerializer()
    upcoming_sops = UpcomingSopSerializer(many=True)
    upcoming_count = serializers.IntegerField()
    slipping = SlippingSerializer(many=True)
    slipping_count = serializers.IntegerField()


# --- cadence -------------------------------------------------------------------------------

class CadenceTierSerializer(serializers.Serializer):
    tier = serializers.CharField()
    customers = serializers.IntegerField()
    compliant = serializers.IntegerField(help_text=_("Customers meeting all their standards."))
    standards = serializers.IntegerField()
    met = serializers.IntegerField()
    compliance = percent(allow_null=True)
    compliant_share = percent(allow_null=True)


class IncompleteTriangleSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    missing = serializers.ListField(child=serializers.ChoiceField(choices=["AR", "SR", "FR"]))


class DashboardCadenceSerializer(serializers.Serializer):
    by_tier = CadenceTierSerializer(many=True)
    incomplete_triangles = IncompleteTriangleSerializer(many=True)
    incomplete_count = serializers.IntegerField()


# --- health --------------------------------------------------------------------------------

class HealthPartsSerializer(serializers.Serializer):
    """Each part's score, 0–100; null when it does not apply to the customer."""

    satisfaction = serializers.FloatField(allow_null=True)
    opl = serializers.FloatField(allow_null=True)
    programmes = serializers.FloatField(allow_null=True)
    relationships = serializers.FloatField(allow_null=True)
    cadence = serializers.FloatField(allow_null=True)
    scorecard = serializers.FloatField(allow_null=True)


class HealthRowSerializer(serializers.Serializer):
    customer = CustomerRefSerializer()
    health = serializers.IntegerField(allow_null=True, help_text=_(
        "Account health, 0–100; null when no part has data yet (band no_data)."))
    band = serializers.ChoiceField(choices=BAND_CHOICES)
    parts = HealthPartsSerializer()


class BandSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=BAND_CHOICES)
    label = serializers.CharField()
    customers = serializers.IntegerField()


class DashboardHealthPanelSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    bands = BandSerializer(many=True)
    lowest = HealthRowSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    tiers = DashboardTiersSerializer()
    concentration = DashboardConcentrationSerializer()
    satisfaction = DashboardSatisfactionSerializer()
    opl = DashboardOplSerializer()
    programmes = DashboardProgrammesSerializer()
    cadence = DashboardCadenceSerializer()
    health = DashboardHealthPanelSerializer()


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
