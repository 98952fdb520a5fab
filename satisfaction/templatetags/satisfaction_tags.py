"""`{% satisfaction_panel customer as panel %}`: the data of the customer 360 panel;
`{% heatmap_styles %}`: the CSS of the heatmap's colour bands (satisfaction.index)."""

from django import template

from kam.tenancy import require_tenant

from .. import index, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def satisfaction_panel(context, customer):
    tenant = context.get("current_tenant") or require_tenant()
    return selectors.customer_panel(customer, today=tenant.today())


@register.inclusion_tag("satisfaction/_heatmap_styles.html")
def heatmap_styles():
    return {"bands": [(key, background, text) for _low, key, background, text
                      in index.COLOUR_BANDS] + [index.NO_INDEX_COLOURS]}


@register.inclusion_tag("satisfaction/_heatmap_legend.html")
def heatmap_legend():
    """The colour bands as a legend: each band's range, highest first."""
    bands, upper = [], None
    for lowest, key, _background, _text in index.COLOUR_BANDS:
        bands.append({"key": key, "low": lowest, "high": upper})
        upper = lowest
    return {"bands": bands}
