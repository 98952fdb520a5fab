"""Filters for programme and milestone lists, shared by the list pages and the API.

`rag` filters judge on `as_of` (a date; default: the tenant's today) with the tenant's RAG
settings; see `projects.rag`.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.filters import tenant_users
from customers.models import Customer

from . import rag, selectors
from .models import (
    Milestone,
    MilestoneKind,
    MilestoneStatus,
    PpapElement,
    PpapElementStatus,
    Programme,
    Risk,
    RiskCategory,
    RiskStatus,
    Stage,
)

PROGRAMME_RAG_CHOICES = [*rag.Rag.choices, ("none", _("No colour (nothing open)"))]


class AsOfMixin:
    def judging(self):
        """(date, policy) the RAG filter judges with."""
        tenant = self.request.tenant
        as_of = None
        if self.form.is_valid():
            as_of = self.form.cleaned_data.get("as_of")
        return selectors.context_for(tenant, as_of)

    def filter_queryset(self, queryset):
        # RAG is judged in Python over the rows left by the other filters: run it last.
        data = dict(self.form.cleaned_data)
        colour = data.pop("rag", None)
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        if colour:
            queryset = self.filters["rag"].filter(queryset, colour)
        return queryset


class ProgrammeFilter(AsOfMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.all(),
                                                label=_("Customer"))
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label=_("Stage"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open (not lost or "
                                                                      "closed)"))
    rag = django_filters.ChoiceFilter(choices=PROGRAMME_RAG_CHOICES, method="filter_rag",
                                      label=_("RAG"))
    project_manager = django_filters.ModelChoiceFilter(queryset=tenant_users,
                                                       label=_("Project manager"))
    sop_from = django_filters.DateFilter(field_name="sop_date", lookup_expr="gte",
                                         label=_("SOP from"))
    sop_to = django_filters.DateFilter(field_name="sop_date", lookup_expr="lte",
                                       label=_("SOP until"))
    as_of = django_filters.DateFilter(method="noop", label=_("RAG as of"))

    class Meta:
        model = Programme
        fields = ["q", "customer", "stage", "open", "rag", "project_manager", "sop_from",
                  "sop_to", "as_of"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value)
                               | Q(vehicle__icontains=value)
                               | Q(customer__name__icontains=value))

    def filter_open(self, queryset, name, value):
        closed = [Stage.LOST, Stage.CLOSED]
        return queryset.exclude(stage__in=closed) if value else queryset.filter(
            stage__in=closed)

    def filter_rag(self, queryset, name, value):
        on, policy = self.judging()
        return selectors.filter_programmes_by_rag(queryset, value, on, policy)

    def noop(self, queryset, name, value):
        return queryset


class MilestoneFilter(AsOfMixin, django_filters.FilterSet):
    rag = django_filters.ChoiceFilter(choices=rag.Rag.choices, method="filter_rag",
                                      label=_("RAG"))
    kind = django_filters.MultipleChoiceFilter(choices=MilestoneKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=MilestoneStatus.choices)
    stage = django_filters.MultipleChoiceFilter(field_name="programme__stage",
                                                choices=Stage.choices,
                                                label=_("Programme stage"))
    customer = django_filters.ModelChoiceFilter(field_name="programme__customer",
                                                queryset=Customer.objects.all())
    owner = django_filters.ModelChoiceFilter(queryset=tenant_users)
    open = django_filters.BooleanFilter(method="filter_open", label=_("Not done"))
    as_of = django_filters.DateFilter(method="noop", label=_("RAG as of"))

    class Meta:
        model = Milestone
        fields = {
            "programme": ["exact"],
            "planned_date": ["gte", "lte"],
            "forecast_date": ["gte", "lte"],
            "actual_date": ["gte", "lte"],
        }

    def filter_open(self, queryset, name, value):
        done = MilestoneStatus.DONE
        return queryset.exclude(status=done) if value else queryset.filter(status=done)

    def filter_rag(self, queryset, name, value):
        on, policy = self.judging()
        return selectors.filter_milestones_by_rag(queryset, value, on, policy)

    def noop(self, queryset, name, value):
        return queryset



class RiskFilter(django_filters.FilterSet):
    category = django_filters.MultipleChoiceFilter(choices=RiskCategory.choices)
    status = django_filters.MultipleChoiceFilter(choices=RiskStatus.choices)
    owner = django_filters.ModelChoiceFilter(queryset=tenant_users)
    min_score = django_filters.NumberFilter(field_name="score", lookup_expr="gte",
                                            min_value=0, max_value=1000)

    class Meta:
        model = Risk
        fields = {"programme": ["exact"], "due_date": ["gte", "lte"]}


class PpapElementFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PpapElementStatus.choices)

    class Meta:
        model = PpapElement
        fields = ["programme", "element", "status"]
