"""Creating and editing customers, and tier overrides. (The customer list and the
account 360 page compose other apps' figures: they are dashboards.accounts.)"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import tenant_required

from .. import selectors, services
from ..forms import CustomerForm, TierOverrideForm
from .common import (
    add_errors,
    edit_required,
    get_customer,
    get_editable_customer,
    page,
    submit,
)


@edit_required
def customer_create(request):
    form = CustomerForm(request.POST or None, tenant=request.tenant,
                        initial={"owner": request.user.pk})
    customer = submit(request, form, "code", _("Another customer already has this code."))
    if customer is not None:
        messages.success(request, _("Customer %(name)s created.") % {"name": customer})
        return redirect("customer_detail", pk=customer.pk)
    return page(request, "customers/customer_form.html", {"form": form})


@edit_required
def customer_edit(request, pk):
    customer = get_editable_customer(request, pk)
    form = CustomerForm(request.POST or None, instance=customer, tenant=request.tenant)
    if submit(request, form, "code", _("Another customer already has this code.")) is not None:
        messages.success(request, _("Changes to %(name)s saved.") % {"name": customer})
        return redirect("customer_detail", pk=customer.pk)
    return page(request, "customers/customer_form.html", {"form": form, "customer": customer})


@tenant_required("override_tiers")
def override_set(request, pk):
    """Pin a customer's tier (executives and admins); GET shows the form on its own."""
    customer = get_customer(pk)
    form = TierOverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            override = form.save(customer, user=request.user, role=request.role)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _(
                "%(name)s is pinned to tier %(tier)s until %(date)s. Scoring runs keep it."
            ) % {"name": customer, "tier": override.tier, "date": override.expires_on})
            return redirect(reverse("customer_detail", args=[customer.pk]) + "#panel-tier")
    return page(request, "customers/override_form.html", {
        "customer": customer, "form": form,
        "override": selectors.override_in_force(customer, request.tenant.today()),
    })


@require_POST
@tenant_required("override_tiers")
def override_end(request, pk):
    customer = get_customer(pk)
    if services.end_tier_override(customer, user=request.user):
        if customer.tier:
            messages.success(request, _(
                "Override ended: %(name)s is back to its computed tier %(tier)s."
            ) % {"name": customer, "tier": customer.tier})
        else:
            messages.success(request, _(
                "Override ended: %(name)s has no computed tier yet."
            ) % {"name": customer})
    else:
        messages.info(request, _("%(name)s had no override in force.") % {"name": customer})
    return redirect(reverse("customer_detail", args=[customer.pk]) + "#panel-tier")
