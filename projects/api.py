"""The programmes REST API (`/api/v1/programmes`, `milestones`, `risks`, `ppap-elements`).

Admins, and account managers on the account's team, write; a member may update the
milestones they own (dates, status, progress); every role reads. RAG fields are judged
on `?as_of=YYYY-MM-DD` (default: today in the tenant's time zone).
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import roles
from kam.serializers import drf_errors
from kam.viewsets import AccountWriteMixin, TenantModelViewSet, UpsertByKeyMixin, upsert_schema
from records.history import HistoryMixin

from . import selectors, services
from .filters import MilestoneFilter, PpapElementFilter, ProgrammeFilter, RiskFilter
from .models import Milestone, MilestoneStatus, PpapElement, Programme, Risk
from .serializers import (
    MilestoneChangeSerializer,
    MilestoneSerializer,
    PpapElementSerializer,
    ProgrammeSerializer,
    RedateResultSerializer,
    RedateSerializer,
    RiskSerializer,
)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY

AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="Judge RAG on this date (default: today in the "
    "workspace's time zone).")


class JudgingMixin:
    """Puts the RAG date and policy into the serializer context."""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        tenant = getattr(self.request, "tenant", None)
        if tenant is not None:
            as_of = None
            try:
                raw = self.request.query_params.get("as_of")
                as_of = date.fromisoformat(raw) if raw else None
            except ValueError:
                as_of = None
            context["on"], context["policy"] = selectors.context_for(tenant, as_of)
        return context


@extend_schema_view(list=extend_schema(parameters=[AS_OF]),
                    retrieve=extend_schema(parameters=[AS_OF]))
class ProgrammeViewSet(HistoryMixin, JudgingMixin, UpsertByKeyMixin, AccountWriteMixin,
                       TenantModelViewSet):
    """APQP programmes with their RAG (the worst colour of their open milestones).
    Creating one generates its milestones from the workspace's template and its 18 PPAP
    elements. By code: `?code=`, and `GET|PUT programmes/by-code/{code}/` (upsert)."""

    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter
    search_fields = ["code", "name", "vehicle", "customer__name"]
    ordering_fields = ["code", "name", "sop_date", "nomination_date", "stage",
                       "lifetime_value", "created_at"]
    ordering = ["sop_date", "code", "id"]
    write_capability = "edit_accounts"

    def get_queryset(self):
        return Programme.objects.select_related("customer", "project_manager")

    @upsert_schema("code", "programme", ProgrammeSerializer)
    @action(detail=False, methods=["get", "put"], url_path=r"by-code/(?P<code>[^/]+)")
    def by_code(self, request, code=None):
        return self._by_key(request, "code", code)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = self.get_serializer_context()
        selectors.attach_programme_rag(rows, context["on"], context["policy"])
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def perform_destroy(self, instance):
        self.check_account(instance)
        if instance.milestones.filter(status=MilestoneStatus.DONE).exists():
            raise DRFValidationError({NON_FIELD: [_(
                "This programme has done milestones: set its stage to closed or lost "
                "instead of deleting it.")]})
        instance.delete()


@extend_schema_view(list=extend_schema(parameters=[AS_OF]),
                    retrieve=extend_schema(parameters=[AS_OF]))
class MilestoneViewSet(JudgingMixin, AccountWriteMixin, TenantModelViewSet):
    """Milestones with their RAG. Every change of a date, the status, progress or PSW
    disposition is kept: `GET milestones/{id}/history/`. Moving `planned_date` (the
    customer's date) needs a `reason`. Members may update the milestones they own."""

    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    search_fields = ["name", "programme__code", "programme__name"]
    ordering_fields = ["planned_date", "forecast_date", "actual_date", "status", "kind",
                       "created_at"]
    ordering = ["planned_date", "id"]
    write_capability = "edit_own_items"  # members: the milestones they own
    account_path = ("programme", "customer")

    def get_queryset(self):
        return Milestone.objects.select_related("programme__customer", "owner", "tenant")

    def check_account(self, obj):
        # Members change only the milestones they own, whatever the account
        # (_members_limits); everyone else follows the account's team.
        if not roles.edits_only_own_items(self.request.role):
            super().check_account(obj)

    def _members_limits(self, milestone=None):
        if not roles.edits_only_own_items(self.request.role):
            return
        if milestone is None or milestone.owner_id != self.request.user.pk:
            raise PermissionDenied(_("Members may only change milestones they own."))

    def perform_create(self, serializer):
        self._members_limits()
        self.save(serializer)

    def perform_update(self, serializer):
        self._members_limits(serializer.instance)
        if (roles.edits_only_own_items(self.request.role)
                and "owner" in serializer.validated_data
                and serializer.validated_data["owner"] != serializer.instance.owner):
            raise PermissionDenied(_("Members cannot hand a milestone to someone else."))
        self.save(serializer, user=self.request.user)

    def perform_destroy(self, instance):
        self._members_limits()
        self.check_account(instance)
        try:
            services.remove_milestone(instance)
        except DjangoValidationError as exc:
            raise DRFValidationError(drf_errors(exc)) from None

    @extend_schema(responses=MilestoneChangeSerializer(many=True), filters=False,
                   summary="The milestone's change history",
                   description="Every change of a date, the status, progress or the PSW "
                   "disposition: who, when, field, from, to and why; newest first. "
                   "Paginated like every list.")
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        milestone = self.get_object()
        page = self.paginate_queryset(selectors.milestone_history(milestone))
        return self.get_paginated_response(MilestoneChangeSerializer(page, many=True).data)

    @extend_schema(
        request=RedateSerializer,
        responses={200: RedateResultSerializer,
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description=(
                       "Nothing was saved. Invalid input is DRF's field → messages; a "
                       "business rule broken by some items is `{\"items\": [one object "
                       "per item: {} when fine, else field → messages], \"reason\": "
                       "[messages]}`."))},
        filters=False, parameters=[], summary="Re-date many milestones, all or nothing",
        description="Moves the customer and/or forecast dates of up to 500 milestones with "
        "one reason. Either every change is saved (and kept in the history) or none is. "
        "Admins and account managers.")
    @action(detail=False, methods=["post"], write_capability="edit_accounts", filter_backends=[],
            pagination_class=None)
    def redate(self, request):
        data = RedateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["items"]
        milestones = Milestone.objects.select_related("programme__customer", "tenant").in_bulk(
            [item["id"] for item in items])
        editable = roles.editable_customer_ids(request.tenant, request.user, request.role)
        missing = [
            {"id": [_("No such milestone.")]} if item["id"] not in milestones
            else {"id": [_("Only the team of %(customer)s and administrators re-date its "
                           "milestones.") % {"customer": milestones[item["id"]]
                                             .programme.customer.name}]}
            if editable is not None
            and milestones[item["id"]].programme.customer_id not in editable
            else {}
            for item in items]
        if any(missing):
            return Response({"items": missing}, status=status.HTTP_400_BAD_REQUEST)
        seen, rows = set(), []
        for item in items:
            if item["id"] in seen:
                return Response({"items": [
                    {"id": [_("Listed twice.")]} if i["id"] == item["id"] else {}
                    for i in items]}, status=status.HTTP_400_BAD_REQUEST)
            seen.add(item["id"])
            rows.append({**{k: v for k, v in item.items() if k != "id"},
                         "milestone": milestones[item["id"]]})
        try:
            changed = services.redate_milestones(rows, user=request.user,
                                                 reason=data.validated_data["reason"])
        except services.RedateError as exc:
            body = {"items": exc.errors}
            if exc.reason:
                body["reason"] = exc.reason
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response({"changed": changed})


class RiskViewSet(AccountWriteMixin, TenantModelViewSet):
    """Programme risks: probability × impact (1–5 each) = score."""

    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    search_fields = ["title", "mitigation"]
    ordering_fields = ["score", "due_date", "created_at", "status"]
    ordering = ["-score", "due_date", "id"]
    write_capability = "edit_accounts"
    account_path = ("programme", "customer")

    def get_queryset(self):
        return Risk.objects.select_related("programme", "owner")


class PpapElementViewSet(AccountWriteMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The 18 PPAP elements of each programme (made with the programme). `requirement`
    follows the programme's `ppap_level` (AIAG table): submit, retain or on request."""

    serializer_class = PpapElementSerializer
    filterset_class = PpapElementFilter
    ordering_fields = ["element", "status", "updated_at"]
    ordering = ["programme_id", "element", "id"]
    write_capability = "edit_accounts"
    account_path = ("programme", "customer")

    def get_queryset(self):
        return PpapElement.objects.select_related("programme", "owner")

