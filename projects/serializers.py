"""API serializers for programmes: field lists, types and tenant checks; the rules stay in
`projects.services` (writes, history) and `projects.rag` (colours).

The serializer context carries `on` (the date RAG is judged on) and `policy` (the tenant's
RAG settings); the viewsets put them there.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.selectors import WORK
from kam.serializers import (
    AssignableMemberField,
    BlankChoicesAsNull,
    ShowsUpdatedAt,
    TenantModelSerializer,
)

from . import rag, selectors, services
from .models import (
    Milestone,
    MilestoneChange,
    PpapElement,
    PpapRequirement,
    Programme,
    Risk,
    validate_business_date,
)

RAG_CHOICES = rag.Rag.choices


def _judging(context):
    return context.get("on"), context.get("policy") or rag.RagPolicy()


class BusinessDateField(serializers.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [])
        kwargs["validators"].append(validate_business_date)
        super().__init__(**kwargs)


@extend_schema_serializer(description=(
    "An APQP programme for a customer: code, name, vehicle, start of production, stage "
    "and its RAG."))
class ProgrammeSerializer(TenantModelSerializer):
    rag = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Worst colour of the open milestones on `as_of` (default today); null when none "
        "is open or the programme is lost or closed."))
    rag_reason = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Why: the worst open milestone and its colour's reason."))
    project_manager = AssignableMemberField(for_=WORK, allow_null=True, required=False)

    unique_messages = {"programme_unique_code": ("code", gettext_lazy(
        "A programme with this code already exists."))}

    class Meta:
        model = Programme
        fields = ["id", "customer", "code", "name", "vehicle", "part_family", "annual_volume",
                  "lifetime_value", "project_manager", "stage", "nomination_date", "sop_date",
                  "ppap_level", "notes", "rag", "rag_reason", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"sop_date": {"help_text": gettext_lazy(
            "Set when the programme is created (its milestones are dated from it); later "
            "it follows the SOP milestone's customer date.")}}

    def _worst(self, programme):
        if not hasattr(programme, "rag_milestone"):
            on, policy = _judging(self.context)
            selectors.attach_programme_rag([programme], on or programme.tenant.today(),
                                           policy)
        return programme.rag, programme.rag_milestone

    @extend_schema_field(serializers.ChoiceField(choices=RAG_CHOICES, allow_null=True))
    def get_rag(self, programme):
        return self._worst(programme)[0]

    @extend_schema_field(OpenApiTypes.STR)
    def get_rag_reason(self, programme):
        colour, milestone = self._worst(programme)
        if milestone is None:
            return ""
        return f"{milestone.label}: {milestone.rag_reason}"

    def validate(self, attrs):
        if (self.instance is not None and "sop_date" in attrs
                and attrs["sop_date"] != self.instance.sop_date):
            raise serializers.ValidationError({"sop_date": _(
                "Re-date the SOP milestone (with the reason) to move SOP.")})
        return super().validate(attrs)

    def create(self, validated_data):
        return services.create_programme(**validated_data)

    def update(self, instance, validated_data):
        return services.update_programme(instance, **validated_data)


@extend_schema_serializer(description=(
    "A milestone of a programme: the customer's planned date, forecast and actual dates, "
    "status, progress and RAG."))
class MilestoneSerializer(ShowsUpdatedAt, BlankChoicesAsNull, serializers.ModelSerializer):
    rag = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Colour on `as_of` (default today), see the RAG rules."))
    rag_reason = serializers.SerializerMethodField()
    owner = AssignableMemberField(for_=WORK, allow_null=True, required=False)
    planned_date = BusinessDateField(help_text=gettext_lazy("The customer's date."))
    forecast_date = BusinessDateField(required=False, allow_null=True)
    actual_date = BusinessDateField(required=False, allow_null=True, help_text=gettext_lazy(
        "Required when done; not in the future."))
    psw_interim_expires_on = BusinessDateField(required=False, allow_null=True)
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2000,
        help_text=gettext_lazy("Why: required when `planned_date` moves or a done milestone "
                               "is reopened; kept in the history."))

    class Meta:
        model = Milestone
        fields = ["id", "programme", "kind", "name", "planned_date", "forecast_date",
                  "actual_date", "status", "progress", "owner", "psw_disposition",
                  "psw_interim_expires_on", "notes", "rag", "rag_reason", "reason",
                  "created_at"]
        read_only_fields = ["created_at"]

    @extend_schema_field(serializers.ChoiceField(choices=RAG_CHOICES))
    def get_rag(self, milestone):
        on, policy = _judging(self.context)
        return rag.milestone_rag(milestone, on or milestone.tenant.today(), policy).rag

    @extend_schema_field(OpenApiTypes.STR)
    def get_rag_reason(self, milestone):
        on, policy = _judging(self.context)
        return rag.milestone_rag(milestone, on or milestone.tenant.today(), policy).reason

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("programme", "kind"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: _("This cannot change; remove the milestone and add another.")})
        return attrs

    def create(self, validated_data):
        validated_data.pop("reason", None)
        validated_data.pop("tenant", None)
        programme = validated_data.pop("programme")
        return services.add_milestone(programme, **validated_data)

    def update(self, instance, validated_data):
        reason = validated_data.pop("reason", "")
        user = validated_data.pop("user", None)
        for name in ("programme", "kind", "tenant"):
            validated_data.pop(name, None)
        changes = {name: value for name, value in validated_data.items()
                   if getattr(instance, name) != value}
        services.update_milestone(instance, user=user, reason=reason, **changes)
        return instance


@extend_schema_serializer(description=(
    "One change of a milestone: who changed which field, from what to what, when and why."))
class MilestoneChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MilestoneChange
        fields = ["id", "milestone", "field", "old_value", "new_value", "reason",
                  "changed_by", "changed_at"]
        read_only_fields = fields


@extend_schema_serializer(description=(
    "One milestone to re-date, with its new customer and/or forecast date."))
class RedateItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("Milestone id."))
    planned_date = BusinessDateField(required=False)
    forecast_date = BusinessDateField(required=False, allow_null=True)


@extend_schema_serializer(description=(
    "Milestones to re-date together, with one reason."))
class RedateSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000, required=False,
                                   default="", help_text=gettext_lazy(
                                       "Why; required when any customer date moves."))
    items = RedateItemSerializer(many=True, allow_empty=False, max_length=500)


@extend_schema_serializer(description=(
    "How many milestones a re-dating changed."))
class RedateResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text=gettext_lazy("Changes recorded."))


@extend_schema_serializer(description=(
    "A programme risk: probability, impact, score, mitigation, owner and status."))
class RiskSerializer(TenantModelSerializer):
    owner = AssignableMemberField(for_=WORK, allow_null=True, required=False)
    due_date = BusinessDateField(required=False, allow_null=True)
    severity = serializers.ChoiceField(
        source="level", choices=[("low", "low"), ("medium", "medium"), ("high", "high")],
        read_only=True, help_text=gettext_lazy("From the score: low ≤ 4, medium 5–12, high "
                                               "≥ 15."))

    class Meta:
        model = Risk
        fields = ["id", "programme", "title", "category", "probability", "impact", "score",
                  "severity", "mitigation", "owner", "due_date", "status", "created_at",
                  "updated_at"]
        read_only_fields = ["score", "created_at", "updated_at"]


@extend_schema_serializer(description=(
    "One of a programme's 18 PPAP elements: what the submission level asks for it, its "
    "status and owner."))
class PpapElementSerializer(TenantModelSerializer):
    requirement = serializers.ChoiceField(
        choices=PpapRequirement.choices, read_only=True, help_text=gettext_lazy(
            "What the programme's submission level asks for this element (AIAG table)."))
    owner = AssignableMemberField(for_=WORK, allow_null=True, required=False)

    class Meta:
        model = PpapElement
        fields = ["id", "programme", "element", "requirement", "status", "owner", "notes",
                  "updated_at"]
        read_only_fields = ["programme", "element", "updated_at"]
