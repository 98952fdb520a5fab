"""The transactional outbox: tasks that web code wants run survive a broker outage.

`enqueue(task, **kwargs)` writes an `OutboxMessage` in the caller's transaction and, once
that commits, publishes it to the broker. If the broker cannot be reached the request
still succeeds: the row stays and `drain()` publishes it later; beat runs the drain every
minute (`jobs.tasks.drain_outbox`) and every worker once when it starts. The tasks are
idempotent, so the rare double publication (a drain racing a late publish) is harmless;
each message keeps one task id however often it is published.

In the embedded default (no REDIS_URL, tasks eager) publishing runs the task in-process,
as `.delay()` would.
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# A message younger than this with no failed attempt is still being published by the
# request that wrote it; the drain leaves it alone.
GRACE = timedelta(seconds=30)
# Published messages are kept this long (what was sent, when) and then removed.
KEEP_SENT = timedelta(days=7)


def enqueue(task, **kwargs):
    """Queue `task` (a task or its name) with `kwargs` once the current transaction
    commits, keeping it in the outbox until the broker has it. Returns the message."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task_name=name, kwargs=kwargs,
                                           tenant_id=kwargs.get("tenant_id"))
    transaction.on_commit(lambda: publish(message.pk))
    return message


def _app():
    from kam.celery import app

    return app


def _mark_sent(message):
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_attempt_at=timezone.now())


def runs_in_process():
    """True on the embedded default: no broker, a task runs where it is sent."""
    return bool(_app().conf.task_always_eager)


def registered_task(name):
    """The task called `name`, importing the apps' task modules first if needed.

    A web process imports the task modules lazily (Celery's autodiscovery runs when a
    worker starts), and a task sent by name that this process does not know goes to the
    broker even when tasks run in-process: on the embedded default, to a memory queue
    that nobody reads. Resolving the task itself runs it here instead."""
    app = _app()
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]  # celery.exceptions.NotRegistered for an unknown name


def _send(message):
    """Publish one message; True if the broker took it. Broker errors are kept on the row."""
    app = _app()
    if app.conf.task_always_eager:
        # In-process: publishing is running the task, whose errors are the caller's.
        _mark_sent(message)
        registered_task(message.task_name).apply_async(kwargs=message.kwargs,
                                                       task_id=str(message.task_id))
        return True
    signature = app.signature(message.task_name, kwargs=message.kwargs)
    try:
        signature.apply_async(task_id=str(message.task_id))
    except Exception as exc:  # kombu, redis and socket errors differ by transport
        logger.warning("Broker unreachable; %s stays in the outbox (%s)", message, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_attempt_at=timezone.now(),
            last_error=f"{type(exc).__name__}: {exc}"[:1000])
        return False
    _mark_sent(message)
    return True


def publish(pk):
    """Publish the message `pk` if it is still waiting; True if the broker took it."""
    message = OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).first()
    return _send(message) if message is not None else False


def waiting(now=None):
    """Messages the drain should publish: not sent, and either failed once or old enough."""
    now = now or timezone.now()
    return (OutboxMessage.objects.filter(sent_at__isnull=True)
            .filter(Q(attempts__gt=0) | Q(created_at__lt=now - GRACE)).order_by("pk"))


def drain(limit=500, now=None):
    """Publish waiting messages, oldest first, stopping at the first broker failure (the
    rest would fail too). Returns {"sent": n, "left": n}."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        rows = waiting(now)
        if connection.features.has_select_for_update_skip_locked:
            # Two drains at once (two workers starting) take different rows.
            rows = rows.select_for_update(skip_locked=True)
        for message in rows[:limit]:
            if not _send(message):
                break
            sent += 1
    OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
    left = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    if sent or left:
        logger.info("Outbox drained: %s published, %s waiting", sent, left)
    return {"sent": sent, "left": left}


def backlog(tenant=None):
    """(count, oldest created_at) of the messages waiting, for the job page."""
    rows = OutboxMessage.objects.filter(sent_at__isnull=True)
    if tenant is not None:
        rows = rows.filter(tenant=tenant)
    oldest = rows.order_by("created_at").values_list("created_at", flat=True).first()
    return rows.count(), oldest
