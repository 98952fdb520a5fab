"""E-mail for notifications and jobs, sent once per key, in the recipient's language.

Every e-mail is a row of `OutgoingEmail` keyed like notifications (`dedup_key`), so running
a job twice or retrying a task never sends anything twice:

- ordinary e-mails (a notification's copy, the monthly report) are written with their
  plain-text and HTML bodies, in the same transaction as the notification, and sent by
  `send_pending` at the end of the job run; a failed one is tried again by the next run,
  up to MAX_ATTEMPTS times;
- e-mails that carry a secret (a survey link) keep no body in the ledger: the app that
  owns their kind registers a writer (`register_writer`) that `send_pending` calls when it
  sends one, in one transaction with the sending, so the secret it issues is kept only
  if the e-mail went out. They are queued like the others and retried the same way.

A row is marked `sending` before the SMTP call and `sent` after it: a process that dies
in between leaves it `sending` and it is not sent again (at most once, never twice).
`send_pending` sends in batches until nothing is left or its deadline comes; what is
left is counted and reported, and the next run goes on with it.
"""

import logging
import time
from contextlib import contextmanager
from email.utils import formataddr, parseaddr
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from .models import NotificationPreference, OutgoingEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SUBJECT_LENGTH = 150
# E-mails read from the ledger at a time: a batch's rows are in memory, bodies included.
BATCH = 500
Status = OutgoingEmail.Status


class Content(NamedTuple):
    """What a writer of a bodiless kind sends (see `register_writer`)."""

    subject: str
    text: str
    html: str
    to_address: str
    from_email: str | None = None


# kind -> writer(email) -> Content, or None when the e-mail is no longer wanted.
_writers = {}


def register_writer(kind, writer):
    """Let `send_pending` send the bodiless e-mails of `kind`: `writer(email)` returns
    their Content (issuing whatever secret it carries) or None to drop the e-mail. It
    runs in the transaction of the sending, so what it writes is rolled back if the
    e-mail fails. The app owning the kind registers it at start-up."""
    _writers[kind] = writer


def language_for(user, tenant):
    """The language to write to `user` in: theirs, else the workspace's."""
    return (getattr(user, "language", "") or tenant.default_language
            or settings.LANGUAGE_CODE)


@contextmanager
def recipient_language(user, tenant):
    """Build a recipient's notification text and e-mail inside this block."""
    with translation.override(language_for(user, tenant)):
        yield


def absolute_url(path):
    """A link for an e-mail: `path` on the site's public address (SITE_URL)."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def wants_email(user, tenant, kind):
    """Whether `user` gets notifications of `kind` by e-mail (yes unless turned off)."""
    if user is None or not user.is_active or not user.email:
        return False
    choice = (NotificationPreference.objects.filter(tenant=tenant, user=user, kind=kind)
              .values_list("email", flat=True).first())
    return True if choice is None else choice


def subject_line(text):
    return Truncator(" ".join(str(text).split())).chars(SUBJECT_LENGTH)


def queue(*, tenant, dedup_key, kind, to_address, subject, text, html="", recipient=None):
    """Write an e-mail to send (once per `dedup_key`); returns (row, created)."""
    return OutgoingEmail.objects.get_or_create(
        tenant=tenant, dedup_key=dedup_key[:200],
        defaults={"kind": kind, "to_address": to_address, "recipient": recipient,
                  "subject": subject_line(subject)[:200], "text_body": text,
                  "html_body": html})


def queue_for_notification(notification, *, template=None, context=None):
    """The e-mail copy of a new notification, unless its recipient turned that kind off.

    `template` names a pair `<template>.txt` / `<template>.html` (default: the generic
    notification e-mail); `context` is added to theirs. Returns the row or None.
    """
    user, tenant = notification.recipient, notification.tenant
    if not wants_email(user, tenant, notification.kind):
        return None
    template = template or "notifications/email/notification"
    with recipient_language(user, tenant):
        data = {
            "user": user, "tenant": tenant, "notification": notification,
            "url": absolute_url(notification.url),
            "settings_url": absolute_url(reverse("notification_settings")),
            **(context or {}),
        }
        text = render_to_string(f"{template}.txt", data)
        html = render_to_string(f"{template}.html", data)
        subject = str(data.get("subject") or notification.display_text)
    email, _created = queue(tenant=tenant, dedup_key=f"notification:{notification.dedup_key}",
                            kind=notification.kind, to_address=user.email, subject=subject,
                            text=text, html=html, recipient=user)
    return email


def html_from_text(text):
    """A simple HTML body for a plain-text e-mail (paragraphs, links made clickable)."""
    return render_to_string("notifications/email/plain.html", {"text": text})


def from_address(*, display_name: str) -> str:
    """The configured sender's address (DEFAULT_FROM_EMAIL) under another display name,
    quoted or encoded as the name needs (commas, non-ASCII)."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((display_name, address))


def send_message(*, subject, text, html, to_address, from_email=None):
    """Send one e-mail now (plain text with an HTML alternative); raises on failure.
    `from_email` defaults to DEFAULT_FROM_EMAIL."""
    message = EmailMultiAlternatives(subject_line(subject), text,
                                     from_email or settings.DEFAULT_FROM_EMAIL, [to_address])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def _claim(email):
    """Mark `email` as being sent, if nobody else did in the meantime."""
    return bool(OutgoingEmail.objects.filter(
        pk=email.pk, status=email.status, attempts=email.attempts,
    ).update(status=Status.SENDING, attempts=F("attempts") + 1))


def mark_sent(email):
    OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.SENT,
                                                     sent_at=timezone.now(), last_error="")


def mark_failed(email, exc):
    OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.FAILED,
                                                     last_error=str(exc)[:1000])


def claim(*, tenant, dedup_key, kind, to_address, subject, recipient=None):
    """The ledger row of an e-mail its caller sends itself (one carrying a secret, whose
    body is not kept), claimed for sending now; None if it was sent (or is being sent, or
    has used its attempts). The caller sends it, then calls `mark_sent` or `mark_failed`."""
    email, _created = queue(tenant=tenant, dedup_key=dedup_key, kind=kind,
                            to_address=to_address, subject=subject, text="", recipient=recipient)
    if email.status not in (Status.PENDING, Status.FAILED) or email.attempts >= MAX_ATTEMPTS:
        return None
    return email if _claim(email) else None


def mark_cancelled(email, reason):
    OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.CANCELLED,
                                                     last_error=str(reason)[:1000])


def queue_secret(*, tenant, dedup_key, kind, to_address, subject, recipient=None):
    """Queue an e-mail of a kind with a writer (`register_writer`): no body is kept, the
    writer writes it when it is sent. Returns (row, created)."""
    if kind not in _writers:
        raise ValueError(f"No writer is registered for e-mails of kind {kind!r}.")
    return queue(tenant=tenant, dedup_key=dedup_key, kind=kind, to_address=to_address,
                 subject=subject, text="", recipient=recipient)


def _waiting(tenant, kinds=None):
    rows = OutgoingEmail.objects.filter(
        Q(kind__in=list(_writers)) | ~Q(text_body=""), tenant=tenant,
        status__in=[Status.PENDING, Status.FAILED], attempts__lt=MAX_ATTEMPTS)
    return rows if kinds is None else rows.filter(kind__in=kinds)


def _send_one(email):
    """Send one claimed e-mail; True if it went out, False if its writer dropped it."""
    with transaction.atomic():
        if email.text_body:
            content = Content(email.subject, email.text_body, email.html_body,
                              email.to_address)
        else:
            content = _writers[email.kind](email)
            if content is None:
                return False
        send_message(subject=content.subject, text=content.text, html=content.html,
                     to_address=content.to_address, from_email=content.from_email)
    return True


def send_pending(tenant, log=None, *, deadline=None, kinds=None):
    """Send the tenant's e-mails that are waiting (and retry failed ones), in batches of
    BATCH, until none is left or `deadline` (a time.monotonic() value) has passed; only
    `kinds` if given. An SMTP failure is logged, reported to `log` and the rest are still
    sent. What the deadline leaves is counted (`emails_left`) and reported, so the run is
    partial, and the next run sends it. Returns (sent, failed)."""
    sent = failed = 0
    after = 0  # the ledger's order: each row is tried at most once per call
    left = 0
    while True:
        batch = list(_waiting(tenant, kinds).filter(pk__gt=after).order_by("pk")[:BATCH])
        if not batch:
            break
        if deadline is not None and time.monotonic() >= deadline:
            left = _waiting(tenant, kinds).filter(pk__gt=after).count()
            break
        for email in batch:
            if deadline is not None and time.monotonic() >= deadline:
                break
            after = email.pk
            if not _claim(email):
                continue
            try:
                went = _send_one(email)
            except Exception as exc:  # SMTP, DNS, TLS…: each backend raises its own
                logger.warning("E-mail %s to %s failed: %s", email.pk, email.to_address, exc)
                mark_failed(email, exc)
                failed += 1
                if log is not None:
                    log.problem(translation.gettext(
                        "The e-mail “%(subject)s” to %(to)s could not be sent (attempt "
                        "%(attempt)s of %(max)s): %(error)s") % {
                        "subject": email.subject, "to": email.to_address,
                        "attempt": email.attempts + 1, "max": MAX_ATTEMPTS, "error": exc})
            else:
                if went:
                    mark_sent(email)
                    sent += 1
                else:
                    mark_cancelled(email, "no longer needed")
    if log is not None:
        log.count("emails_sent", sent)
        log.count("emails_failed", failed)
        if left:
            log.count("emails_left", left)
            log.problem(translation.ngettext(
                "%(count)s e-mail is still waiting: the run's time was up; it is sent "
                "next, in the background.",
                "%(count)s e-mails are still waiting: the run's time was up; they are sent "
                "next, in the background.", left) % {"count": left})
    return sent, failed
