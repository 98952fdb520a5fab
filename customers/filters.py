"""Filters for customer lists, shared by the list page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.selectors import tenant_members

from .models import Customer, LifecycleStage, PeriodFigure, Region, Tier

TIER_CHOICES = [*Tier.choices, ("none", _("No tier"))]

def tenant_users(request):
    # Evaluated per request: the people who are members of the current workspace.
    return tenant_members(request.tenant)


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    tier = django_filters.ChoiceFilter(choices=TIER_CHOICES, method="filter_tier",
                                       label=_("Tier"))
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices,
                                                  label=_("Stage"))
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label=_("Region"))
    owner = django_filters.ModelChoiceFilter(queryset=tenant_users, label=_("Owner"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Customer
        fields = ["q", "tier", "lifecycle_stage", "region", "owner", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)
                               | Q(city__icontains=value))

    def filter_tier(self, queryset, name, value):
        return queryset.filter(tier="") if value == "none" else queryset.filter(tier=value)


class PeriodFigureFilter(django_filters.FilterSet):
    customer_code = django_filters.CharFilter(field_name="customer__code")
    period_from = django_filters.CharFilter(field_name="period", lookup_expr="gte")
    period_to = django_filters.CharFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = PeriodFigure
        fields = ["customer", "customer_code", "period", "period_from", "period_to"]
