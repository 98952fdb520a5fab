"""`{% satisfaction_panel customer as panel %}`: the data of the customer 360 panel."""

from django import template

from kam.tenancy import require_tenant

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def satisfaction_panel(context, customer):
    tenant = context.get("current_tenant") or require_tenant()
    return selectors.customer_panel(customer, today=tenant.today())
