"""Template tags for other apps' pages (the programmes panel of the account 360 page)."""

from django import template

from projects import rag, selectors, timeline

register = template.Library()


@register.simple_tag
def customer_programmes(customer, on=None):
    """{"programmes": the customer's programmes with RAG, "worst": the worst colour of the
    open ones, "chart": their timeline (projects.timeline)}; a fixed number of queries."""
    on, policy = selectors.context_for(customer.tenant, on)
    rows = selectors.customer_programmes(customer, on, policy)
    return {"programmes": rows, "worst": rag.worst(p.rag for p in rows),
            "chart": timeline.portfolio_timeline([p for p in rows if p.is_open], on, width=720)}
