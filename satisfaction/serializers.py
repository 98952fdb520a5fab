"""API serializers for satisfaction and the OPL: fields, types and tenant checks only.

Rules stay in `satisfaction.services`, `satisfaction.opl` and `satisfaction.index`.
Foreign keys to tenant-owned rows are scoped to the request's tenant by the default
managers (another tenant's id is "Invalid pk", 400); user fields accept tenant members.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.selectors import KAM, WORK
from customers.models import Customer, Department
from kam.serializers import (
    AssignableMemberField,
    BlankChoicesAsNull,
    ShowsUpdatedAt,
    TenantModelSerializer,
)

from .models import (
    NPS_MAX,
    NPS_MIN,
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

INDEX_HELP = _("Satisfaction index 0–100 over the answered questions; null without answers.")


@extend_schema_serializer(description=(
    "A survey question: dimension, departments asked, weight and its texts in English and "
    "Chinese."))
class QuestionSerializer(TenantModelSerializer):
    departments = serializers.ListField(
        child=serializers.ChoiceField(choices=Department.choices), min_length=1,
        max_length=len(Department.values),
        help_text=_("The customer departments that answer it."))

    unique_messages = {"question_unique_code": ("code", _(
        "Another question of this template has this code."))}

    class Meta:
        model = Question
        fields = ["id", "template", "code", "dimension", "text_en", "text_zh", "departments",
                  "weight", "is_required", "position", "is_active"]

    def validate_departments(self, value):
        return list(dict.fromkeys(value))


@extend_schema_serializer(description=(
    "A satisfaction survey template: its scale and its questions."))
class SurveyTemplateSerializer(TenantModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    unique_messages = {"survey_template_unique_name": ("name", _(
        "A template with this name already exists."))}

    class Meta:
        model = SurveyTemplate
        fields = ["id", "name", "description", "scale_max", "ask_recommend", "is_active",
                  "created_at", "questions"]
        read_only_fields = ["created_at"]


@extend_schema_serializer(description=(
    "A quarterly satisfaction campaign (draft, open or closed), its template and "
    "customers."))
class CampaignSerializer(TenantModelSerializer):
    period = serializers.CharField(read_only=True, help_text=_("e.g. 2026Q3"))
    customers = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Customer.objects.all(), required=False,
        help_text=_("Customers to survey (draft only); default: the active A and B tiers."))

    unique_messages = {"campaign_unique_quarter": ("quarter", _(
        "There is already a campaign for this quarter."))}

    class Meta:
        model = Campaign
        fields = ["id", "year", "quarter", "period", "status", "template", "closes_on",
                  "customers", "note", "opened_at", "closed_at", "created_at"]
        read_only_fields = ["status", "opened_at", "closed_at", "created_at"]


@extend_schema_serializer(description=(
    "A survey invitation of a campaign just opened: whether its link was e-mailed, else "
    "the link."))
class InvitationLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survey = serializers.IntegerField()
    customer = serializers.IntegerField()
    department = serializers.ChoiceField(choices=Department.choices)
    contact = serializers.IntegerField(allow_null=True)
    emailed = serializers.BooleanField()
    url = serializers.URLField(allow_null=True, help_text=_(
        "The respondent's link. Shown only in this answer; null for a link that is "
        "e-mailed to the contact (the e-mail carries a link of its own)."))


@extend_schema_serializer(description=(
    "A campaign just opened: the surveys and invitations it made and the e-mails it sent."))
class CampaignOpenSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    surveys = serializers.IntegerField()
    emailed = serializers.IntegerField()
    invitations = InvitationLinkSerializer(many=True)


@extend_schema_serializer(description=(
    "A customer's survey in a campaign, with its satisfaction index and NPS."))
class SurveySerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    index = serializers.FloatField(read_only=True, allow_null=True, help_text=INDEX_HELP)
    nps = serializers.FloatField(read_only=True, allow_null=True,
                                 help_text=_("B2B NPS −100…100; null when nobody answered."))
    responses = serializers.IntegerField(source="n_responses", read_only=True)
    period = serializers.CharField(source="campaign.period", read_only=True)

    class Meta:
        model = Survey
        fields = ["id", "campaign", "period", "customer", "scale_max", "index", "nps",
                  "responses", "created_at"]
        read_only_fields = fields


@extend_schema_serializer(description=(
    "The invitation of one customer department to answer a survey, and its state."))
class InvitationSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    customer = serializers.IntegerField(source="survey.customer_id", read_only=True)
    state = serializers.SerializerMethodField(
        help_text=_('"answered", "expired", "revoked" or "waiting".'))

    class Meta:
        model = Invitation
        fields = ["id", "survey", "customer", "department", "contact", "language",
                  "expires_at", "sent_at", "responded_at", "created_at", "state"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(
        choices=["answered", "expired", "revoked", "waiting"]))
    def get_state(self, invitation):
        if invitation.responded_at:
            return "answered"
        if invitation.revoked_at:
            return "revoked"
        if invitation.expires_at <= timezone.now():
            return "expired"
        return "waiting"


@extend_schema_serializer(description=(
    "A survey invitation's new link, shown only once."))
class InvitationNewLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text=_("The new link; the previous one no longer works. "
                                           "Shown only in this answer."))


@extend_schema_serializer(description=(
    "The score given to one question of a survey response."))
class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ["question", "dimension", "weight", "score", "scale_min", "scale_max",
                  "comment"]
        read_only_fields = fields


@extend_schema_serializer(component_name="SurveyResponse", description=(
    "A customer department's answers to a survey, how they were given and by whom."))
class ResponseSerializer(ShowsUpdatedAt, serializers.ModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Response
        fields = ["id", "survey", "invitation", "department", "source", "respondent",
                  "language", "recommend", "comment", "entered_by", "submitted_at", "answers"]
        read_only_fields = fields


@extend_schema_serializer(description=(
    "The score (and an optional comment) for one question."))
class AnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    score = serializers.IntegerField(min_value=0, max_value=100,
                                     help_text=_("On the survey's scale (1–5 or 1–10)."))
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


@extend_schema_serializer(description=(
    "A department's answers entered by staff, replacing the ones it gave before."))
class ResponseInputSerializer(serializers.Serializer):
    """Answers entered by staff (e.g. given to an outside agency); they replace any answers
    the department already has in that survey."""

    survey = serializers.PrimaryKeyRelatedField(queryset=Survey.objects.all())
    department = serializers.ChoiceField(choices=Department.choices)
    source = serializers.ChoiceField(choices=[Response.Source.AGENCY, Response.Source.STAFF],
                                     default=Response.Source.AGENCY)
    respondent = serializers.CharField(max_length=120, required=False, allow_blank=True)
    recommend = serializers.IntegerField(min_value=NPS_MIN, max_value=NPS_MAX, required=False,
                                         allow_null=True)
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    answers = AnswerInputSerializer(many=True, max_length=200)


@extend_schema_serializer(description=(
    "An item of the open point list: a customer's issue, its owner, due date, status and "
    "progress, and whether it is overdue or stale."))
class OplItemSerializer(TenantModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    overdue = serializers.SerializerMethodField(
        help_text=_("Past its due date and not done, verified or cancelled."))
    stale = serializers.SerializerMethodField(
        help_text=_("Open, in progress or blocked with no update for 14 days."))
    status = serializers.ChoiceField(
        choices=OplItem.Status.choices, required=False,
        help_text=_("open → in_progress → done → verified; blocked and cancelled need "
                    "`status_reason`; verified needs `verification` and the accountable "
                    "KAM, an executive or an admin."))
    owner = AssignableMemberField(for_=WORK, allow_null=True, required=False)
    accountable = AssignableMemberField(for_=KAM, allow_null=True, required=False, help_text=_(
        "The accountable KAM; defaults to the customer's owner."))

    class Meta:
        model = OplItem
        fields = ["id", "customer", "customer_name", "source", "answer", "title",
                  "description", "department", "priority", "owner", "accountable",
                  "opened_on", "due_date", "status", "status_reason", "root_cause", "action",
                  "verification", "progress", "overdue", "stale", "verified_by",
                  "verified_at", "closed_on", "last_update_at", "created_at", "updated_at"]
        read_only_fields = ["opened_on", "progress", "verified_by", "verified_at", "closed_on",
                            "last_update_at", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, item):
        return bool(getattr(item, "is_overdue", False))

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stale(self, item):
        return bool(getattr(item, "is_stale", False))

    def candidate(self, attrs):
        # The status moves through the OPL rules in the service, not through clean().
        attrs = {k: v for k, v in attrs.items() if k != "status"}
        return super().candidate(attrs)


@extend_schema_serializer(description=(
    "A progress update of an OPL item: a note, % done and the status change it made, if "
    "any."))
class OplUpdateSerializer(ShowsUpdatedAt, BlankChoicesAsNull, serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=OplItem.Status.choices, required=False, write_only=True,
        help_text=_("Move the item to this status with the update (optional)."))
    status_reason = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                          max_length=4000)
    verification = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                         max_length=4000)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField(max_length=10000)

    class Meta:
        model = OplUpdate
        fields = ["id", "item", "author", "note", "progress", "status", "status_reason",
                  "verification", "status_from", "status_to", "created_at"]
        read_only_fields = ["id", "item", "author", "status_from", "status_to", "created_at"]


@extend_schema_serializer(description=(
    "An OPL item proposed by a low survey answer (`answer`) or by a drop of the account's "
    "health band in a week (`week`), waiting to be accepted or dismissed."))
class OplProposalSerializer(ShowsUpdatedAt, BlankChoicesAsNull, serializers.ModelSerializer):
    # Null for a health drop's proposal, which has no answer.
    score = serializers.IntegerField(source="answer.score", read_only=True, allow_null=True)
    scale_max = serializers.IntegerField(source="answer.scale_max", read_only=True,
                                         allow_null=True)

    class Meta:
        model = OplProposal
        fields = ["id", "source", "answer", "week", "customer", "department", "title",
                  "description", "score", "scale_max", "status", "item", "decided_by",
                  "decided_at", "created_at"]
        read_only_fields = fields
