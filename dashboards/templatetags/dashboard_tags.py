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


@register.simple_tag
def chart_labels_script():
    """`<script id="chart-labels" type="application/json">`: the charts' words."""
    return json_script(chart_labels(), "chart-labels")
