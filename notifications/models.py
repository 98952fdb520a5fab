from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam import messages
from kam.tenancy import TenantOwnedModel


class Notification(TenantOwnedModel):
    """An in-app message to one user; jobs write them, the inbox shows them.

    `dedup_key` makes writing the same reminder twice a no-op (jobs are repeatable).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=50)
    # The text as its message id and parameters (kam.messages), rendered in the reader's
    # language; `text` keeps it as written, in the recipient's language then, for rows
    # written before messages were stored and for the e-mail.
    message = models.JSONField(default=dict, blank=True)
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
        return self.display_text

    @property
    def display_text(self):
        """The text in the active language."""
        return messages.render(self.message)[:500] if self.message else self.text

    @property
    def is_read(self):
        return self.read_at is not None


class NotificationPreference(TenantOwnedModel):
    """Whether a user gets one kind of notification by e-mail too (no row: yes). The inbox
    always shows every notification."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=50)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "kind"],
                                    name="notification_preference_unique"),
        ]
        verbose_name = _("notification preference")

    def __str__(self):
        return f"{self.user_id} {self.kind}: {'e-mail' if self.email else 'inbox only'}"


class OutgoingEmail(TenantOwnedModel):
    """One e-mail, keyed like notifications: the ledger that makes sending repeatable.

    A row is written once per `dedup_key` and sent until it is `sent` (or out of attempts),
    so a job that runs twice, or a task that is retried, never e-mails anyone twice.
    E-mails that carry a secret (survey links) keep no body here (`notifications.emails`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Dropped before it was sent: its writer found it no longer wanted (a survey
        # answered or closed meanwhile).
        CANCELLED = "cancelled", _("Not needed")

    dedup_key = models.CharField(max_length=200)
    kind = models.CharField(_("kind"), max_length=50)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    to_address = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "dedup_key"], name="outgoing_email_dedup"),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]
        verbose_name = _("outgoing e-mail")

    def __str__(self):
        return f"{self.to_address}: {self.subject}"
