from functools import partial

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Role, Tenant
from .services import DEFAULT_TOKEN_ROLE, token_roles
from .timezones import timezone_choices


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class TenantSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    class Meta:
        model = Tenant
        fields = ["name", "timezone", "default_language", "currency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A workspace saved on an alias (`UTC`, `Asia/Calcutta`) keeps it as a choice.
        self.fields["timezone"].choices = partial(timezone_choices,
                                                  current=self.instance.timezone)


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active member"), required=False)


class ApiTokenForm(forms.ModelForm):
    expires_at = forms.DateTimeField(
        label=_("Expires at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for a token that does not expire."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "role", "expires_at"]

    def __init__(self, *args, owner_role, **kwargs):
        """`owner_role`: the creator's role; a token is offered no role above it."""
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role, Role(role).label)
                                       for role in token_roles(owner_role)]
        self.fields["role"].initial = DEFAULT_TOKEN_ROLE
