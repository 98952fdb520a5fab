from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import tenant_required

from . import selectors, services
from .kinds import KINDS


@tenant_required()
def inbox_page(request):
    notifications = selectors.inbox(request.user)
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
@tenant_required()
def mark_all_read(request):
    count = services.mark_read(request.user)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("inbox")


@require_POST
@tenant_required()
def open_notification(request, pk):
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    services.mark_read(request.user, ids=[notification.pk])
    if notification.url and url_has_allowed_host_and_scheme(notification.url, {request.get_host()}):
        return redirect(notification.url)
    return redirect("inbox")


@require_POST
@tenant_required()
def mark_read(request, pk):
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    services.mark_read(request.user, ids=[notification.pk])
    return redirect("inbox")


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind of notification: also send it by e-mail."""

    def __init__(self, *args, initial_choices, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in KINDS.items():
            self.fields[kind] = forms.BooleanField(label=label, required=False,
                                                   initial=initial_choices.get(kind, True))


@tenant_required()
def notification_settings(request):
    form = EmailPreferencesForm(request.POST or None,
                                initial_choices=selectors.email_preferences(request.user))
    if request.method == "POST" and form.is_valid():
        services.set_email_preferences(request.tenant, user=request.user,
                                       choices=form.cleaned_data)
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form})
