"""The customer list and the account 360 page: they show every app's side of an account
(health, tier and why, figures, relationships, cadence, programmes, satisfaction), so
they live here, above the apps whose figures they compose."""

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.permissions import tenant_required
from customers import cadence
from customers import selectors as customer_selectors
from customers.forms import InteractionForm, TierOverrideForm
from customers.models import Customer, PainPoint, Technology
from customers.views.common import get_customer, page, permissions
from records import history

from . import derived, exports, selectors
from .filters import AccountFilter

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
    filterset = AccountFilter(request.GET or None, queryset=Customer.objects.all(),
                               request=request)
    style_filter_form(filterset.form)
    sort, descending = customer_selectors.parse_sort(request.GET.get("sort"))
    customers = customer_selectors.customer_list(filterset.qs, sort, descending)
    page_obj = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    found = derived.current(Customer.objects.filter(pk__in=[c.pk for c in page_obj]),
                           tenant=request.tenant)
    arrows = selectors.health_arrows([customer.pk for customer in page_obj])
    for customer in page_obj:
        customer.health = found.get(customer.pk)
        customer.health_arrow = arrows.get(customer.pk)
    filtered = any(request.GET.get(name) not in (None, "", "unknown")
                   for name in filterset.form.fields)
    return page(request, "customers/customer_list.html", {
        "filterset": filterset, "form": filterset.form, "page": page_obj,
        "columns": sort_columns(sort, descending), "filtered": filtered,
    })


@tenant_required()
def customer_detail(request, pk):
    """The account 360 page: one card per panel, each with an id later issues can add to."""
    customer = get_customer(pk, customer_selectors.customers_for_detail())
    tenant = request.tenant
    today = tenant.today()
    cadence_rows = cadence.customer_cadence(customer, today)
    figures = customer_selectors.latest_figures(customer)
    context = {
        "customer": customer,
        "today": today,
        "children": list(customer_selectors.customer_children(customer)),
        "technologies": customer_selectors.choice_labels(customer.technology_roadmap, Technology),
        "pain_points": customer_selectors.choice_labels(customer.pain_points, PainPoint),
        "figures": figures,
        "figures_chart": customer_selectors.figures_chart(figures),
        "health": derived.explain(customer, tenant=tenant, today=today),
        "health_trend": selectors.health_trend(customer, weeks=selectors.TREND_WEEKS,
                                               until=today),
        "why": customer_selectors.tier_explanation(customer_selectors.latest_assessment(customer)),
        "override": customer_selectors.override_in_force(customer, today),
        "history": customer_selectors.tier_history(customer, tenant),
        "relationships": customer_selectors.relationship_grid(customer),
        "former_contacts": list(customer_selectors.customer_contacts(customer)
                                .filter(is_active=False)),
        "cadence": cadence_rows,
        "overdue_count": sum(1 for row in cadence_rows if row["overdue"]),
        "interactions": customer_selectors.recent_interactions(customer),
        "plans": customer_selectors.account_plans(customer),
        "record_history": history.history_page(request, customer),
    }
    flags = permissions(request, customer)
    context["health_trend_chart"] = selectors.trend_chart(context["health_trend"])
    context["trend_weeks"] = selectors.TREND_WEEKS
    context.update(flags)
    context["qbr"] = exports.qbr_control(request, customer)
    if roles.allows(request.role, "override_tiers"):
        context["override_form"] = TierOverrideForm()
    if flags["can_edit"]:
        context["interaction_form"] = InteractionForm(customer=customer, tenant=tenant)
    return page(request, "customers/customer_detail.html", context)


