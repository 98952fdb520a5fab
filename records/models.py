"""Records' tables: the tenant's settings here; attachments and history below."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam import bounds
from kam.tenancy import TenantOwnedModel

ATTACHMENT_MB_RANGE = (1, 100)
HISTORY_DAYS_RANGE = (365, 7300)


class RecordSettings(TenantOwnedModel):
    """A tenant's records settings (no row: the defaults)."""

    DEFAULT_ATTACHMENT_MB = 20
    # IATF 16949 keeps quality records for the life of the part plus a year: ten years
    # covers a programme's production life and its service.
    DEFAULT_HISTORY_DAYS = 3650

    attachment_max_mb = models.PositiveSmallIntegerField(
        _("largest attachment (MB)"), default=DEFAULT_ATTACHMENT_MB,
        validators=bounds.between(*ATTACHMENT_MB_RANGE))
    history_retention_days = models.PositiveSmallIntegerField(
        _("keep the history of changes (days)"), default=DEFAULT_HISTORY_DAYS,
        validators=bounds.between(*HISTORY_DAYS_RANGE))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="record_settings_unique"),
            bounds.check_between("attachment_max_mb", *ATTACHMENT_MB_RANGE,
                                 name="record_settings_attachment_max_mb_range"),
            bounds.check_between("history_retention_days", *HISTORY_DAYS_RANGE,
                                 name="record_settings_history_retention_days_range"),
        ]
        verbose_name = _("records settings")
        verbose_name_plural = _("records settings")

    def __str__(self):
        return f"{self.tenant_id}: {self.attachment_max_mb} MB, {self.history_retention_days} d"


# --- attachments (records/attachments.py) ---------------------------------------------------

from .attachments import Attachment  # noqa: E402,F401
