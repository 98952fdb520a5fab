from django import forms
from django.utils.translation import gettext_lazy as _

from . import events


class WebhookForm(forms.Form):
    """A webhook's address, description and events; the rules are the services' (URL
    scheme, known events), whose errors the view puts on the fields."""

    url = forms.CharField(label=_("URL"), max_length=500,
                          help_text=_("Where the events are POSTed: an https:// address."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), choices=events.choices,
                                       widget=forms.CheckboxSelectMultiple)
