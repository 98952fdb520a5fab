"""What the dashboards keep: each customer's account health as last computed, so that
lists and dashboards read it instead of recomputing a whole portfolio per request."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam import bounds
from kam.tenancy import TenantOwnedModel

from . import health


class AccountHealth(TenantOwnedModel):
    """A customer's health (dashboards.health) as computed on `computed_on`.

    Fresh while `computed_on` is the tenant's today and `stale` is false. Writes to any
    of its parts set `stale` (dashboards.derived); the nightly job and the first read
    after a write recompute it. So a stored value is never older than the day, and a
    change shows on the next read."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE,
                                    related_name="health_record")
    # Null: no part has data yet (health.NO_DATA), which is not a low health.
    value = models.PositiveSmallIntegerField(_("health"), null=True, blank=True)
    # The part scores in health.PART_KEYS order (null where a part does not apply) and the
    # facts each was scored from: enough to explain the value without recomputing it.
    # JSON kept as text: it is only ever read whole, and parsing text with orjson is
    # several times cheaper than the database's jsonb output plus Django's decoding.
    scores = models.TextField()
    facts = models.TextField()
    # Service standards met and due, also in `facts`: the dashboard sums them over every
    # customer, and these need no parsing.
    cadence_met = models.PositiveSmallIntegerField(default=0)
    cadence_standards = models.PositiveSmallIntegerField(default=0)
    computed_on = models.DateField()
    computed_at = models.DateTimeField()
    stale = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "value"], name="health_tenant_value")]
        verbose_name = _("account health")

    def __str__(self):
        return f"{self.customer_id}: {self.value}"


class HealthSnapshot(TenantOwnedModel):
    """A customer's stored health as it stood in a week (dashboards.snapshots): what the
    trend on the account page, the arrows of the lists and the QBR pack read. One per
    customer and week, `week` being the Monday of the ISO week in the tenant's time
    zone; a rerun of the week's job rewrites it."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="health_snapshots")
    week = models.DateField(_("week"))
    # Null: no part had data (health.NO_DATA).
    value = models.PositiveSmallIntegerField(_("health"), null=True, blank=True,
                                             validators=bounds.between(0, 100))
    band = models.CharField(_("band"), max_length=10, choices=list(health.ALL_BANDS.items()))
    # {part key: score 0–100, or null where the part does not apply}, in PART_KEYS order.
    parts = models.JSONField(default=dict)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["customer", "week"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer", "week"],
                                    name="health_snapshot_one_per_week"),
            bounds.check_between("value", 0, 100, name="health_snapshot_value_range"),
        ]
        indexes = [models.Index(fields=["tenant", "week"], name="health_snapshot_week")]
        verbose_name = _("health snapshot")

    def __str__(self):
        return f"{self.customer_id} {self.week}: {self.value}"
