"""The account teams REST API: `teams`, `team-members`, `reviews`, `recognitions`.

Permissions follow the team (`teams.permissions`): every role reads teams and members;
admins create teams; an admin, or an account manager who is an active member of the
team, edits it and its members. Reviews are written by an admin, the team's AR or the
region leader, and each person reads only the reviews `visible_reviews` allows (a team
member: their own). Recognitions: admins and executives.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError

from accounts import roles
from customers.filters import tenant_users
from customers.models import Customer, Region, Tier
from kam.serializers import drf_errors
from kam.viewsets import TenantModelViewSet
from records.history import HistoryMixin

from . import coefficients, permissions, selectors, services
from .models import Recognition, Review, Team, TeamMember, TeamRole, active_on
from .serializers import (
    CoefficientSerializer,
    RecognitionSerializer,
    ReviewSerializer,
    TeamMemberSerializer,
    TeamSerializer,
)


def _service(call, *args, **kwargs):
    """Run a service; its ValidationError becomes a 400 naming the fields."""
    try:
        with transaction.atomic():
            return call(*args, **kwargs)
    except DjangoValidationError as exc:
        raise DRFValidationError(drf_errors(exc)) from None


def _deny(message=None):
    raise PermissionDenied(message or _("Only an administrator or an account manager on "
                                        "this team may change it."))


# --- teams ---------------------------------------------------------------------------


class TeamFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all())
    region = django_filters.ModelChoiceFilter(field_name="customer__region",
                                              queryset=Region.objects.all())
    tier = django_filters.ChoiceFilter(field_name="customer__tier", choices=Tier.choices)
    triangle_complete = django_filters.BooleanFilter()
    member = django_filters.ModelChoiceFilter(queryset=tenant_users, method="filter_member",
                                              label="Active member (user id)")

    class Meta:
        model = Team
        fields = ["customer", "region", "tier", "triangle_complete", "member"]

    @extend_schema_field(OpenApiTypes.INT)
    def filter_member(self, queryset, name, value):
        on_team = TeamMember.objects.filter(active_on(self.request.tenant.today()), user=value)
        return queryset.filter(pk__in=on_team.values("team_id"))


class TeamViewSet(HistoryMixin, TenantModelViewSet):
    """Account teams, one per customer, with the members active today and whether the
    iron triangle (AR, SR, FR) is complete."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    search_fields = ["name", "customer__name", "customer__code"]
    ordering_fields = ["customer__name", "customer__code", "created_at"]
    ordering = ["customer__name", "id"]
    write_capability = "edit_accounts"
    queryset = Team.objects.all()

    def get_queryset(self):
        return selectors.teams(self.request.tenant.today())

    def _reload(self, serializer):
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_create(self, serializer):
        if not roles.allows(self.request.role, "manage_workspace"):
            _deny(_("Only an administrator creates account teams."))
        serializer.instance = _service(services.create_team, tenant=self.request.tenant,
                                       **serializer.validated_data)
        self._reload(serializer)

    def perform_update(self, serializer):
        if not permissions.can_edit_team(self.request, None, serializer.instance):
            _deny()
        _service(services.update_team, serializer.instance, **serializer.validated_data)
        self._reload(serializer)

    def perform_destroy(self, instance):
        if not roles.allows(self.request.role, "manage_workspace"):
            _deny(_("Only an administrator deletes account teams."))
        with transaction.atomic():
            customer = instance.customer
            instance.delete()
            services.sync_owner(customer, today=self.request.tenant.today())

    @extend_schema(responses=CoefficientSerializer(many=True), filters=False,
                   summary="Team coefficient per year",
                   description=f"{coefficients.FORMULA} Newest year first; paginated like "
                   "every list.")
    @action(detail=True, methods=["get"], filter_backends=[])
    def coefficients(self, request, pk=None):
        team = self.get_object()
        by_year = coefficients.team_coefficients([team]).get(team.pk, {})
        rows = self.paginate_queryset([by_year[year] for year in sorted(by_year, reverse=True)])
        return self.get_paginated_response(CoefficientSerializer(rows, many=True).data)


# --- members -------------------------------------------------------------------------


class TeamMemberFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(field_name="team__customer",
                                                queryset=Customer.objects.all())
    user = django_filters.ModelChoiceFilter(queryset=tenant_users)
    role = django_filters.ChoiceFilter(choices=TeamRole.choices)
    active = django_filters.BooleanFilter(method="filter_active", label="Active today")

    class Meta:
        model = TeamMember
        fields = ["team", "customer", "user", "role", "active"]

    def filter_active(self, queryset, name, value):
        active = active_on(self.request.tenant.today())
        return queryset.filter(active) if value else queryset.exclude(active)


class TeamMemberViewSet(HistoryMixin, TenantModelViewSet):
    """Team memberships, past and future included. One active AR, SR and FR per team at a
    time; the AR is the customer's owner (KAM). `allocation_warning` is set when the
    person's active allocations add up to more than 100 %."""

    queryset = TeamMember.objects.select_related("user", "team")
    serializer_class = TeamMemberSerializer
    filterset_class = TeamMemberFilter
    ordering_fields = ["start_on", "end_on", "role", "allocation"]
    ordering = ["team", "role", "start_on", "id"]
    write_capability = "edit_accounts"

    def get_queryset(self):
        return selectors.with_allocation_total(super().get_queryset(),
                                               self.request.tenant.today())

    def perform_create(self, serializer):
        team = serializer.validated_data["team"]
        if not permissions.can_edit_team(self.request, None, team):
            _deny()
        serializer.instance, _warning = _service(
            services.add_member, tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        if not permissions.can_edit_team(self.request, None, serializer.instance.team):
            _deny()
        fields = {k: v for k, v in serializer.validated_data.items() if k != "team"}
        _service(services.update_member, serializer.instance, **fields)

    def perform_destroy(self, instance):
        if not permissions.can_edit_team(self.request, None, instance.team):
            _deny()
        with transaction.atomic():
            customer = instance.team.customer
            instance.delete()
            services.sync_owner(customer, today=self.request.tenant.today())


# --- reviews -------------------------------------------------------------------------


class ReviewFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(field_name="member__team",
                                            queryset=Team.objects.all())
    customer = django_filters.ModelChoiceFilter(field_name="member__team__customer",
                                                queryset=Customer.objects.all())
    user = django_filters.ModelChoiceFilter(field_name="member__user", queryset=tenant_users,
                                            label="Person reviewed")
    year = django_filters.NumberFilter(method="filter_year", min_value=2000, max_value=2100)

    class Meta:
        model = Review
        fields = ["member", "team", "customer", "user", "reviewer", "period", "year"]

    def filter_year(self, queryset, name, value):
        return queryset.filter(period__startswith=str(int(value)))


class ReviewViewSet(TenantModelViewSet):
    """Quarterly reviews of team members. Each person reads the reviews they may see (a
    team member: their own); the team's AR, the region leader or an admin writes them."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["period", "coefficient", "created_at"]
    ordering = ["-period", "id"]
    write_capability = "write_reviews"
    queryset = Review.objects.all()

    def get_queryset(self):
        return selectors.reviews(self.request.user, self.request.role)

    def perform_create(self, serializer):
        team = serializer.validated_data["member"].team
        if not permissions.can_review(self.request, None, team):
            _deny(_("Only the team's AR, the region leader or an administrator reviews "
                    "its members."))
        serializer.instance = _service(services.create_review, tenant=self.request.tenant,
                                       **serializer.validated_data)

    def perform_update(self, serializer):
        if not permissions.can_review(self.request, None, serializer.instance.member.team):
            _deny(_("Only the team's AR, the region leader or an administrator reviews "
                    "its members."))
        fields = {k: v for k, v in serializer.validated_data.items() if k != "member"}
        _service(services.update_review, serializer.instance, **fields)

    def perform_destroy(self, instance):
        if not roles.allows(self.request.role, "manage_reviews"):
            _deny(_("Only an administrator deletes reviews."))
        instance.delete()


# --- recognitions --------------------------------------------------------------------


class RecognitionFilter(django_filters.FilterSet):
    user = django_filters.ModelChoiceFilter(queryset=tenant_users)

    class Meta:
        model = Recognition
        fields = ["kind", "year", "quarter", "team", "user"]


class RecognitionViewSet(TenantModelViewSet):
    """Quarterly awards (to a person or a team) and the annual best team."""

    queryset = Recognition.objects.select_related("team", "user", "awarded_by")
    serializer_class = RecognitionSerializer
    filterset_class = RecognitionFilter
    ordering_fields = ["year", "quarter", "created_at"]
    ordering = ["-year", "-quarter", "-id"]
    write_capability = "give_recognition"

    def perform_create(self, serializer):
        serializer.instance = _service(services.create_recognition, tenant=self.request.tenant,
                                       awarded_by=self.request.user,
                                       **serializer.validated_data)

    def perform_update(self, serializer):
        _service(services.update_recognition, serializer.instance, **serializer.validated_data)
