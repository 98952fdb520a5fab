"""Codes are identifiers: customer and programme codes are unique per tenant ignoring
case and surrounding spaces ("CJA", "cja " and "cjA" are one code).

Codes are stored stripped; the database holds the rule as a unique index on
(tenant, LOWER(TRIM(code))), and `taken` finds the row a code would collide with, so
forms, the API and imports name the field instead of meeting the index.
"""

from django.db import models
from django.db.models.functions import Lower, Trim


def normalise(code):
    """The stored form of a code: without surrounding spaces (case is kept as typed)."""
    return (code or "").strip()


def key(code):
    """What two codes are compared by (lower case, as the database's LOWER())."""
    return normalise(code).lower()


def taken(queryset, code, *, exclude_pk=None):
    """The row of `queryset` (one tenant's, as tenant-owned managers scope them) whose code
    is `code` ignoring case and surrounding spaces, or None."""
    rows = queryset.filter(code__iexact=normalise(code))
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.only("pk", "code").first()


def unique_constraint(name):
    """The database's form of the rule, for a model's Meta.constraints."""
    return models.UniqueConstraint(models.F("tenant"), Lower(Trim("code")), name=name)
