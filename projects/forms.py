"""Browser forms for programmes. Forms collect and type the input; the rules live in
`projects.services`, whose ValidationErrors the views put back on the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import WORK, assignable_members
from customers.models import Customer
from kam import codes

from .models import (
    Milestone,
    MilestoneKind,
    MilestoneTemplate,
    PpapElement,
    Programme,
    ProgrammeSettings,
    Risk,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["customer", "code", "name", "vehicle", "part_family", "annual_volume",
                  "lifetime_value", "project_manager", "stage", "nomination_date",
                  "sop_date", "ppap_level", "notes"]
        widgets = {"nomination_date": DateInput(), "sop_date": DateInput(),
                   "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _("Your programme code, unique in this workspace."),
            "sop_date": _("Start of production. The milestones are planned from it with "
                          "the workspace's template."),
        }

    def __init__(self, *args, tenant, customers=None, **kwargs):
        """`customers`: the accounts the user may put a programme on (default: all)."""
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (customers if customers is not None
                                            else Customer.objects).order_by("name")
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose one of your accounts: programmes are edited by the account's team and "
            "administrators.")
        self.fields["project_manager"].queryset = assignable_members(
            tenant, for_=WORK, include=self.instance.project_manager_id)
        if self.instance.pk:
            # SOP follows the SOP milestone once the programme exists.
            del self.fields["sop_date"]

    def clean_code(self):
        code = codes.normalise(self.cleaned_data["code"])
        error = codes.code_error(Programme, code, exclude_pk=self.instance.pk)
        if error is not None:
            raise error
        return code


class MilestoneForm(forms.ModelForm):
    """Adding or editing one milestone; `reason` is kept in the history."""

    reason = forms.CharField(
        label=_("Reason for the change"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the customer date moves or a done milestone is reopened."))

    class Meta:
        model = Milestone
        fields = ["kind", "name", "planned_date", "forecast_date", "actual_date", "status",
                  "progress", "owner", "psw_disposition", "psw_interim_expires_on", "notes"]
        widgets = {name: DateInput() for name in ("planned_date", "forecast_date",
                                                  "actual_date", "psw_interim_expires_on")}
        widgets["notes"] = forms.Textarea(attrs={"rows": 2})

    def __init__(self, *args, tenant, owner_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_members(tenant, for_=WORK,
                                                           include=self.instance.owner_id)
        if self.instance.pk:
            del self.fields["kind"]
        else:
            del self.fields["reason"]
        if self.instance.pk and self.instance.kind != MilestoneKind.PPAP_APPROVAL:
            del self.fields["psw_disposition"]
            del self.fields["psw_interim_expires_on"]
        if owner_only:
            del self.fields["owner"]

    def _post_clean(self):
        # No model validation here: `projects.services` validates and keeps the history,
        # and the milestone must keep its old values until then.
        pass

    def changes(self):
        """The edited fields whose value differs from the milestone's."""
        data = {name: value for name, value in self.cleaned_data.items()
                if name not in ("reason", "kind")}
        if not self.instance.pk:
            return data
        return {name: value for name, value in data.items()
                if getattr(self.instance, name) != value}


class RedateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Kept with every change; required when a customer "
                                         "date moves."))

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestones = milestones
        for milestone in milestones:
            self.fields[f"planned_{milestone.pk}"] = forms.DateField(
                label=_("Customer date"), initial=milestone.planned_date,
                widget=DateInput(attrs={
                    "class": "form-control form-control-sm",
                    "aria-label": _("%(name)s: customer date") % {"name": milestone.label}}))
            self.fields[f"forecast_{milestone.pk}"] = forms.DateField(
                label=_("Forecast"), required=False, initial=milestone.forecast_date,
                widget=DateInput(attrs={
                    "class": "form-control form-control-sm",
                    "aria-label": _("%(name)s: forecast") % {"name": milestone.label}}))

    def rows(self):
        """[(milestone, planned field, forecast field)] for the template."""
        return [(m, self[f"planned_{m.pk}"], self[f"forecast_{m.pk}"]) for m in self.milestones]

    def changes(self):
        rows = []
        for milestone in self.milestones:
            row = {"milestone": milestone}
            planned = self.cleaned_data.get(f"planned_{milestone.pk}")
            forecast = self.cleaned_data.get(f"forecast_{milestone.pk}")
            if planned and planned != milestone.planned_date:
                row["planned_date"] = planned
            if forecast != milestone.forecast_date:
                row["forecast_date"] = forecast
            if len(row) > 1:
                rows.append(row)
        return rows


class RiskForm(forms.ModelForm):
    class Meta:
        model = Risk
        fields = ["title", "category", "probability", "impact", "mitigation", "owner",
                  "due_date", "status"]
        widgets = {"due_date": DateInput(), "mitigation": forms.Textarea(attrs={"rows": 3}),
                   "probability": forms.Select(choices=[(i, i) for i in range(1, 6)]),
                   "impact": forms.Select(choices=[(i, i) for i in range(1, 6)])}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_members(tenant, for_=WORK,
                                                           include=self.instance.owner_id)


class PpapLevelForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["ppap_level"]
        widgets = {"ppap_level": forms.Select(choices=[(i, i) for i in range(1, 6)])}


class PpapElementForm(forms.ModelForm):
    class Meta:
        model = PpapElement
        fields = ["status", "owner", "notes"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_members(tenant, for_=WORK,
                                                           include=self.instance.owner_id)
        for field in self.fields.values():
            field.widget.attrs["class"] = ("form-control form-control-sm"
                                           if field is self.fields["notes"]
                                           else "form-select form-select-sm")


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ProgrammeSettings
        fields = ["tolerance_days", "due_soon_days", "escalation_days"]


class TemplateRowForm(forms.Form):
    offset_days = forms.IntegerField(label=_("Days from SOP"), min_value=-3650,
                                     max_value=3650)
    is_active = forms.BooleanField(label=_("Used"), required=False)

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.label = MilestoneKind(kind).label
        for field in self.fields.values():
            field.widget.attrs["class"] = ("form-check-input" if field is self.fields["is_active"]
                                           else "form-control form-control-sm")


def template_forms(data=None):
    """One TemplateRowForm per milestone kind (except "other"), prefilled from the rows."""
    rows = {row.kind: row for row in MilestoneTemplate.objects.all()}
    forms_ = []
    for kind in MilestoneKind.values:
        if kind == MilestoneKind.OTHER:
            continue
        row = rows.get(kind)
        initial = {"offset_days": row.offset_days if row else 0,
                   "is_active": row.is_active if row else False}
        forms_.append(TemplateRowForm(data, prefix=kind, kind=kind, initial=initial))
    return forms_
