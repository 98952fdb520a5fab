"""Browser forms for account teams. They validate through the models' `clean()` (the same
rules as the API) and save through `teams.services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import tenant_members
from customers.models import Customer
from kam.periods import Quarter, current_period

from . import services
from .models import Recognition, Review, Team, TeamMember

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user} <{user.email}>" if user.full_name else user.email


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["customer", "name", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if self.instance.tenant_id is None:
            self.instance.tenant = tenant
        field = self.fields["customer"]
        if self.instance.pk:
            field.disabled = True
            field.queryset = Customer.objects.filter(pk=self.instance.customer_id)
        else:
            field.queryset = Customer.objects.filter(teams__isnull=True).order_by("name")
            field.help_text = _("Customers that have no team yet.")

    def save(self, commit=True):
        data = {name: self.cleaned_data[name] for name in ("name", "notes")}
        if self.instance.pk:
            return services.update_team(self.instance, **data)
        return services.create_team(tenant=self.tenant, customer=self.cleaned_data["customer"],
                                    **data)


class MemberForm(forms.ModelForm):
    user = PersonChoiceField(queryset=None, label=_("Person"))

    class Meta:
        model = TeamMember
        fields = ["user", "role", "allocation", "start_on", "end_on", "notes"]
        widgets = {"start_on": DATE, "end_on": DATE}

    def __init__(self, *args, team, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.tenant = team, tenant
        if self.instance.pk is None:
            self.instance.team, self.instance.tenant = team, tenant
            self.initial.setdefault("start_on", tenant.today())
        self.fields["user"].queryset = tenant_members(
            tenant, include=self.instance.user_id)
        self.warning = None

    def save(self, commit=True):
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.instance.pk:
            member, self.warning = services.update_member(self.instance, **data)
        else:
            member, self.warning = services.add_member(tenant=self.tenant, team=self.team,
                                                       **data)
        return member


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        end = f" – {member.end_on}" if member.end_on else ""
        return f"{member.user} · {member.role} ({member.start_on}{end})"


class ReviewForm(forms.ModelForm):
    member = MemberChoiceField(queryset=None, label=_("Team member"))
    reviewer = PersonChoiceField(queryset=None, label=_("Reviewer"))

    class Meta:
        model = Review
        fields = ["member", "period", "reviewer", "objectives", "attainment",
                  *Review.DIMENSIONS, "coefficient", "next_objectives", "comments"]
        widgets = {
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "next_objectives": forms.Textarea(attrs={"rows": 3}),
            "comments": forms.Textarea(attrs={"rows": 2}),
            "coefficient": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            **{name: forms.NumberInput(attrs={"min": "1", "max": "5"})
               for name in Review.DIMENSIONS},
        }

    def __init__(self, *args, team, tenant, user, may_choose_reviewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.tenant = team, tenant
        if self.instance.pk is None:
            self.instance.tenant = tenant
            self.initial.setdefault("period", str(Quarter.of(tenant.today()) - 1))
            self.initial.setdefault("reviewer", user.pk)
        else:
            self.fields["member"].disabled = True
        self.fields["member"].queryset = (TeamMember.objects.filter(team=team)
                                          .select_related("user").order_by("role", "start_on"))
        self.fields["reviewer"].queryset = tenant_members(
            tenant, include=self.instance.reviewer_id)
        if not may_choose_reviewer:
            # Others record the reviews they give themselves.
            self.fields["reviewer"].disabled = True
            self.initial["reviewer"] = self.instance.reviewer_id or user.pk
        self.fields["period"].help_text = _("The quarter reviewed, e.g. %(example)s.") % {
            "example": current_period(tenant.today())}

    def clean_period(self):
        return (self.cleaned_data.get("period") or "").strip().upper()

    def save(self, commit=True):
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "member"}
        if self.instance.pk:
            return services.update_review(self.instance, **data)
        return services.create_review(tenant=self.tenant, member=self.cleaned_data["member"],
                                      **data)


class RecognitionForm(forms.ModelForm):
    user = PersonChoiceField(queryset=None, required=False, label=_("Person"))

    class Meta:
        model = Recognition
        fields = ["kind", "year", "quarter", "team", "user", "citation"]
        widgets = {"citation": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant, self.awarded_by = tenant, user
        self.instance.tenant = tenant
        self.initial.setdefault("year", tenant.today().year)
        self.fields["team"].queryset = Team.objects.select_related("customer").order_by(
            "customer__name")
        self.fields["user"].queryset = tenant_members(tenant)

    def save(self, commit=True):
        return services.create_recognition(tenant=self.tenant, awarded_by=self.awarded_by,
                                           **self.cleaned_data)
