"""The customer list, create/edit, the account 360 page and tier overrides."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import tenant_required
from dashboards import health

from .. import cadence, selectors, services
from ..filters import CustomerFilter
from ..forms import CustomerForm, InteractionForm, TierOverrideForm
from ..models import Customer, PainPoint, Technology
from .common import (
    OVERRIDE_ROLES,
    add_errors,
    edit_required,
    get_customer,
    get_editable_customer,
    page,
    permissions,
    submit,
)

PAGE_SIZE = 25

# (sort key, column heading, first click sorts descending)
COLUMNS = [
    ("name", gettext_lazy("Name"), False),
    ("code", gettext_lazy("Code"), False),
    ("tier", gettext_lazy("Tier"), False),
    ("score", gettext_lazy("Score"), True),
    ("stage", gettext_lazy("Stage"), False),
    ("region", gettext_lazy("Region"), False),
    ("owner", gettext_lazy("Owner (KAM)"), False),
]


def sort_columns(sort, descending):
    columns = []
    for key, label, first_desc in COLUMNS:
        active = key == sort
        # The active column flips its direction; another starts in its natural one.
        flip = descending if active else not first_desc
        param = key if flip else f"-{key}"
        columns.append({
            "key": key, "label": label, "param": param, "active": active,
            "aria_sort": ("descending" if descending else "ascending") if active else "",
        })
    return columns


def style_filter_form(form):
    """Compact Bootstrap widgets and readable "all" choices for the list's filter bar."""
    # django-filter puts the empty label in when the choices are set: set both.
    for name, label in (("tier", _("All tiers")), ("lifecycle_stage", _("All stages")),
                        ("health", _("Any health"))):
        field = form.fields[name]
        choices = [choice for choice in field.choices if choice[0] != ""]
        field.empty_label = label
        field.choices = choices
    form.fields["region"].empty_label = _("All regions")
    form.fields["owner"].empty_label = _("All owners")
    form.fields["is_active"].widget.choices = [
        ("unknown", _("Active and inactive")), ("true", _("Active only")),
        ("false", _("Inactive only")),
    ]
    form.fields["q"].widget.attrs["placeholder"] = _("Name, code or city")
    for name, field in form.fields.items():
        field.widget.attrs["class"] = ("form-control form-control-sm" if name == "q"
                                       else "form-select form-select-sm")
    return form


@tenant_required()
def customer_list(request):
    filterset = CustomerFilter(request.GET or None, queryset=Customer.objects.all(),
                               request=request)
    style_filter_form(filterset.form)
    sort, descending = selectors.parse_sort(request.GET.get("sort"))
    customers = selectors.customer_list(filterset.qs, sort, descending)
    page_obj = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    found = health.current(Customer.objects.filter(pk__in=[c.pk for c in page_obj]),
                           tenant=request.tenant)
    for customer in page_obj:
        customer.health = found.get(customer.pk)
    filtered = any(request.GET.get(name) not in (None, "", "unknown")
                   for name in filterset.form.fields)
    return page(request, "customers/customer_list.html", {
        "filterset": filterset, "form": filterset.form, "page": page_obj,
        "columns": sort_columns(sort, descending), "filtered": filtered,
    })


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


@tenant_required()
def customer_detail(request, pk):
    """The account 360 page: one card per panel, each with an id later issues can add to."""
    customer = get_customer(pk, selectors.customers_for_detail())
    tenant = request.tenant
    today = tenant.today()
    cadence_rows = cadence.customer_cadence(customer, today)
    figures = selectors.latest_figures(customer)
    context = {
        "customer": customer,
        "today": today,
        "children": list(selectors.customer_children(customer)),
        "technologies": selectors.choice_labels(customer.technology_roadmap, Technology),
        "pain_points": selectors.choice_labels(customer.pain_points, PainPoint),
        "figures": figures,
        "figures_chart": selectors.figures_chart(figures),
        "health": health.explain(customer, tenant=tenant, today=today),
        "why": selectors.tier_explanation(selectors.latest_assessment(customer)),
        "override": selectors.override_in_force(customer, today),
        "history": selectors.tier_history(customer, tenant),
        "relationships": selectors.relationship_grid(customer),
        "former_contacts": list(selectors.customer_contacts(customer).filter(is_active=False)),
        "cadence": cadence_rows,
        "overdue_count": sum(1 for row in cadence_rows if row["overdue"]),
        "interactions": selectors.recent_interactions(customer),
        "plans": selectors.account_plans(customer),
    }
    flags = permissions(request, customer)
    context.update(flags)
    if flags["can_override"]:
        context["override_form"] = TierOverrideForm()
    if flags["can_edit"]:
        context["interaction_form"] = InteractionForm(customer=customer, tenant=tenant)
    return page(request, "customers/customer_detail.html", context)


@tenant_required(OVERRIDE_ROLES)
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
@tenant_required(OVERRIDE_ROLES)
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
