"""The range of every number people enter, said once per field and held in three places.

A number the product cannot compute with (a service standard of 3,000,000 days overflows
date arithmetic; a revenue beyond the column's digits cannot be stored on PostgreSQL) is
a field error, not a 500 on the pages that read it later. Each bounded model field gets
its range as validators (`between`): Django's forms and model validation use them, and
DRF's ModelSerializer turns them into `min_value` / `max_value`, so the API refuses it
with a field error and the OpenAPI schema states it. The same range is a database check
(`check_between`), so an import, a bulk statement or a raw write cannot store it either.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import CheckConstraint, Q

# Ten years: the longest span between two dates the product reasons about (a service
# standard, a milestone's offset from SOP). Longer is a typing error.
MAX_DAYS = 3650
# A payment term longer than a year is a typing error too.
MAX_PAYMENT_DAYS = 365
# Days of a RAG or escalation setting: a window longer than a year judges nothing.
MAX_SETTING_DAYS = 365
# Parts per million: a million is every part bad.
MAX_PPM = Decimal("1000000")
# Units delivered to one customer in one quarter; vehicles of one programme in a year.
MAX_UNITS = 1_000_000_000
MAX_VEHICLES_A_YEAR = 100_000_000
# Business years (plans, campaigns, awards).
MIN_YEAR, MAX_YEAR = 2000, 2100


def money_max(max_digits: int, decimal_places: int) -> Decimal:
    """The largest amount a DecimalField of these digits holds (16, 2: 99,999,999,999,999.99)."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)


# The amounts of the figures, plans and programmes (DecimalField(max_digits=16,
# decimal_places=2)); sums over a scoring window stay within the 18 digits of
# TierAssessment.revenue.
MAX_MONEY = money_max(16, 2)


def between(low, high) -> list:
    """The validators of a field whose values lie in [low, high]."""
    return [MinValueValidator(low), MaxValueValidator(high)]


class RangeCheck(CheckConstraint):
    """A database check that repeats a field's own validators (`between`, or its
    choices). Model validation skips it: the field already reports the same rule on
    itself, where Django's generic constraint message would name no field and cost a
    query."""

    def validate(self, model, instance, exclude=None, using=None):
        return None


def check_between(field: str, low, high, *, name: str) -> RangeCheck:
    """The database's copy of `between(low, high)` for `field`; an empty (NULL) value
    passes, as the field's own `null=True` decides whether it may be empty."""
    return RangeCheck(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        name=name,
    )


def clamp_step(app_label: str, clamped: list[tuple[str, str, object, object]]):
    """A migration's RunPython function that moves values outside the bounds a field did
    not have yet to those bounds, so that the checks can be added: `clamped` lists
    (model name, field, low, high). Rows of every tenant (migrations run across them)."""

    def clamp_to_bounds(apps, schema_editor):
        for model_name, field, low, high in clamped:
            rows = apps.get_model(app_label, model_name)._base_manager
            rows.filter(**{f"{field}__lt": low}).update(**{field: low})
            rows.filter(**{f"{field}__gt": high}).update(**{field: high})

    return clamp_to_bounds
