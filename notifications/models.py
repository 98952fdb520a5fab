from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOwnedModel


class Notification(TenantOwnedModel):
    """An in-app message to one user; jobs write them, the inbox shows them.

    `dedup_key` makes writing the same reminder twice a no-op (jobs are repeatable).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=50)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    dedup_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedup_key"], name="notification_dedup"),
        ]
        indexes = [models.Index(fields=["tenant", "recipient", "read_at"])]
        verbose_name = _("notification")

    def __str__(self):
        return self.text

    @property
    def is_read(self):
        return self.read_at is not None
