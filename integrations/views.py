"""The webhook pages (admins): list, create (the secret shown once), edit, switch on and
off, rotate the secret, send a test event, delete, and each webhook's delivery log with
replay."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import admin_required

from . import events, selectors, services
from .forms import WebhookForm
from .webhooks import Webhook, WebhookDelivery

SECRET_ONCE = "integrations:webhook-secret"  # noqa: S105 — a session key: the secret to show once


def _add_errors(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _show_secret_once(request, webhook):
    request.session[SECRET_ONCE] = {"webhook": webhook.pk, "secret": webhook.secret}


@admin_required
def webhook_list(request):
    return render(request, "integrations/webhook_list.html", {
        "webhooks": selectors.webhooks_with_counts(), "events": events.EVENTS})


@admin_required
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.create_webhook(tenant=request.tenant, user=request.user,
                                              **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            _show_secret_once(request, webhook)
            messages.success(request, _("Webhook created. Copy its secret now: it is shown "
                                        "only once."))
            return redirect("webhook_detail", pk=webhook.pk)
    return render(request, "integrations/webhook_form.html", {"form": form, "webhook": None})


@admin_required
def webhook_edit(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    form = WebhookForm(request.POST or None, initial={
        "url": webhook.url, "description": webhook.description, "events": webhook.events})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_webhook(webhook, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhook_detail", pk=webhook.pk)
    return render(request, "integrations/webhook_form.html", {"form": form,
                                                              "webhook": webhook})


@admin_required
def webhook_detail(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    once = request.session.pop(SECRET_ONCE, None)
    secret = once["secret"] if once and once.get("webhook") == webhook.pk else None
    status = request.GET.get("status") or ""
    if status not in WebhookDelivery.Status.values:
        status = ""
    page = Paginator(selectors.delivery_log(webhook, status=status or None), 25).get_page(
        request.GET.get("page"))
    for delivery in page:
        delivery.payload_text = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    return render(request, "integrations/webhook_detail.html", {
        "webhook": webhook, "secret": secret, "page": page, "status": status,
        "statuses": WebhookDelivery.Status.choices,
        "event_labels": [events.EVENTS.get(name, name) for name in webhook.events],
    })


@require_POST
@admin_required
def webhook_set_active(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    active = request.POST.get("active") == "1"
    services.set_active(webhook, active=active)
    messages.success(request, _("Webhook switched on.") if active
                     else _("Webhook switched off."))
    return redirect("webhook_detail", pk=webhook.pk)


@require_POST
@admin_required
def webhook_rotate_secret(request, pk):
    webhook = services.rotate_secret(get_object_or_404(Webhook, pk=pk))
    _show_secret_once(request, webhook)
    messages.success(request, _("New secret made. Copy it now: it is shown only once; "
                                "deliveries from now on are signed with it."))
    return redirect("webhook_detail", pk=webhook.pk)


@require_POST
@admin_required
def webhook_send_test(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    try:
        services.send_test(webhook, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Test event queued: its delivery shows below."))
    return redirect("webhook_detail", pk=webhook.pk)


@require_POST
@admin_required
def webhook_delete(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    services.delete_webhook(webhook)
    messages.success(request, _("Webhook to %(url)s deleted.") % {"url": webhook.url})
    return redirect("webhook_list")


@require_POST
@admin_required
def delivery_replay(request, pk):
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        services.replay(delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued again, with the same webhook-id."))
    return redirect("webhook_detail", pk=delivery.webhook_id)
