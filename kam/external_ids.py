"""External ids: the key an integrator's own system gives a row (a CRM contact id, an ERP
record number), so that it can find and upsert the row without keeping our ids.

Optional (blank allowed) and unique per tenant when given, compared exactly, case
included: other systems' ids are opaque and some are case-sensitive (two Salesforce ids
may differ only by case). Stored stripped of surrounding spaces. The database holds the
rule as a conditional unique constraint; `errors` names the field first.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 100


def field():
    return models.CharField(
        _("external id"), max_length=MAX_LENGTH, blank=True, default="",
        help_text=_("The id of this row in your own system: unique in the workspace when "
                    "given, compared exactly (case included)."))


def unique_constraint(name):
    """Unique per tenant when not blank, for a model's Meta.constraints."""
    return models.UniqueConstraint(fields=["tenant", "external_id"],
                                   condition=~models.Q(external_id=""), name=name)


def normalise(value):
    return (value or "").strip()


def taken(queryset, value, *, exclude_pk=None):
    """The row of `queryset` (one tenant's) with external id `value`, or None."""
    value = normalise(value)
    if not value:
        return None
    rows = queryset.filter(external_id=value)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.only("pk").first()
