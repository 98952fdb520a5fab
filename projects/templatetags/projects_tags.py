"""Template tags for other apps' pages (the programmes panel of the account 360 page)."""

from django import template

from projects import rag, selectors

register = template.Library()


@register.simple_tag
def customer_programmes(customer, on=None):
    """{"programmes": the customer's programmes with RAG, "worst": the worst colour of the
    open ones}; a fixed number of queries."""
    on, policy = selectors.context_for(customer.tenant, on)
    rows = selectors.customer_programmes(customer, on, policy)
    return {"programmes": rows, "worst": rag.worst(p.rag for p in rows)}
