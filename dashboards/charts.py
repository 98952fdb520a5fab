"""What the charts (static/js/dashboard.js) need from the server besides their data: the
words they draw, translated."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import health


def chart_labels():
    """The words the charts draw (dashboard.js reads them), translated."""
    return {
        "customers": _("Customers"), "revenue": _("Revenue"),
        "revenue_share": _("Share of revenue %"), "customers_share": _("Share of customers %"),
        "cumulative_revenue": _("Cumulative share of revenue %"),
        "tier": _("Tier"), "no_tier": _("No tier"), "cutoff": _("%(tier)s cut-off"),
        "top1": _("Top customer"), "top20": _("Top 20 percent of customers"),
        "threshold": _("Threshold"), "share": _("Share %"), "hhi": _("HHI"),
        "index": _("Index"), "change": _("Change vs previous quarter"),
        "open": pgettext("OPL items still open", "Open"), "overdue": _("Overdue"),
        "stale": _("Stale"), "opened": pgettext("OPL items opened in a week", "Opened"),
        "closed": _("Closed"), "items": _("Items"),
        "unassigned": _("Unassigned"), "red": _("Red"), "amber": _("Amber"),
        "green": _("Green"), "none": _("No colour"), "compliance": _("Standards met %"),
        "compliant_share": _("Customers meeting all %"), "health": _("Health"),
        "good": health.BANDS[health.GOOD], "watch": health.BANDS[health.WATCH],
        "at_risk": health.BANDS[health.AT_RISK], "quarter": _("Quarter"),
        "margin": _("Gross margin %"), "on_time": _("On-time delivery %"),
        "no_data": _("No data yet"), "revenue_pct": _("Revenue %"),
        "customers_pct": _("Customers %"), "top1_pct": _("Top-1 %"), "days": _("days"),
    }
