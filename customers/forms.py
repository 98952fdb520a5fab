"""Browser forms for customers and what hangs off them.

Choice querysets of tenant-owned models are scoped to the current tenant by their managers,
so another workspace's id is an "invalid choice" error on its field. Uniqueness per tenant
(customer code, a customer's quarter, a customer's plan year) is checked here as a field
error; the database constraint stays the last word (the views turn a lost race into the
same error).
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.selectors import KAM, WORK, assignable_members, tenant_members
from kam import codes

from . import scoring, services
from .models import (
    STANDARD_DAYS_RANGE,
    AccountPlan,
    Attitude,
    Contact,
    Customer,
    Initiative,
    Interaction,
    InteractionKind,
    PainPoint,
    PeriodFigure,
    Region,
    ScoringPolicy,
    Technology,
    Tier,
)
from .selectors import criterion_label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class CustomerForm(forms.ModelForm):
    technology_roadmap = forms.MultipleChoiceField(
        label=_("Technology roadmap"), choices=Technology.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The technologies the customer is pushing on its coming platforms."),
    )
    pain_points = forms.MultipleChoiceField(
        label=_("Pain points"), choices=PainPoint.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What hurts the customer most in its supply base."),
    )

    class Meta:
        model = Customer
        fields = [
            "code", "name", "parent", "region", "segment", "country", "city",
            "lifecycle_stage", "owner", "is_active", "positioning", "platform_plans",
            "technology_roadmap", "pain_points", "notes",
        ]
        widgets = {
            "positioning": _textarea(), "platform_plans": _textarea(), "notes": _textarea(),
        }
        help_texts = {
            "code": _("Your short code for the customer, e.g. the ERP customer number. "
                      "Unique in this workspace."),
            "parent": _("The OEM group this customer belongs to (e.g. a joint venture's "
                        "parent)."),
            "owner": _("The key account manager responsible for this customer."),
            "lifecycle_stage": _("Prospect = potential, developing = general, key = elite, "
                                 "declining = sunset customer."),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_members(tenant, for_=KAM,
                                                           include=self.instance.owner_id)
        self.fields["owner"].empty_label = _("Unassigned")
        self.fields["region"].queryset = Region.objects.order_by("name")
        self.fields["region"].empty_label = _("No region")
        parents = Customer.objects.order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("None: not part of a group")

    def clean_code(self):
        code = codes.normalise(self.cleaned_data["code"])
        error = codes.code_error(Customer, code, exclude_pk=self.instance.pk)
        if error is not None:
            raise error
        return code

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk:
            # Walk up the group chain: a customer cannot sit below itself.
            seen, current = set(), parent
            while current is not None and current.pk not in seen:
                if current.pk == self.instance.pk:
                    raise forms.ValidationError(
                        _("%(parent)s belongs to this customer's group already; choose a "
                          "customer above it."), params={"parent": parent})
                seen.add(current.pk)
                current = current.parent
        return parent


class PeriodFigureForm(forms.ModelForm):
    class Meta:
        model = PeriodFigure
        fields = [
            "period", "revenue", "volume", "supply_share", "gross_margin", "payment_days",
            "cost_to_serve", "quality_ppm", "on_time_delivery", "market_influence", "loyalty",
            "strategic_fit",
        ]
        help_texts = {
            "supply_share": _("Our share of the customer's spend in our category, 0–100."),
            "cost_to_serve": _("Sales expense for this customer in the quarter."),
            "market_influence": _("1 = little, 5 = sets the trend in its market."),
        }

    def __init__(self, *args, customer, **kwargs):
        kwargs.setdefault("instance", PeriodFigure(customer=customer, tenant=customer.tenant))
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["period"].widget.attrs.update({"placeholder": "2026Q3",
                                                  "pattern": r"\d{4}Q[1-4]"})

    def clean_period(self):
        period = self.cleaned_data["period"].strip().upper()
        taken = PeriodFigure.objects.filter(customer=self.customer, period=period)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("%(customer)s already has figures for %(period)s; edit that quarter "
                  "instead."), params={"customer": self.customer, "period": period},
                code="unique")
        return period


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name", "title", "department", "level", "decision_role", "attitude", "influence",
            "strength", "counterpart", "email", "phone", "language", "last_contact_on",
            "is_active", "notes",
        ]
        widgets = {"last_contact_on": DateInput(), "notes": _textarea()}
        help_texts = {
            "counterpart": _("Who on our side keeps this relationship (match the level: "
                             "executives with executives)."),
            "influence": _("1 = little say in sourcing decisions, 5 = decisive."),
            "strength": _("1 = we hardly know them, 5 = a trusted relationship."),
        }

    def __init__(self, *args, customer, tenant, **kwargs):
        kwargs.setdefault("instance", Contact(customer=customer, tenant=tenant))
        super().__init__(*args, **kwargs)
        self.fields["counterpart"].queryset = tenant_members(
            tenant, include=self.instance.counterpart_id)
        self.fields["counterpart"].empty_label = _("Nobody yet")
        self.fields["attitude"].choices = [("", _("Unknown")), *Attitude.choices]
        for name in ("influence", "strength"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 5})


class InteractionForm(forms.ModelForm):
    our_people = forms.ModelMultipleChoiceField(
        label=_("Our people"), queryset=get_user_model().objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Their contacts"), queryset=Contact.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The contacts you met get this date as their last contact."))

    class Meta:
        model = Interaction
        fields = ["kind", "occurred_on", "level", "our_people", "contacts", "summary",
                  "next_step", "next_step_on"]
        widgets = {"occurred_on": DateInput(), "next_step_on": DateInput(),
                   "summary": _textarea(4)}

    def __init__(self, *args, customer, tenant, **kwargs):
        kwargs.setdefault("instance", Interaction(customer=customer, tenant=tenant))
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["our_people"].queryset = tenant_members(tenant)
        self.fields["contacts"].queryset = Contact.objects.filter(
            customer=customer, is_active=True).order_by("department", "name")
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("occurred_on", tenant.today())

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > self.tenant.today():
            raise forms.ValidationError(
                _("Log interactions that have happened; put a planned one in the next step."))
        return occurred_on

    def clean(self):
        cleaned = super().clean()
        occurred_on, next_on = cleaned.get("occurred_on"), cleaned.get("next_step_on")
        if occurred_on and next_on and next_on < occurred_on:
            self.add_error("next_step_on", _("The next step cannot be before the interaction."))
        return cleaned

    def save(self, commit=True, *, user=None):
        """Save through services.save_interaction (participants, last-contact dates)."""
        interaction = super().save(commit=False)
        if interaction.created_by_id is None:
            interaction.created_by = user
        return services.save_interaction(
            interaction, our_people=self.cleaned_data["our_people"],
            contacts=self.cleaned_data["contacts"])


class AccountPlanForm(forms.ModelForm):
    class Meta:
        model = AccountPlan
        fields = ["year", "revenue_target", "share_target", "strategy", "focus_products"]
        widgets = {"strategy": _textarea(4), "focus_products": _textarea()}
        help_texts = {
            "share_target": _("Our target share of the customer's spend in our category."),
            "focus_products": _("The products or programmes to win or grow this year."),
        }

    def __init__(self, *args, customer, tenant, **kwargs):
        kwargs.setdefault("instance", AccountPlan(customer=customer, tenant=tenant))
        super().__init__(*args, **kwargs)
        self.customer = customer
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("year", tenant.today().year)

    def clean_year(self):
        year = self.cleaned_data["year"]
        taken = AccountPlan.objects.filter(customer=self.customer, year=year)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("There is already a %(year)s plan for this customer; edit it instead."),
                params={"year": year}, code="unique")
        return year


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = ["title", "owner", "due_on", "status"]
        widgets = {"due_on": DateInput()}

    def __init__(self, *args, plan, tenant, **kwargs):
        kwargs.setdefault("instance", Initiative(plan=plan, tenant=tenant))
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_members(tenant, for_=WORK,
                                                           include=self.instance.owner_id)
        self.fields["owner"].empty_label = _("Unassigned")


class TierOverrideForm(forms.Form):
    """The three fields are all needed, but services.set_tier_override says so (all its
    messages at once); the form only parses the values."""

    tier = forms.ChoiceField(label=_("Pin tier"), choices=Tier.choices, required=False)
    reason = forms.CharField(
        label=_("Reason"), widget=_textarea(2), required=False,
        help_text=_("Why this account gets a different tier than its figures give, e.g. "
                    "a strategic platform award."))
    expires_on = forms.DateField(
        label=_("Until"), widget=DateInput(), required=False,
        help_text=_("After this date the computed tier applies again."))

    def save(self, customer, *, user, role):
        """Pin the tier with services.set_tier_override (raises ValidationError)."""
        return services.set_tier_override(customer, user=user, role=role, **self.cleaned_data)


class ScoringPolicyForm(forms.ModelForm):
    """Edits the policy by saving a new version. Weights are number inputs, one per
    criterion; the model's clean checks them with scoring.weight_errors."""

    weights = forms.JSONField(required=False, disabled=True, widget=forms.HiddenInput)

    class Meta:
        model = ScoringPolicy
        fields = ["normalisation", "lookback_quarters", "method", "a_share", "b_share",
                  "a_revenue_cutoff", "b_revenue_cutoff", "concentration_threshold",
                  "coverage_share", "weights"]
        help_texts = {
            "lookback_quarters": _("How many quarters, ending with the latest one that has "
                                   "figures, a run looks at."),
            "a_share": _("Share-of-customers method: 0.10 puts the top 10 percent in A."),
            "b_share": _("Share-of-customers method: 0.20 puts the next 20 percent in B."),
            "a_revenue_cutoff": _("Share-of-revenue method: 0.80 = A until 80 percent of the "
                                  "cumulative revenue."),
            "b_revenue_cutoff": _("Share-of-revenue method: 0.95 = B until 95 %."),
            "concentration_threshold": _("0.30 flags a customer with more than 30 percent of the "
                                         "revenue."),
            "coverage_share": _("0.80: a quarter ends the window once 80 percent of the "
                                "customers with figures the quarter before have reported it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        weights = self.instance.weights or {}
        self.weight_names = []
        for name, (_how, higher) in scoring.CRITERIA.items():
            field_name = f"weight_{name}"
            self.fields[field_name] = forms.FloatField(
                label=criterion_label(name), min_value=0, max_value=scoring.MAX_WEIGHT,
                required=False, initial=weights.get(name, 0),
                help_text=_("Higher is better") if higher else _("Lower is better"),
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0",
                                                "max": scoring.MAX_WEIGHT}),
            )
            self.weight_names.append(name)

    def weight_fields(self):
        return [self[f"weight_{name}"] for name in self.weight_names]

    def other_fields(self):
        return [self[name] for name in self._meta.fields if name != "weights"]

    def clean(self):
        cleaned = super().clean()
        cleaned["weights"] = {
            name: cleaned.get(f"weight_{name}") or 0 for name in self.weight_names
            if f"weight_{name}" not in self.errors
        }
        return cleaned

    def policy_values(self):
        """The edited values, for services.save_policy_version."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class ServiceStandardsForm(forms.Form):
    """The maximum days between interactions, one number per tier × interaction type;
    an empty box means "no standard"."""

    def __init__(self, *args, standards, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = []
        low, high = STANDARD_DAYS_RANGE
        for tier, _label in Tier.choices:
            row = []
            for kind, kind_label in InteractionKind.choices:
                name = f"{tier}__{kind}"
                self.fields[name] = forms.IntegerField(
                    label=_("Tier %(tier)s: %(kind)s") % {"tier": tier, "kind": kind_label},
                    min_value=low, max_value=high, required=False,
                    initial=standards.get((tier, kind)),
                    widget=forms.NumberInput(attrs={"min": low, "max": high}),
                )
                row.append(name)
            self.grid.append((tier, row))

    def rows(self):
        return [(tier, [self[name] for name in names]) for tier, names in self.grid]

    def standards(self):
        """{(tier, kind): max days or None} as entered."""
        return {(tier, name.split("__", 1)[1]): self.cleaned_data.get(name)
                for tier, names in self.grid for name in names}
