"""The dashboard's filters (region, tier, owner), shared by the page and the API: they
narrow the base customer queryset every panel starts from. And the customer list's
filters with account health (page and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.filters import TIER_CHOICES, CustomerFilter, tenant_users
from customers.models import Customer, Region

from . import derived
from .models import HealthSnapshot

HEALTH_CHOICES = [("good", _("Good (75–100)")), ("watch", _("Watch (50–74)")),
                  ("at_risk", _("At risk (0–49)")), ("no_data", _("No data yet"))]


class DashboardFilter(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label=_("Region"))
    tier = django_filters.ChoiceFilter(choices=TIER_CHOICES, method="filter_tier",
                                       label=_("Tier"))
    owner = django_filters.ModelChoiceFilter(queryset=tenant_users, label=_("Owner (KAM)"))

    class Meta:
        model = Customer
        fields = ["region", "tier", "owner"]

    def filter_tier(self, queryset, name, value):
        return queryset.filter(tier="") if value == "none" else queryset.filter(tier=value)

    def applied(self):
        """{name: value} of the filters in use (valid ones only)."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return {name: value for name, value in self.form.cleaned_data.items()
                if value not in (None, "")}


class AccountFilter(CustomerFilter):
    """The customer list's filters and account health (the customer list page and
    `GET /api/v1/customers/?health=`)."""

    # Last: account health is computed over the customers the other filters leave.
    health = django_filters.ChoiceFilter(choices=HEALTH_CHOICES, method="filter_health",
                                         label=_("Health"))

    class Meta(CustomerFilter.Meta):
        fields = [*CustomerFilter.Meta.fields, "health"]

    def filter_health(self, queryset, name, value):
        return derived.in_band(queryset, value, tenant=self.request.tenant)


class HealthSnapshotFilter(django_filters.FilterSet):
    """The weekly health snapshots (API): one customer, a range of weeks."""

    week_from = django_filters.DateFilter(field_name="week", lookup_expr="gte",
                                          label=_("Weeks from"))
    week_to = django_filters.DateFilter(field_name="week", lookup_expr="lte",
                                        label=_("Weeks until"))

    class Meta:
        model = HealthSnapshot
        fields = ["customer", "band", "week", "week_from", "week_to"]
