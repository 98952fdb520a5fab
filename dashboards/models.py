"""What the dashboards keep: each customer's account health as last computed, so that
lists and dashboards read it instead of recomputing a whole portfolio per request."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOwnedModel


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
