"""The customers REST API (`/api/v1/…`): thin viewsets over the rules modules.

Write roles: admin and account managers write customer data (customers, figures,
contacts, interactions, account plans, initiatives); admins write policies, service
standards and regions; admins and executives pin tiers and start scoring runs. Every
role of the tenant reads.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import roles
from kam import messages as stored_messages
from kam.imports import row_messages
from kam.parsers import JSONParser
from kam.viewsets import AccountWriteMixin, TenantModelViewSet, UpsertByKeyMixin, upsert_schema
from records.history import HistoryMixin

from . import scoring, services
from .filters import CustomerFilter, PeriodFigureFilter, tenant_users
from .models import (
    AccountPlan,
    Contact,
    Customer,
    Initiative,
    Interaction,
    PeriodFigure,
    Region,
    ScoringPolicy,
    ScoringRun,
    ServiceStandard,
    TierAssessment,
    TierOverride,
)
from .serializers import (
    MAX_BULK_ROWS,
    AccountPlanSerializer,
    ConcentrationSerializer,
    ContactSerializer,
    CustomerSerializer,
    FigureBulkErrorsSerializer,
    FigureBulkResultSerializer,
    FigureBulkRowSerializer,
    InitiativeSerializer,
    InteractionSerializer,
    PeriodFigureSerializer,
    RegionSerializer,
    ScoringPolicySerializer,
    ScoringRunSerializer,
    ServiceStandardSerializer,
    TierAssessmentSerializer,
    TierOverrideInputSerializer,
    TierOverrideSerializer,
    drf_errors,
)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class WriteViewSet(AccountWriteMixin, TenantModelViewSet):
    write_capability = "edit_accounts"


class BulkJSONParser(JSONParser):
    """The API's JSON parser (kam.parsers), read from the request stream under its own
    size limit: a 20,000-row upload is larger than Django's in-memory body limit for
    other requests."""

    max_bytes = 32 * 1024 * 1024

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise ParseError(_("The body is larger than %(mb)s MB.")
                             % {"mb": self.max_bytes // (1024 * 1024)})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(_("JSON parse error: the body is not %(encoding)s text.")
                             % {"encoding": "utf-8"}) from None
        return self.loads(text)


# --- customers ----------------------------------------------------------------------


class CustomerViewSet(HistoryMixin, UpsertByKeyMixin, WriteViewSet):
    """Customers with their current tier. `tier`, `tier_source` and `score` come from the
    scoring runs and overrides and are read-only. By code: `?code=`, and
    `GET|PUT customers/by-code/{code}/` (upsert)."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["name", "code", "city"]
    ordering_fields = ["name", "code", "tier", "score", "lifecycle_stage", "created_at",
                       "updated_at"]
    ordering = ["name", "id"]
    account_path = ()

    @upsert_schema("code", "customer", CustomerSerializer)
    @action(detail=False, methods=["get", "put"], url_path=r"by-code/(?P<code>[^/]+)")
    def by_code(self, request, code=None):
        return self._by_key(request, "code", code)

    def account_of(self, obj):
        return obj if isinstance(obj, Customer) else None

    @extend_schema(
        methods=["POST"], request=TierOverrideInputSerializer,
        responses={201: TierOverrideSerializer},
        summary="Pin the customer's tier",
        description="Pins `tier` until `expires_on` (inclusive), replacing any override in "
        "force; scoring runs keep it and store the computed tier beside it. Admins and "
        "executives only.")
    @extend_schema(
        methods=["DELETE"], request=None, responses={200: CustomerSerializer},
        summary="End the customer's tier override",
        description="Ends the override in force; the customer falls back to the tier its "
        "last scoring run computed. Answers the customer; 404 when no override is in force. "
        "Admins and executives only.")
    @action(detail=True, methods=["post", "delete"], url_path="tier-override",
            write_capability="override_tiers")
    def tier_override(self, request, pk=None):
        customer = self.get_object()
        if request.method == "DELETE":
            if not services.end_tier_override(customer, user=request.user):
                raise NotFound(_("No tier override is in force for this customer."))
            return Response(self.get_serializer(customer).data)
        data = TierOverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            override = services.set_tier_override(customer, **data.validated_data,
                                                  user=request.user, role=request.role)
        except DjangoValidationError as exc:
            raise DRFValidationError(drf_errors(exc)) from None
        return Response(TierOverrideSerializer(override, context=self.get_serializer_context())
                        .data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=ConcentrationSerializer, filters=False,
        summary="Revenue concentration",
        description="Each scored customer's share of the tenant's revenue over the current "
        "policy's scoring window, largest first, flagged above the policy's threshold; the "
        "top customer's share, the top 20 % of customers' share and the HHI. Decimals are "
        "strings.")
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def concentration(self, request):
        figures = scoring.concentration(request.tenant)
        names = {row["id"]: row for row in Customer.objects.values("id", "code", "name")}
        figures["customers"] = [
            {**row, "customer": row["customer_id"],
             "code": names.get(row["customer_id"], {}).get("code", ""),
             "name": names.get(row["customer_id"], {}).get("name", "")}
            for row in figures["customers"]
        ]
        return Response(ConcentrationSerializer(figures).data)


class TierOverrideFilter(django_filters.FilterSet):
    in_force = django_filters.BooleanFilter(method="filter_in_force",
                                            label="Not ended and not expired")

    class Meta:
        model = TierOverride
        fields = ["customer", "tier", "in_force"]

    def filter_in_force(self, queryset, name, value):
        in_force = {"ended_at__isnull": True, "expires_on__gte": self.request.tenant.today()}
        return queryset.filter(**in_force) if value else queryset.exclude(**in_force)


class TierOverrideViewSet(HistoryMixin, viewsets.ReadOnlyModelViewSet):
    """Tier overrides, newest first, ended ones included. Set and end them with
    `POST|DELETE customers/{id}/tier-override/`."""

    queryset = TierOverride.objects.all()
    serializer_class = TierOverrideSerializer
    filterset_class = TierOverrideFilter
    ordering_fields = ["created_at", "expires_on"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        tenant = getattr(self.request, "tenant", None)
        context["today"] = tenant.today() if tenant else None
        return context


class PeriodFigureViewSet(HistoryMixin, UpsertByKeyMixin, WriteViewSet):
    """Quarterly figures per customer: one row per customer and period. By external id:
    `?external_id=`, and `GET|PUT customer-figures/by-external-id/{external_id}/`."""

    queryset = PeriodFigure.objects.select_related("customer")
    serializer_class = PeriodFigureSerializer
    filterset_class = PeriodFigureFilter
    search_fields = ["customer__code", "customer__name"]
    ordering_fields = ["period", "revenue", "customer__code", "updated_at"]
    ordering = ["customer__code", "-period", "id"]

    @upsert_schema("external_id", "figure", PeriodFigureSerializer)
    @action(detail=False, methods=["get", "put"],
            url_path=r"by-external-id/(?P<external_id>[^/]+)")
    def by_external_id(self, request, external_id=None):
        return self._by_key(request, "external_id", external_id)

    @extend_schema(
        request=FigureBulkRowSerializer(many=True),
        responses={
            200: FigureBulkResultSerializer,
            400: OpenApiResponse(description="Nothing was written; every bad row is named "
                                 "under `errors`."),
        },
        summary="Upsert figures in bulk, all or nothing",
        description=f"A JSON list of up to {MAX_BULK_ROWS:,} rows keyed by `customer_code` "
        "and `period`. A row for an existing customer and period updates the figures it "
        "names; others create a row. Either every row is written, or none is and the answer "
        "lists every error with its row's 1-based position in the list. Tiers follow the figures "
        "only once customers are re-scored: `rescoring` says whether this upload changed any "
        "and where to start a scoring run.")
    @action(detail=False, methods=["post"], parser_classes=[BulkJSONParser])
    def bulk(self, request):
        try:
            data = request.data
        except ParseError as exc:
            return bulk_errors([{"row": None, "field": NON_FIELD, "message": str(exc.detail)}])
        if not isinstance(data, list):
            return bulk_errors([{"row": None, "field": NON_FIELD,
                                 "message": _("Send a JSON list of rows.")}])
        if len(data) > MAX_BULK_ROWS:
            return bulk_errors([{"row": None, "field": NON_FIELD, "message": _(
                "Send at most %(max)s rows at a time.") % {"max": MAX_BULK_ROWS}}])
        # One serializer checks every row's types, then the service checks the rest.
        checker = FigureBulkRowSerializer(context=self.get_serializer_context())
        rows, numbers, errors = [], [], []
        for number, item in enumerate(data, start=1):
            try:
                rows.append(checker.run_validation(item))
                numbers.append(number)
            except DRFValidationError as exc:
                errors.extend(row_errors(number, exc.detail, checker, item))
        try:
            result = services.upsert_figures(
                request.tenant, rows=rows, dry_run=bool(errors), lines=numbers,
                editable=roles.editable_customer_ids(request.tenant, request.user, request.role))
        except IntegrityError:
            return bulk_errors([{"row": None, "field": NON_FIELD, "message": _(
                "Another upload of the same figures was saved at the same time; try again.")}])
        errors.extend(
            {"row": error.row,
             "field": NON_FIELD if error.field == "__all__" else error.field,
             "message": stored_messages.render(error.message)}
            for error in result.errors
        )
        if errors:
            return bulk_errors(sorted(errors, key=lambda error: error["row"]))
        return Response(FigureBulkResultSerializer({
            "created": result.created, "updated": result.updated,
            "rescoring": {
                "advised": bool(result.changed_customer_ids),
                "customers_changed": len(result.changed_customer_ids),
                "url": request.build_absolute_uri(reverse("scoring-run-list")),
            }}).data)


def row_errors(number, detail, checker, item):
    """DRF's error detail of one row as [{"row", "field", "message"}], in the words of the
    import ("revenue must be at least 0.") rather than DRF's."""
    if not isinstance(detail, dict):
        detail = {NON_FIELD: detail}
    for field, details in detail.items():
        for message in details if isinstance(details, list) else [details]:
            if field == NON_FIELD and getattr(message, "code", None) == "invalid":
                text = stored_messages.render(stored_messages.message(row_messages.NOT_A_ROW))
            else:
                stored = row_messages.serializer_error(
                    field, message, checker.fields.get(field),
                    item.get(field) if isinstance(item, dict) else None)
                text = stored_messages.render(stored) if stored else str(message)
            yield {"row": number, "field": field, "message": text}


def bulk_errors(errors):
    return Response(FigureBulkErrorsSerializer({"errors": errors}).data,
                    status=status.HTTP_400_BAD_REQUEST)


# --- scoring ------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        request=None, responses={201: ScoringRunSerializer},
        summary="Run scoring now",
        description="Re-scores every active customer of the token's tenant with the current "
        "policy and answers the finished run. Admins and executives only."),
)
class ScoringRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Scoring runs, newest first: policy, window, counts, duration, tier counts."""

    queryset = ScoringRun.objects.select_related("policy")
    serializer_class = ScoringRunSerializer
    filterset_fields = ["trigger"]
    ordering_fields = ["started_at", "duration_ms", "changes"]
    write_capability = "run_scoring"

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = scoring.run_scoring(request.tenant, trigger=ScoringRun.Trigger.API,
                                  user=request.user,
                                  as_of=serializer.validated_data.get("as_of", ""))
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)


class TierAssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Each customer's result in each run, with the per-criterion breakdown that explains
    it (newest run first, then by rank)."""

    queryset = TierAssessment.objects.select_related("customer", "run")
    serializer_class = TierAssessmentSerializer
    filterset_fields = ["customer", "run", "tier"]
    ordering_fields = ["run", "rank", "score", "revenue"]
    ordering = ["-run_id", "rank", "id"]


class ScoringPolicyViewSet(HistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Scoring policy versions, newest first; the newest one is in force. Policies are
    never edited: `POST` creates the next version (admins only)."""

    queryset = ScoringPolicy.objects.all()
    serializer_class = ScoringPolicySerializer
    ordering_fields = ["version", "created_at"]
    write_capability = "manage_workspace"

    def perform_create(self, serializer):
        try:
            serializer.instance = services.save_policy_version(
                tenant=self.request.tenant, user=self.request.user,
                values=serializer.validated_data)
        except DjangoValidationError as exc:
            raise DRFValidationError(drf_errors(exc)) from None


# --- regions, relationship map, cadence, plans ------------------------------------


class RegionViewSet(WriteViewSet):
    queryset = Region.objects.all()
    account_path = None
    serializer_class = RegionSerializer
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code"]
    write_capability = "manage_workspace"


class ContactFilter(django_filters.FilterSet):
    counterpart = django_filters.ModelChoiceFilter(queryset=tenant_users)

    class Meta:
        model = Contact
        fields = ["customer", "department", "level", "decision_role", "is_active",
                  "counterpart"]


class ContactViewSet(HistoryMixin, UpsertByKeyMixin, WriteViewSet):
    """People at the customers, placed on the relationship map. By external id:
    `?external_id=`, and `GET|PUT contacts/by-external-id/{external_id}/`."""

    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["name", "title", "email"]
    ordering_fields = ["name", "department", "level", "influence", "strength",
                       "last_contact_on"]

    @upsert_schema("external_id", "contact", ContactSerializer)
    @action(detail=False, methods=["get", "put"],
            url_path=r"by-external-id/(?P<external_id>[^/]+)")
    def by_external_id(self, request, external_id=None):
        return self._by_key(request, "external_id", external_id)


class InteractionFilter(django_filters.FilterSet):
    our_people = django_filters.ModelChoiceFilter(queryset=tenant_users)

    class Meta:
        model = Interaction
        fields = {"customer": ["exact"], "kind": ["exact"], "level": ["exact"],
                  "occurred_on": ["gte", "lte"]}


class InteractionViewSet(WriteViewSet):
    """Visits, reviews, meetings and calls, with our people and their contacts."""

    queryset = Interaction.objects.prefetch_related(
        "our_people", Prefetch("contacts", queryset=Contact.objects.all()))
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    search_fields = ["summary", "next_step"]
    ordering_fields = ["occurred_on", "next_step_on", "created_at"]

    def perform_create(self, serializer):
        self.save(serializer, tenant=self.request.tenant, created_by=self.request.user)


class ServiceStandardViewSet(WriteViewSet):
    """The longest gap allowed between interactions of a type, per tier."""

    queryset = ServiceStandard.objects.all()
    serializer_class = ServiceStandardSerializer
    filterset_fields = ["tier", "kind"]
    ordering_fields = ["tier", "kind", "max_days"]
    write_capability = "manage_workspace"
    account_path = None


class AccountPlanViewSet(HistoryMixin, WriteViewSet):
    """One plan per customer and year, with its initiatives (edit those under
    `initiatives`)."""

    queryset = AccountPlan.objects.prefetch_related(
        Prefetch("initiatives", queryset=Initiative.objects.all()))
    serializer_class = AccountPlanSerializer
    filterset_fields = ["customer", "year"]
    ordering_fields = ["year", "revenue_target", "updated_at"]


class InitiativeFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=tenant_users)
    customer = django_filters.ModelChoiceFilter(field_name="plan__customer",
                                                queryset=Customer.objects.all())

    class Meta:
        model = Initiative
        fields = ["plan", "customer", "status", "owner"]


class InitiativeViewSet(HistoryMixin, WriteViewSet):
    queryset = Initiative.objects.all()
    serializer_class = InitiativeSerializer
    filterset_class = InitiativeFilter
    search_fields = ["title"]
    ordering_fields = ["due_on", "status", "title"]
    account_path = ("plan", "customer")

