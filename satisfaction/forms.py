"""Forms of the satisfaction pages: fields and widgets; the rules are in services/opl."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import KAM, WORK, assignable_members, tenant_members
from customers.models import Customer, Department

from . import opl
from .models import (
    NPS_MAX,
    NPS_MIN,
    SCALE_MIN,
    Campaign,
    OplItem,
    Question,
    Response,
    SurveyTemplate,
)


class TemplateForm(forms.ModelForm):
    class Meta:
        model = SurveyTemplate
        fields = ["name", "description", "scale_max", "ask_recommend", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(forms.ModelForm):
    departments = forms.MultipleChoiceField(
        label=_("Departments"), choices=Department.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The customer departments that answer it."))

    class Meta:
        model = Question
        fields = ["code", "dimension", "text_en", "text_zh", "departments", "weight",
                  "is_required", "position", "is_active"]

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.template = template
        self.template = template

    def clean_code(self):
        code = self.cleaned_data["code"]
        others = Question.objects.filter(template=self.template, code=code)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Another question of this template has this code."))
        return code


class CampaignForm(forms.ModelForm):
    customers = forms.ModelMultipleChoiceField(
        label=_("Customers"), queryset=Customer.objects.filter(is_active=True)
        .order_by("tier", "name"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Default: the active A and B tier customers."))

    class Meta:
        model = Campaign
        fields = ["year", "quarter", "template", "closes_on", "note"]
        widgets = {"closes_on": forms.DateInput(attrs={"type": "date"}),
                   "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = SurveyTemplate.objects.filter(is_active=True)
        self.fields["customers"].label_from_instance = (
            lambda c: f"{c.name} ({c.tier or '–'})")


def score_choices(scale_max):
    return [(str(value), str(value)) for value in range(SCALE_MIN, scale_max + 1)]


class AnswersForm(forms.Form):
    """One radio row per question (1…scale), the would-recommend 0–10 and a comment.

    Built for a survey and a department; `language` picks the question texts."""

    def __init__(self, *args, questions, scale_max, ask_recommend, language="en",
                 initial_response=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        answers = {}
        if initial_response is not None:
            answers = {a.question_id: a for a in initial_response.answers.all()}
            self.initial.setdefault("recommend", initial_response.recommend)
            self.initial.setdefault("comment", initial_response.comment)
        for question in questions:
            name = f"q_{question.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=question.text(language), choices=score_choices(scale_max), coerce=int,
                required=question.is_required, widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question."),
                                "invalid_choice": _("Choose a score from %(min)s to %(max)s.")
                                % {"min": SCALE_MIN, "max": scale_max}})
            self.fields[name].question = question
            if question.pk in answers:
                self.initial.setdefault(name, answers[question.pk].score)
        if ask_recommend:
            self.fields["recommend"] = forms.TypedChoiceField(
                label=_("How likely are you to recommend us to a colleague? (0 = not at all, "
                        "10 = extremely likely)"),
                choices=[(str(v), str(v)) for v in range(NPS_MIN, NPS_MAX + 1)], coerce=int,
                required=False, empty_value=None, widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Choose a value from 0 to 10.")})
        self.fields["comment"] = forms.CharField(
            label=_("Anything else you want us to know?"), required=False, max_length=4000,
            widget=forms.Textarea(attrs={"rows": 3}))

    def question_fields(self):
        return [self[f"q_{q.pk}"] for q in self.questions]

    def scores(self):
        return {q.pk: self.cleaned_data.get(f"q_{q.pk}") for q in self.questions
                if self.cleaned_data.get(f"q_{q.pk}") is not None}


class StaffEntryForm(AnswersForm):
    """AnswersForm plus who answered and how (an outside agency, or staff)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"] = forms.ChoiceField(
            label=_("Given by"), choices=[(Response.Source.AGENCY, Response.Source.AGENCY.label),
                                          (Response.Source.STAFF, Response.Source.STAFF.label)],
            initial=Response.Source.AGENCY, widget=forms.Select(attrs={"class": "form-select"}))
        self.fields["respondent"] = forms.CharField(label=_("Respondent"), max_length=120,
                                                    required=False)


class OplItemForm(forms.ModelForm):
    class Meta:
        model = OplItem
        fields = ["customer", "source", "title", "description", "department", "priority",
                  "owner", "accountable", "due_date", "root_cause", "action", "verification"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}),
                   "description": forms.Textarea(attrs={"rows": 4}),
                   "root_cause": forms.Textarea(attrs={"rows": 2}),
                   "action": forms.Textarea(attrs={"rows": 2}),
                   "verification": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, tenant, customers=None, **kwargs):
        """`customers`: the accounts the user may open items on (default: all); an item's
        own customer stays a choice."""
        super().__init__(*args, **kwargs)
        choices = customers if customers is not None else Customer.objects.all()
        if self.instance.customer_id:
            choices = choices | Customer.objects.filter(pk=self.instance.customer_id)
        self.fields["customer"].queryset = choices.order_by("name")
        self.fields["customer"].error_messages["invalid_choice"] = _(
            "Choose one of your accounts: OPL items are opened by the account's team and "
            "administrators.")
        for name, for_ in (("owner", WORK), ("accountable", KAM)):
            self.fields[name].queryset = assignable_members(
                tenant, for_=for_, include=getattr(self.instance, f"{name}_id", None))


class OplUpdateForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    progress = forms.IntegerField(label=_("Done (%)"), min_value=0, max_value=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    status_reason = forms.CharField(label=_("Reason (blocked / cancelled)"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    verification = forms.CharField(label=_("Verification"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}),
                                   help_text=_("How the fix was verified (needed to verify)."))

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        choices = [(item.status, _("%(status)s (no change)") % {
            "status": item.get_status_display()})]
        choices += [(s, OplItem.Status(s).label) for s in opl.allowed_transitions(item)]
        self.fields["status"].choices = choices
        self.fields["status"].initial = item.status
        self.fields["progress"].initial = item.progress


BOOL_CHOICES = [("", _("Any")), ("1", _("Yes")), ("0", _("No"))]


class OplFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    customer = forms.ModelChoiceField(label=_("Customer"), required=False,
                                      queryset=Customer.objects.order_by("name"),
                                      empty_label=_("All customers"))
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=None,
                                   empty_label=_("Anyone"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("Any status")), ("active", _("Open, in progress or blocked")),
        *OplItem.Status.choices])
    source = forms.ChoiceField(label=_("Source"), required=False,
                               choices=[("", _("Any source")), *OplItem.Source.choices])
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("Any priority")), *OplItem.Priority.choices])
    overdue = forms.TypedChoiceField(label=_("Overdue"), required=False, choices=BOOL_CHOICES,
                                     coerce=lambda v: v == "1", empty_value=None)
    stale = forms.TypedChoiceField(label=_("Stale"), required=False, choices=BOOL_CHOICES,
                                   coerce=lambda v: v == "1", empty_value=None)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = tenant_members(tenant)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm"
                                          if isinstance(field, forms.ChoiceField)
                                          else "form-control form-control-sm")


class ReportForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Quarter"), queryset=Campaign.objects.none(),
                                      required=False, empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.exclude(
            status=Campaign.Status.DRAFT).order_by("-year", "-quarter")
        self.fields["campaign"].widget.attrs["class"] = "form-select form-select-sm"


class SatisfactionSettingsForm(forms.Form):
    interim_percent = forms.IntegerField(
        label=_("Count an open campaign once this share of its invitations is answered (%)"),
        min_value=0, max_value=100,
        help_text=_("Until then the dashboard, health and the movers keep the latest closed "
                    "campaign; an open campaign's figures are marked interim."))
