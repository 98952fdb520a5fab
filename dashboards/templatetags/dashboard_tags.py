from django import template
from django.utils.html import json_script

from ..charts import chart_labels

register = template.Library()


@register.filter
def get(mapping, key):
    """`mapping|get:key`: a dict's value (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def is_number(value):
    """Whether a printed pack's cell holds a number (right-aligned, formatted)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@register.simple_tag(takes_context=True)
def export_quarters(context):
    """The quarters the dashboard's "Export PDF" picker offers, newest first."""
    from ..qbr import quarter_choices

    return quarter_choices(context["request"].tenant)


@register.simple_tag
def chart_labels_script():
    """`<script id="chart-labels" type="application/json">`: the charts' words."""
    return json_script(chart_labels(), "chart-labels")
