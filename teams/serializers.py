"""API serializers for account teams: fields, types and tenant checks only.

Rules stay in the models' `clean()` (run by `TenantModelSerializer.validate`), in
`teams.services` (writes) and `teams.triangle` / `teams.coefficients`. Foreign keys to
tenant-owned rows are scoped to the request's tenant by the default managers (another
tenant's id is "Invalid pk", 400 naming the field); people must be members of the tenant.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts import roles
from kam.serializers import TenantModelSerializer

from . import services, triangle
from .models import Recognition, Review, Team, TeamMember


@extend_schema_serializer(description=(
    "A member of an account team as shown on the team: who, in which role, since and "
    "until when."))
class MemberBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.__str__", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "user", "name", "role", "allocation", "start_on", "end_on"]
        read_only_fields = fields


@extend_schema_serializer(description=(
    "A customer's account team, its members active today and whether the iron triangle "
    "(AR, SR, FR) is complete."))
class TeamSerializer(TenantModelSerializer):
    members = MemberBriefSerializer(
        source="active_members", many=True, read_only=True,
        help_text=gettext_lazy("The members active today (AR, SR, FR and the supporting "
                               "functions); past and future ones are in team-members."))
    triangle_complete = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("AR, SR and FR are all filled by active "
                                               "members today."))
    missing_roles = serializers.SerializerMethodField(
        help_text=gettext_lazy("The triangle roles without an active member."))
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    tier = serializers.CharField(source="customer.tier", read_only=True)

    unique_messages = {"team_unique_customer": ("customer", gettext_lazy(
        "This customer already has a team."))}

    class Meta:
        model = Team
        fields = ["id", "customer", "customer_name", "tier", "name", "notes", "members",
                  "triangle_complete", "missing_roles", "created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_roles(self, team):
        return triangle.missing_roles(team) if hasattr(team, "has_ar") else []

    def validate_customer(self, value):
        if self.instance is not None and value.pk != self.instance.customer_id:
            raise serializers.ValidationError(_("A team stays with its customer."))
        return value


@extend_schema_serializer(description=(
    "A person's place on an account team: their role and the dates they are on it."))
class TeamMemberSerializer(TenantModelSerializer):
    name = serializers.CharField(source="user.__str__", read_only=True)
    is_active = serializers.SerializerMethodField(
        help_text=gettext_lazy("Active today (started and not ended)."))
    allocation_warning = serializers.SerializerMethodField(
        help_text=gettext_lazy("Set when the person's active allocations add up to more "
                               "than 100 % (a warning; the change is saved)."))

    class Meta:
        model = TeamMember
        fields = ["id", "team", "user", "name", "role", "allocation", "start_on", "end_on",
                  "notes", "is_active", "allocation_warning"]
        extra_kwargs = {"start_on": {"required": False,
                                     "help_text": gettext_lazy("Defaults to today.")}}

    def _today(self):
        return self.context["request"].tenant.today()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_active(self, member):
        return member.is_active_on(self._today())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_allocation_warning(self, member):
        total = (member.user_allocation or 0) if hasattr(member, "user_allocation") else None
        return services.allocation_warning(member.user, self._today(), total)

    def validate_team(self, value):
        if self.instance is not None and value.pk != self.instance.team_id:
            raise serializers.ValidationError(_("A membership stays with its team; end it "
                                                "and add the person to the other team."))
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("start_on"):
            attrs["start_on"] = self._today()
        return super().validate(attrs)


@extend_schema_serializer(description=(
    "A quarterly review of a team member, with its ratings and comments."))
class ReviewSerializer(TenantModelSerializer):
    team = serializers.IntegerField(source="member.team_id", read_only=True)
    user = serializers.IntegerField(source="member.user_id", read_only=True,
                                    help_text=gettext_lazy("The person reviewed."))
    period = serializers.CharField(max_length=6, help_text=gettext_lazy(
        "The quarter reviewed, e.g. 2026Q3; it must have started."))

    class Meta:
        model = Review
        fields = ["id", "member", "team", "user", "period", "reviewer", "objectives",
                  "attainment", *Review.DIMENSIONS, "coefficient", "next_objectives",
                  "comments", "created_at", "updated_at"]
        extra_kwargs = {"reviewer": {"required": False, "help_text": gettext_lazy(
            "The team's AR or the region leader; defaults to you.")}}

    def validate_period(self, value):
        return value.strip().upper()

    def validate_member(self, value):
        if self.instance is not None and value.pk != self.instance.member_id:
            raise serializers.ValidationError(_("A review stays with its member."))
        return value

    def validate(self, attrs):
        request = self.context["request"]
        if self.instance is None and "reviewer" not in attrs:
            attrs["reviewer"] = request.user
        reviewer = attrs.get("reviewer")
        if (reviewer is not None and not roles.allows(request.role, "manage_reviews")
                and reviewer.pk != request.user.pk):
            raise serializers.ValidationError({"reviewer": [_(
                "Record the reviews you give yourself; only an administrator records "
                "another reviewer's.")]})
        return super().validate(attrs)


@extend_schema_serializer(description=(
    "A recognition given to a team member or a team."))
class RecognitionSerializer(TenantModelSerializer):
    unique_messages = {}

    class Meta:
        model = Recognition
        fields = ["id", "kind", "year", "quarter", "team", "user", "citation", "awarded_by",
                  "created_at"]
        read_only_fields = ["awarded_by"]


@extend_schema_serializer(description=(
    "An account team's coefficient for one year, with the figures it is made of."))
class CoefficientSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=3, decimal_places=2)
    member_part = serializers.DecimalField(max_digits=3, decimal_places=2)
    outcome = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    revenue = serializers.DecimalField(max_digits=18, decimal_places=2)
    target = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
