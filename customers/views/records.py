"""What is kept on a customer: quarterly figures, contacts, interactions, account plans
and their initiatives. Every object is looked up inside its customer, so an id of another
customer (or tenant) is 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam import periods

from ..forms import (
    AccountPlanForm,
    ContactForm,
    InitiativeForm,
    InteractionForm,
    PeriodFigureForm,
)
from ..models import AccountPlan, Contact, Initiative, PeriodFigure
from .common import edit_required, get_editable_customer, page, submit


def _back_to(customer, panel):
    return reverse("customer_detail", args=[customer.pk]) + f"#{panel}"


def _form_page(request, customer, form, *, title, panel, intro="", submit_label=None):
    return page(request, "customers/record_form.html", {
        "customer": customer, "form": form, "title": title, "intro": intro,
        "cancel_url": _back_to(customer, panel), "submit_label": submit_label,
    })


def _suggested_period(customer, today):
    """The quarter after the customer's latest figures, else the last complete quarter."""
    latest = PeriodFigure.objects.filter(customer=customer).order_by("-period").first()
    if latest is not None:
        return periods.shift_period(latest.period, 1)
    return str(periods.Quarter.of(today) - 1)


# --- figures ---------------------------------------------------------------------------

DUPLICATE_PERIOD = gettext_lazy("This customer already has figures for that quarter.")


@edit_required
def figure_add(request, customer_pk):
    customer = get_editable_customer(request, customer_pk)
    form = PeriodFigureForm(request.POST or None, customer=customer, initial={
        "period": _suggested_period(customer, request.tenant.today())})
    figure = submit(request, form, "period", DUPLICATE_PERIOD)
    if figure is not None:
        messages.success(request, _("Figures for %(period)s saved.") % {
            "period": figure.period})
        return redirect(_back_to(customer, "panel-figures"))
    return _form_page(request, customer, form, title=_("Add a quarter's figures"),
                      panel="panel-figures", intro=_(
                          "Percentages are 0–100; money in %(currency)s. Leave a box empty "
                          "when the figure is not known.") % {
                          "currency": request.tenant.currency})


@edit_required
def figure_edit(request, customer_pk, pk):
    customer = get_editable_customer(request, customer_pk)
    figure = get_object_or_404(PeriodFigure, pk=pk, customer=customer)
    form = PeriodFigureForm(request.POST or None, instance=figure, customer=customer)
    if submit(request, form, "period", DUPLICATE_PERIOD) is not None:
        messages.success(request, _("Figures for %(period)s saved.") % {
            "period": figure.period})
        return redirect(_back_to(customer, "panel-figures"))
    return _form_page(request, customer, form, panel="panel-figures",
                      title=_("Figures for %(period)s") % {"period": figure.period})


# --- contacts --------------------------------------------------------------------------

@edit_required
def contact_add(request, customer_pk):
    customer = get_editable_customer(request, customer_pk)
    form = ContactForm(request.POST or None, customer=customer, tenant=request.tenant)
    contact = submit(request, form, None, _("The contact could not be saved."))
    if contact is not None:
        messages.success(request, _("%(name)s added to the relationship map.") % {
            "name": contact.name})
        return redirect(_back_to(customer, "panel-relationships"))
    return _form_page(request, customer, form, title=_("Add a contact"),
                      panel="panel-relationships")


@edit_required
def contact_edit(request, customer_pk, pk):
    customer = get_editable_customer(request, customer_pk)
    contact = get_object_or_404(Contact, pk=pk, customer=customer)
    form = ContactForm(request.POST or None, instance=contact, customer=customer,
                       tenant=request.tenant)
    if submit(request, form, None, _("The contact could not be saved.")) is not None:
        messages.success(request, _("Contact %(name)s saved.") % {"name": contact.name})
        return redirect(_back_to(customer, "panel-relationships"))
    return _form_page(request, customer, form, panel="panel-relationships",
                      title=_("Edit contact %(name)s") % {"name": contact.name})


# --- interactions ----------------------------------------------------------------------

@edit_required
def interaction_add(request, customer_pk):
    customer = get_editable_customer(request, customer_pk)
    form = InteractionForm(request.POST or None, customer=customer, tenant=request.tenant)
    interaction = submit(request, form, None, _("The interaction could not be saved."),
                         user=request.user)
    if interaction is not None:
        messages.success(request, _("%(kind)s on %(date)s logged.") % {
            "kind": interaction.get_kind_display(), "date": interaction.occurred_on})
        return redirect(_back_to(customer, "panel-interactions"))
    return _form_page(request, customer, form, title=_("Log an interaction"),
                      panel="panel-interactions", submit_label=_("Log interaction"))


# --- account plans and initiatives -----------------------------------------------------

DUPLICATE_YEAR = gettext_lazy("This customer already has a plan for that year.")


@edit_required
def plan_add(request, customer_pk):
    customer = get_editable_customer(request, customer_pk)
    form = AccountPlanForm(request.POST or None, customer=customer, tenant=request.tenant)
    plan = submit(request, form, "year", DUPLICATE_YEAR)
    if plan is not None:
        messages.success(request, _("Account plan %(year)s created.") % {"year": plan.year})
        return redirect(_back_to(customer, "panel-plans"))
    return _form_page(request, customer, form, title=_("New account plan"),
                      panel="panel-plans", intro=_(
                          "One customer, one strategy, one team, one financial model: the "
                          "year's targets and how to reach them."))


@edit_required
def plan_edit(request, customer_pk, pk):
    customer = get_editable_customer(request, customer_pk)
    plan = get_object_or_404(AccountPlan, pk=pk, customer=customer)
    form = AccountPlanForm(request.POST or None, instance=plan, customer=customer,
                           tenant=request.tenant)
    if submit(request, form, "year", DUPLICATE_YEAR) is not None:
        messages.success(request, _("Account plan %(year)s saved.") % {"year": plan.year})
        return redirect(_back_to(customer, "panel-plans"))
    return _form_page(request, customer, form, panel="panel-plans",
                      title=_("Account plan %(year)s") % {"year": plan.year})


@edit_required
def initiative_add(request, customer_pk, pk):
    customer = get_editable_customer(request, customer_pk)
    plan = get_object_or_404(AccountPlan, pk=pk, customer=customer)
    form = InitiativeForm(request.POST or None, plan=plan, tenant=request.tenant)
    initiative = submit(request, form, None, _("The initiative could not be saved."))
    if initiative is not None:
        messages.success(request, _("Initiative “%(title)s” added to the %(year)s plan.")
                         % {"title": initiative.title, "year": plan.year})
        return redirect(_back_to(customer, "panel-plans"))
    return _form_page(request, customer, form, panel="panel-plans",
                      title=_("New initiative for the %(year)s plan") % {"year": plan.year})


@edit_required
def initiative_edit(request, customer_pk, pk):
    customer = get_editable_customer(request, customer_pk)
    initiative = get_object_or_404(Initiative.objects.select_related("plan"), pk=pk,
                                   plan__customer=customer)
    form = InitiativeForm(request.POST or None, instance=initiative, plan=initiative.plan,
                          tenant=request.tenant)
    if submit(request, form, None, _("The initiative could not be saved.")) is not None:
        messages.success(request, _("Initiative “%(title)s” saved.") % {
            "title": initiative.title})
        return redirect(_back_to(customer, "panel-plans"))
    return _form_page(request, customer, form, panel="panel-plans",
                      title=_("Edit initiative"))
