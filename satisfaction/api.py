"""The satisfaction REST API (`/api/v1/…`): thin viewsets over services, selectors and
the rules modules.

Write roles: admins edit survey templates; admins and account managers run campaigns
and enter responses; OPL items are created by admins and account managers and updated
by whoever `satisfaction.opl` allows (their owner, the accountable KAM, executives for
verification). Every role of the tenant reads.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response as ApiResponse
from rest_framework.settings import api_settings

from accounts import roles
from kam.api import CapabilityPermission
from kam.serializers import drf_errors
from kam.viewsets import TenantModelViewSet

from . import opl, selectors, services
from .filters import (
    CampaignFilter,
    InvitationFilter,
    OplItemFilter,
    OplProposalFilter,
    ResponseFilter,
    SurveyFilter,
)
from .models import (
    Answer,
    Campaign,
    Invitation,
    OplItem,
    OplProposal,
    OplUpdate,
    Question,
    Response,
    Survey,
    SurveyTemplate,
)
from .serializers import (
    CampaignOpenSerializer,
    CampaignSerializer,
    InvitationNewLinkSerializer,
    InvitationSerializer,
    OplItemSerializer,
    OplProposalSerializer,
    OplUpdateSerializer,
    QuestionSerializer,
    ResponseInputSerializer,
    ResponseSerializer,
    SurveySerializer,
    SurveyTemplateSerializer,
)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def as_drf(exc):
    return DRFValidationError(drf_errors(exc))


def atomic_save(serializer, **kwargs):
    try:
        with transaction.atomic():
            return serializer.save(**kwargs)
    except DjangoValidationError as exc:
        raise as_drf(exc) from None
    except IntegrityError:
        raise DRFValidationError({NON_FIELD: [_(
            "Another change to the same data was saved at the same time; try again.")]}
        ) from None


class WriteViewSet(TenantModelViewSet):
    def perform_create(self, serializer):
        atomic_save(serializer, tenant=self.request.tenant)

    def perform_update(self, serializer):
        atomic_save(serializer)


# --- templates -------------------------------------------------------------------------

class SurveyTemplateViewSet(WriteViewSet):
    """Survey templates with their questions (edit questions at `survey-questions`)."""

    queryset = SurveyTemplate.objects.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position", "id")))
    serializer_class = SurveyTemplateSerializer
    filterset_fields = ["is_active", "scale_max"]
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]
    write_capability = "manage_workspace"

    def perform_destroy(self, instance):
        if Campaign.objects.filter(template=instance).exists():
            raise DRFValidationError({NON_FIELD: [_(
                "Campaigns use this template; deactivate it instead.")]})
        instance.delete()


class QuestionViewSet(WriteViewSet):
    """A template's questions: dimension, departments, weight, texts in both languages."""

    queryset = Question.objects.all()
    serializer_class = QuestionSerializer
    filterset_fields = ["template", "dimension", "is_active"]
    ordering_fields = ["position", "code"]
    ordering = ["template", "position", "id"]
    write_capability = "manage_workspace"

    def perform_destroy(self, instance):
        if Answer.objects.filter(question=instance).exists():
            raise DRFValidationError({NON_FIELD: [_(
                "This question has answers; deactivate it instead.")]})
        instance.delete()


# --- campaigns -------------------------------------------------------------------------

@extend_schema_view(
    create=extend_schema(description="A draft campaign for a quarter. `customers` defaults "
                         "to the active A and B tier customers."),
    destroy=extend_schema(description="Deletes a draft campaign (400 for open or closed)."),
)
class CampaignViewSet(WriteViewSet):
    """Quarterly campaigns: draft → open → closed."""

    queryset = Campaign.objects.select_related("template").prefetch_related("customers")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    ordering_fields = ["year", "quarter", "created_at"]
    ordering = ["-year", "-quarter", "id"]
    write_capability = "run_surveys"

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        try:
            serializer.instance = services.create_campaign(
                self.request.tenant, user=self.request.user, customers=data.pop("customers",
                                                                                  None), **data)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        except IntegrityError:
            raise DRFValidationError({"quarter": [_(
                "There is already a campaign for this quarter.")]}) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = services.update_campaign(
                serializer.instance, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        except IntegrityError:
            raise DRFValidationError({"quarter": [_(
                "There is already a campaign for this quarter.")]}) from None

    def perform_destroy(self, instance):
        if instance.status != Campaign.Status.DRAFT:
            raise DRFValidationError({"status": [_("Only a draft campaign can be deleted.")]})
        instance.delete()

    @extend_schema(request=None, responses={200: CampaignOpenSerializer},
                   summary="Open the campaign",
                   description="Creates one survey per included customer and one invitation "
                   "per department the template asks, e-mails the links to contacts with an "
                   "address (once the campaign is open, each e-mail with a link of its own), "
                   "and answers every other link. The raw links are in this answer only.")
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        campaign = self.get_object()
        try:
            result = services.open_campaign(campaign, user=request.user, email_links=True)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        campaign = self.get_queryset().get(pk=campaign.pk)
        links = [{"id": inv.pk, "survey": inv.survey_id, "customer": inv.survey.customer_id,
                  "department": inv.department, "contact": inv.contact_id,
                  "emailed": raw is None,
                  "url": request.build_absolute_uri(services.respond_path(raw)) if raw else None}
                 for inv, raw in [*result.links, *((inv, None) for inv in result.emailing)]]
        return ApiResponse(CampaignOpenSerializer({
            "campaign": campaign, "surveys": result.surveys, "emailed": result.emailed,
            "invitations": links}, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: CampaignSerializer},
                   summary="Close the campaign",
                   description="Ends the campaign; its invitation links stop working.")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        campaign = self.get_object()
        try:
            services.close_campaign(campaign, user=request.user)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        return ApiResponse(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)


class SurveyViewSet(viewsets.ReadOnlyModelViewSet):
    """One survey per customer and campaign, with its satisfaction `index` and `nps`."""

    queryset = Survey.objects.select_related("campaign")
    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    ordering_fields = ["created_at", "customer"]
    ordering = ["-campaign__year", "-campaign__quarter", "customer_id", "id"]

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            page = selectors.attach_survey_figures(page)
        return page

    def get_object(self):
        survey = super().get_object()
        selectors.attach_survey_figures([survey])
        return survey


class InvitationViewSet(viewsets.ReadOnlyModelViewSet):
    """Invitations (one per customer department and survey). The raw token is never
    stored; `POST invitations/{id}/link/` replaces it and answers the new link once."""

    queryset = Invitation.objects.select_related("survey")
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "expires_at", "responded_at"]
    ordering = ["survey_id", "department", "id"]
    write_capability = "run_surveys"

    @extend_schema(request=None, responses={200: InvitationNewLinkSerializer},
                   summary="Issue a new link",
                   description="Replaces the invitation's token (the old link stops working) "
                   "and answers the new link, once. Only while the campaign is open; "
                   "admins, and account managers on the account's team.")
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        invitation = self.get_object()
        # The same rule as the survey page's "new link": the account's team and admins.
        if not roles.can_edit_account(request, None, invitation.survey.customer):
            raise PermissionDenied(_("Only the account's team and administrators reissue "
                                     "its survey links."))
        try:
            raw = services.reissue_invitation(invitation)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        return ApiResponse(InvitationNewLinkSerializer({
            "id": invitation.pk,
            "url": request.build_absolute_uri(services.respond_path(raw))}).data)


@extend_schema_view(
    create=extend_schema(
        request=ResponseInputSerializer, responses={201: ResponseSerializer},
        description="Answers given to an outside agency or collected by staff. Every answer "
        "is checked (on the scale, asked of the department, required ones present); any "
        "error and nothing is saved. Replaces the department's earlier answers."),
)
class ResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Responses: one per survey and department, with their answers."""

    queryset = Response.objects.prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("question__position", "id")))
    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter
    ordering_fields = ["submitted_at"]
    ordering = ["-submitted_at", "-id"]
    write_capability = "run_surveys"

    def create(self, request, *args, **kwargs):
        data = ResponseInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        survey = values["survey"]
        if not roles.can_edit_account(request, None, survey.customer):
            raise PermissionDenied(_("Only the account's team and administrators enter its "
                                     "answers."))
        scores, comments = {}, {}
        for answer in values["answers"]:
            if answer["question"] in scores:
                raise DRFValidationError({"answers": [_("Question %(id)s is answered twice.")
                                                      % {"id": answer["question"]}]})
            scores[answer["question"]] = answer["score"]
            comments[answer["question"]] = answer.get("comment", "")
        try:
            services.check_staff_entry(survey)
            response = services.save_response(
                survey, department=values["department"], scores=scores, answer_comments=comments,
                recommend=values.get("recommend"), comment=values.get("comment", ""),
                respondent=values.get("respondent", ""), source=values["source"],
                user=request.user, language=getattr(request, "LANGUAGE_CODE", "en"))
        except DjangoValidationError as exc:
            raise DRFValidationError(answer_errors(exc)) from None
        except IntegrityError:
            raise DRFValidationError({NON_FIELD: [_(
                "Another change to the same data was saved at the same time; try again.")]}
            ) from None
        response = self.get_queryset().get(pk=response.pk)
        return ApiResponse(ResponseSerializer(response).data, status=status.HTTP_201_CREATED)


def answer_errors(exc):
    """Service errors keyed `q_<id>` become messages under `answers` naming the question."""
    errors = drf_errors(exc)
    result = {}
    for name, messages in errors.items():
        if name.startswith("q_"):
            result.setdefault("answers", []).extend(
                f"{_('Question')} {name[2:]}: {message}" for message in messages)
        else:
            result[name] = messages
    return result


# --- the OPL ---------------------------------------------------------------------------

class OplPermission(CapabilityPermission):
    """Writes need a role that can write and, on an item, the OPL rules' consent."""

    def has_object_permission(self, request, view, obj):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        item = obj if isinstance(obj, OplItem) else obj.item
        return opl.can_update(item, request.user, request.role)


@extend_schema_view(
    create=extend_schema(description="A new OPL item (admins and account managers). Its "
                         "status starts `open`; the accountable KAM defaults to the "
                         "customer's owner."),
    partial_update=extend_schema(description="Changes fields and, through `status`, moves "
                                 "the item along its flow (logged as an update)."),
)
class OplItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     viewsets.GenericViewSet):
    """The open point list, with `overdue` and `stale` computed in the query."""

    serializer_class = OplItemSerializer
    filterset_class = OplItemFilter
    permission_classes = [OplPermission]
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "priority", "status", "opened_on", "last_update_at"]
    ordering = ["due_date", "id"]
    write_capability = "work_opl_items"

    def get_queryset(self):
        tenant = getattr(self.request, "tenant", None)
        queryset = OplItem.objects.select_related("customer")
        if tenant is None:  # schema generation
            return queryset
        return opl.annotate_flags(queryset, today=tenant.today())

    def create(self, request, *args, **kwargs):
        if not roles.allows(request.role, "create_opl_items"):
            raise PermissionDenied(_("Your role does not allow creating OPL items."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        status_ = data.pop("status", OplItem.Status.OPEN)
        if status_ != OplItem.Status.OPEN:
            raise DRFValidationError({"status": [_("A new item starts open.")]})
        data.pop("status_reason", None)
        if not opl.can_create_for(request.user, request.role, data.get("customer")):
            raise PermissionDenied(_("Only the account's team and administrators open its "
                                     "OPL items."))
        try:
            item = services.create_item(request.tenant, user=request.user, **data)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        item = self.get_queryset().get(pk=item.pk)
        return ApiResponse(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        new_status = data.pop("status", None)
        reason = data.pop("status_reason", None)
        changed = {k: v for k, v in data.items() if getattr(item, k) != v}
        if changed and not opl.can_edit(item, request.user, request.role):
            raise PermissionDenied(_("You may only verify this item."))
        if "customer" in changed and not opl.can_create_for(request.user, request.role,
                                                            changed["customer"]):
            raise PermissionDenied(_("Only the account's team and administrators open its "
                                     "OPL items."))
        try:
            with transaction.atomic():
                services.update_item(
                    OplItem.objects.select_for_update().get(pk=item.pk), user=request.user,
                    role=request.role, status=new_status,
                    status_reason=reason or "",
                    **changed)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        return ApiResponse(self.get_serializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(methods=["GET"], request=None, responses={200: OplUpdateSerializer(many=True)},
                   summary="The item's progress log", description="Newest first.")
    @extend_schema(methods=["POST"], request=OplUpdateSerializer,
                   responses={201: OplUpdateSerializer},
                   summary="Add a progress update",
                   description="A note and % done; `status` optionally moves the item "
                   "(verification needs the accountable KAM, an executive or an admin).")
    @action(detail=True, methods=["get", "post"], serializer_class=OplUpdateSerializer,
            filterset_class=None, search_fields=[], ordering_fields=[], ordering=None)
    def updates(self, request, pk=None):
        item = self.get_object()
        if request.method == "GET":
            log = OplUpdate.objects.filter(item=item).order_by("-created_at", "-id")
            page = self.paginate_queryset(log)
            return self.get_paginated_response(OplUpdateSerializer(page, many=True).data)
        serializer = OplUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                update = services.add_update(
                    OplItem.objects.select_for_update().get(pk=item.pk), user=request.user,
                    role=request.role, note=data["note"], progress=data["progress"],
                    status=data.get("status"), status_reason=data.get("status_reason", ""),
                    verification=data.get("verification", ""))
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        return ApiResponse(OplUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


class OplProposalViewSet(viewsets.ReadOnlyModelViewSet):
    """OPL items proposed by low survey answers (≤ 60 % of the scale) and by drops of an
    account's health band."""

    queryset = OplProposal.objects.select_related("answer", "customer")
    serializer_class = OplProposalSerializer
    filterset_class = OplProposalFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    write_capability = "create_opl_items"

    @extend_schema(request=None, responses={201: OplItemSerializer},
                   summary="Accept: open the proposed item",
                   description="Opens an OPL item pre-filled from the answer (owner and "
                   "accountable KAM: the customer's owner; due by priority).")
    def get_decidable_object(self):
        proposal = self.get_object()
        if not opl.can_create_for(self.request.user, self.request.role, proposal.customer):
            raise PermissionDenied(_("Only the account's team and administrators decide its "
                                     "proposals."))
        return proposal

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        proposal = self.get_decidable_object()
        fields = services.proposal_defaults(proposal, request.tenant.today())
        try:
            item = services.accept_proposal(proposal, user=request.user, **fields)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        item = opl.annotate_flags(OplItem.objects.select_related("customer"),
                                  today=request.tenant.today()).get(pk=item.pk)
        return ApiResponse(OplItemSerializer(item, context=self.get_serializer_context()).data,
                           status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OplProposalSerializer},
                   summary="Dismiss the proposal")
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        proposal = self.get_decidable_object()
        try:
            services.dismiss_proposal(proposal, user=request.user)
        except DjangoValidationError as exc:
            raise as_drf(exc) from None
        return ApiResponse(OplProposalSerializer(proposal).data)


