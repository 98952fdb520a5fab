"""The dashboard API (`/api/v1/dashboard/…`): the executive dashboard's figures as JSON,
from the same selectors as the page (`dashboards.selectors`). Executives and admins read
them; `my-accounts` is every user's own list."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from customers import api as customers_api
from customers.filters import TIER_CHOICES
from kam.api import Pagination
from kam.schema import AutoSchema

from . import derived, exports, pdf, qbr, selectors, serializers
from .filters import AccountFilter, DashboardFilter, HealthSnapshotFilter
from .models import HealthSnapshot

FILTERS = [
    OpenApiParameter("region", OpenApiTypes.INT, description="Only customers of this region."),
    OpenApiParameter("tier", OpenApiTypes.STR, enum=[key for key, _label in TIER_CHOICES],
                     description="Only customers of this tier (`none`: without a tier)."),
    OpenApiParameter("owner", OpenApiTypes.INT,
                     description="Only customers this user owns (the KAM)."),
]


class DashboardSchema(AutoSchema):
    """`list` here answers one object (every panel), not a list of them."""

    def _is_list_view(self, serializer=None):
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)


def panel_schema(serializer, summary, description):
    return extend_schema(responses=serializer, parameters=FILTERS, filters=False,
                         summary=summary, description=description)


class DashboardViewSet(viewsets.GenericViewSet):
    """Portfolio figures of the tenant, narrowed by `region`, `tier` and `owner` (the
    tenant's active customers). An invalid filter value is a 400 naming it."""

    read_capability = "read_dashboard"
    serializer_class = serializers.DashboardSerializer
    filter_backends = []
    pagination_class = None  # panels are single objects; the account lists paginate
    schema = DashboardSchema()

    def get_queryset(self):
        return selectors.base_customers()

    def scope(self):
        filterset = DashboardFilter(self.request.query_params or None,
                                    queryset=self.get_queryset(), request=self.request)
        if filterset.is_bound and not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return selectors.scope_for(self.request.tenant, filterset)

    def panel(self, name, serializer):
        data = selectors.PANELS[name](self.scope())
        return Response(serializer(data).data)

    @panel_schema(serializers.DashboardSerializer, "Every dashboard panel",
                  "All panels of the executive dashboard in one answer.")
    def list(self, request):
        data, _computed_at = derived.dashboard(self.scope())
        return Response(serializers.DashboardSerializer(data).data)

    @panel_schema(serializers.DashboardTiersSerializer, "Tiers and the Pareto curve",
                  "Customers and window revenue per tier; the cumulative revenue curve with "
                  "the scoring policy's A/B cut-offs; revenue share of the top 10 %, 20 %, … "
                  "of customers.")
    @action(detail=False, methods=["get"])
    def tiers(self, request):
        return self.panel("tiers", serializers.DashboardTiersSerializer)

    @panel_schema(serializers.DashboardConcentrationSerializer, "Revenue concentration",
                  "Top customer's share against the policy's threshold, the top 20 % share "
                  "and the HHI over the scoring window; HHI and top-1 share per quarter over "
                  "the last eight quarters.")
    @action(detail=False, methods=["get"])
    def concentration(self, request):
        return self.panel("concentration", serializers.DashboardConcentrationSerializer)

    @panel_schema(serializers.DashboardSatisfactionSerializer, "Satisfaction heatmap and movers",
                  "The latest reported campaign: index per customer and department (the 20 "
                  "lowest customers), and the largest changes since the quarter before.")
    @action(detail=False, methods=["get"])
    def satisfaction(self, request):
        return self.panel("satisfaction", serializers.DashboardSatisfactionSerializer)

    @panel_schema(serializers.DashboardOplSerializer, "OPL by owner, ageing and burn-down",
                  "Open, overdue and stale items per owner; open items by age; open items at "
                  "the end of each of the last 12 weeks, with the items opened and closed.")
    @action(detail=False, methods=["get"])
    def opl(self, request):
        return self.panel("opl", serializers.DashboardOplSerializer)

    @panel_schema(serializers.DashboardProgrammesSerializer, "APQP programmes",
                  "Open programmes by RAG, SOPs in the next 90 days and slipping milestones "
                  "(ten of each, most urgent first, with the totals).")
    @action(detail=False, methods=["get"])
    def programmes(self, request):
        return self.panel("programmes", serializers.DashboardProgrammesSerializer)

    @panel_schema(serializers.DashboardCadenceSerializer, "Visit compliance and iron triangles",
                  "Service standards met per tier, and A accounts whose iron triangle (AR, "
                  "SR, FR) is incomplete.")
    @action(detail=False, methods=["get"])
    def cadence(self, request):
        return self.panel("cadence", serializers.DashboardCadenceSerializer)

    @panel_schema(serializers.DashboardHealthPanelSerializer, "Account health summary",
                  "Customers per health band and the ten lowest-health accounts.")
    @action(detail=False, methods=["get"])
    def health(self, request):
        return self.panel("health", serializers.DashboardHealthPanelSerializer)

    @panel_schema(serializers.HealthRowSerializer(many=True), "Account health of every customer",
                  "Every active customer in scope with its health (0–100), band and the "
                  "score of each part, lowest health first. Paginated.")
    @action(detail=False, methods=["get"], url_path="accounts", pagination_class=Pagination)
    def accounts(self, request):
        rows = selectors.health_rows(self.scope())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializers.HealthRowSerializer(page, many=True).data)

    @extend_schema(responses=serializers.MyAccountSerializer(many=True), filters=False,
                   summary="My accounts",
                   description="The accounts the user owns or is on the team of, with tier, "
                   "health, worst programme RAG, latest satisfaction index and overdue counts, "
                   "lowest health first. Paginated. Every role.")
    @action(detail=False, methods=["get"], url_path="my-accounts", read_capability="read",
            pagination_class=Pagination)
    def my_accounts(self, request):
        rows = selectors.my_accounts(request.user, request.tenant)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializers.MyAccountSerializer(page, many=True).data)


class CustomerViewSet(customers_api.CustomerViewSet):
    """Customers with their current tier, filtered by account health too (`?health=`).
    `tier`, `tier_source` and `score` come from the scoring runs and overrides and are
    read-only."""

    filterset_class = AccountFilter

    def perform_content_negotiation(self, request, force=False):
        # `format` of the QBR pack names the file (pdf, xlsx), not a renderer: the file is
        # the response itself, and errors are JSON like everywhere else.
        if getattr(self, "action", None) == "qbr":
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        parameters=[
            OpenApiParameter("quarter", OpenApiTypes.STR,
                             description="The quarter, e.g. `2026Q3` (default: the last "
                             "complete quarter, the scoring window's end)."),
            OpenApiParameter("variant", OpenApiTypes.STR, enum=list(qbr.VARIANTS),
                             description="`internal` (tier, score, health, margins: "
                             "executives and admins) or `customer` (default; also the "
                             "account's team), which leaves them out."),
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(qbr.FORMATS),
                             description="`pdf` (default) or `xlsx` (one sheet per section)."),
        ],
        responses={
            (200, qbr.FORMATS[qbr.PDF]): OpenApiTypes.BINARY,
            (200, qbr.FORMATS[qbr.XLSX]): OpenApiTypes.BINARY,
        },
        filters=False, summary="QBR pack of the customer",
        description="The quarterly business review pack of one customer and quarter as a "
        "file, in the caller's language: figures against plan, tier and why, health and "
        "score trend, scorecard trend, satisfaction by department and dimension, OPL "
        "opened / closed / overdue, programmes with RAG and slips, top risks and next "
        "quarter's objectives. A bad `quarter`, `variant` or `format` is a 400 naming it; "
        "a PDF where the server cannot render PDFs is a 400 on `format`.")
    @action(detail=True, methods=["get"], filter_backends=[],
            pagination_class=None)
    def qbr(self, request, pk=None):
        customer = self.get_object()
        try:
            quarter, variant, file_format = qbr.read_request(request.query_params,
                                                             tenant=request.tenant)
        except qbr.PackError as exc:
            raise ValidationError(exc.errors) from exc
        if not exports.may_export(request, customer, variant):
            raise PermissionDenied(_(
                "Only executives, administrators and the account's team export its QBR "
                "pack (the internal one: executives and administrators)."))
        if file_format == qbr.PDF and pdf.unavailable():
            raise ValidationError({"format": [pdf.unavailable()]})
        pack = qbr.build(customer, quarter=quarter, variant=variant, tenant=request.tenant)
        return exports.attachment(*qbr.render(pack, file_format))


class HealthSnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    """Each customer's account health week by week (the weekly snapshots, taken on
    Mondays after the night's health): filter by `customer` and a range of weeks
    (`week_from`, `week_to`; a week is named by its Monday)."""

    queryset = HealthSnapshot.objects.all()
    serializer_class = serializers.HealthSnapshotSerializer
    filterset_class = HealthSnapshotFilter
    ordering_fields = ["week", "value"]
    ordering = ["customer_id", "week", "id"]
