"""API filters for satisfaction lists (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.filters import tenant_users
from customers.models import Customer

from . import opl
from .models import Campaign, Invitation, OplItem, OplProposal, Response, Survey


class CampaignFilter(django_filters.FilterSet):
    class Meta:
        model = Campaign
        fields = ["year", "quarter", "status", "template"]


class SurveyFilter(django_filters.FilterSet):
    # Bounded, so an absurd number is a 400 rather than a database overflow.
    year = django_filters.NumberFilter(field_name="campaign__year", min_value=2000,
                                       max_value=2100)
    quarter = django_filters.NumberFilter(field_name="campaign__quarter", min_value=1,
                                          max_value=4)

    class Meta:
        model = Survey
        fields = ["campaign", "customer", "year", "quarter"]


class InvitationFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(field_name="survey__campaign",
                                                queryset=Campaign.objects.all())
    customer = django_filters.ModelChoiceFilter(field_name="survey__customer",
                                                queryset=Customer.objects.all())
    answered = django_filters.BooleanFilter(field_name="responded_at", lookup_expr="isnull",
                                            exclude=True, label=_("Answered"))

    class Meta:
        model = Invitation
        fields = ["survey", "campaign", "customer", "department", "answered"]


class ResponseFilter(django_filters.FilterSet):
    campaign = django_filters.ModelChoiceFilter(field_name="survey__campaign",
                                                queryset=Campaign.objects.all())
    customer = django_filters.ModelChoiceFilter(field_name="survey__customer",
                                                queryset=Customer.objects.all())

    class Meta:
        model = Response
        fields = ["survey", "campaign", "customer", "department", "source"]


class OplItemFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=tenant_users)
    accountable = django_filters.ModelChoiceFilter(queryset=tenant_users)
    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           label=_("Past due and not finished"))
    stale = django_filters.BooleanFilter(method="filter_stale",
                                         label=_("No update for 14 days"))
    active = django_filters.BooleanFilter(method="filter_active",
                                          label=_("Open, in progress or blocked"))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lt")

    class Meta:
        model = OplItem
        fields = ["customer", "owner", "accountable", "status", "source", "priority",
                  "department", "overdue", "stale", "active", "due_before"]

    def filter_overdue(self, queryset, name, value):
        q = opl.overdue_q(self.request.tenant.today())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_stale(self, queryset, name, value):
        return queryset.filter(opl.stale_q()) if value else queryset.exclude(opl.stale_q())

    def filter_active(self, queryset, name, value):
        return (queryset.filter(status__in=opl.ACTIVE) if value
                else queryset.exclude(status__in=opl.ACTIVE))


class OplProposalFilter(django_filters.FilterSet):
    class Meta:
        model = OplProposal
        fields = ["customer", "department", "status"]
