"""Celery tasks, queued safely.

- :class:`Task` is the base class of every task (``shop/celery.py``): acknowledged late and
  requeued when its worker dies (``acks_late``, ``reject_on_worker_lost``), so a task runs at
  least once — hence every task is idempotent (docs/operations.md lists each one's key). It
  refuses to be published inside a database transaction (a rolled-back transaction must queue
  nothing: use :func:`enqueue`) and with an ETA beyond the broker's visibility timeout (Redis would
  deliver it again before it is due).
- :data:`RETRY`: the retry policy of every task: transient errors (network, SMTP, a database
  restarting) retried with exponential backoff and jitter, never beyond the visibility timeout.
- :func:`enqueue`: queue a task once the current transaction commits, through the transactional
  outbox (:class:`shop.core.models.OutboxMessage`): the message is written in the same
  transaction, published after the commit and deleted; if the broker is down it stays and
  :func:`relay_outbox` sends it later. A task is never lost and never queued for a rolled-back
  change.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import celery
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from shop.core.transactions import in_transaction

logger = logging.getLogger(__name__)

# Errors worth trying again: the network, SMTP (smtplib's errors are OSErrors), the database
# restarting or failing over.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
RETRY_BACKOFF_MAX = 600  # seconds; far below the visibility timeout (checked by the tests)
RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 8,
}


class TaskQueuedInTransaction(RuntimeError):
    """``delay()`` inside a transaction: the task could run before the commit, or for a change
    that is rolled back. Use :func:`enqueue`."""


class EtaBeyondVisibilityTimeout(ValueError):
    """A countdown/ETA longer than the broker's visibility timeout (Redis would redeliver it)."""


def visibility_timeout() -> int:
    return int(settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])


_effects = threading.local()


def effect_done() -> None:
    """Called right after an effect outside the database that cannot be taken back (an email
    handed to the mail server). If the running task then fails — its sent mark could not be
    committed because the database went away — it is not retried: a retry would repeat the
    effect. The error is logged; the mark stays unset."""
    _effects.done = True


class Task(celery.Task):
    # acks_late and reject_on_worker_lost come from the settings (CELERY_TASK_ACKS_LATE,
    # CELERY_TASK_REJECT_ON_WORKER_LOST), which Celery applies to every task.

    def __call__(self, *args, **kwargs):
        outer = getattr(_effects, "done", False)
        _effects.done = False
        try:
            return super().__call__(*args, **kwargs)
        finally:
            _effects.done = outer

    def retry(
        self, args=None, kwargs=None, exc=None, throw=True, eta=None, countdown=None, max_retries=None, **options
    ):
        if getattr(_effects, "done", False) and exc is not None:
            logger.error(
                "%s: its effect happened but could not be recorded (%s); not retried, so as not to repeat it",
                self.name,
                exc,
            )
            raise exc
        return super().retry(args, kwargs, exc, throw, eta, countdown, max_retries, **options)

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, **options):
        if in_transaction():
            raise TaskQueuedInTransaction(f"{self.name} queued inside a transaction; use shop.core.queueing.enqueue")
        countdown, eta = options.get("countdown"), options.get("eta")
        limit = visibility_timeout()
        if countdown is not None and countdown >= limit:
            raise EtaBeyondVisibilityTimeout(f"{self.name}: countdown {countdown}s >= visibility timeout {limit}s")
        if eta is not None and (eta - timezone.now()).total_seconds() >= limit:
            raise EtaBeyondVisibilityTimeout(f"{self.name}: eta {eta} beyond the visibility timeout {limit}s")
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)


# --- the outbox -------------------------------------------------------------------------------

_backlog = threading.Event()  # set when a publish failed: the next successful one relays the rest
# After a failed publish, requests stop trying the broker for this long (their messages simply
# wait in the outbox): an outage costs a request nothing, not a connect timeout per task.
BROKER_DOWN_BACKOFF_SECONDS = 5.0
_down_until = [0.0]


def _broker_resting() -> bool:
    return time.monotonic() < _down_until[0]


def _broker_failed() -> None:
    _backlog.set()
    _down_until[0] = time.monotonic() + BROKER_DOWN_BACKOFF_SECONDS
    _start_catching_up()


_catching_up = threading.Lock()


def _start_catching_up() -> None:
    """One thread per process that, while the broker is down, tries the relay every few seconds:
    when the broker is back, what this process could not queue is sent without waiting for beat
    or for new traffic."""
    if not settings.OUTBOX_CATCH_UP or not _catching_up.acquire(blocking=False):
        return  # off, or already running
    threading.Thread(target=_catch_up, name="outbox-catch-up", daemon=True).start()


def _catch_up() -> None:
    """Relay every few seconds while the broker is down, and then until the outbox is empty (the
    last requests of the outage left their messages there too), at most a minute once nothing
    moves."""
    from django.db import connection

    from shop.core.models import OutboxMessage

    idle = 0
    try:
        while idle < 12:
            time.sleep(BROKER_DOWN_BACKOFF_SECONDS)
            _backlog.clear()
            try:
                sent = 0
                while batch := relay_outbox(min_age_seconds=int(BROKER_DOWN_BACKOFF_SECONDS)):
                    sent += batch
                if _backlog.is_set():
                    continue  # still down
                if not OutboxMessage.objects.exists():
                    break
                idle = 0 if sent else idle + 1
            except Exception:
                logger.exception("outbox catch-up failed; trying again")
                _backlog.set()
    finally:
        connection.close()
        _catching_up.release()


def enqueue(task, *args, **kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` once the current transaction commits (at once outside a
    transaction). Arguments must be JSON values (ids, strings, lists)."""
    from shop.core.models import OutboxMessage

    if not in_transaction():
        if _broker_resting():
            OutboxMessage.objects.create(task=task.name, args=list(args), kwargs=kwargs)
            _start_catching_up()
            return
        try:
            _publish(task.name, args, kwargs)
        except Exception as exc:
            _broker_failed()
            logger.warning("broker unavailable; %s kept in the outbox: %s", task.name, exc)
            OutboxMessage.objects.create(
                task=task.name, args=list(args), kwargs=kwargs, attempts=1, last_error=str(exc)
            )
            return
        _after_success()
        return
    message = OutboxMessage.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _send(message))


def _publish(name: str, args, kwargs) -> None:
    from celery import current_app as app

    app.tasks[name].apply_async(args=list(args), kwargs=dict(kwargs))


def _send(message) -> None:
    """After the commit: publish, then forget the row. A failure leaves it to the relay."""
    from shop.core.models import OutboxMessage

    if _broker_resting():
        _start_catching_up()  # the broker failed moments ago: the catch-up relay sends it
        return
    try:
        _publish(message.task, message.args, message.kwargs)
    except Exception as exc:
        _broker_failed()
        logger.warning("broker unavailable; %s (outbox %s) will be relayed: %s", message.task, message.pk, exc)
        try:
            OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, last_error=str(exc)[:2000])
        except Exception:
            logger.exception("outbox %s: could not record the failed attempt", message.pk)
        return
    OutboxMessage.objects.filter(pk=message.pk).delete()
    _after_success()


def _after_success() -> None:
    """The broker took a message: if earlier ones failed, queue the relay of what piled up."""
    if _backlog.is_set():
        _backlog.clear()
        try:
            _publish("shop.core.tasks.relay_outbox", (), {})
        except Exception:
            _broker_failed()


def relay_outbox(*, batch: int = 500, now=None, min_age_seconds: int | None = None) -> int:
    """Send the outbox messages that are due (older than ``OUTBOX_RELAY_AFTER_SECONDS``, so a
    request's own after-commit send goes first). Rows are claimed in a short transaction
    (``SKIP LOCKED``: several relays share the work, none sends a row another claimed), published
    outside it, then deleted. Returns how many were sent. At the first broker failure it stops and
    gives the rest back at once (the broker is down for every message alike); a message whose
    task no longer exists is put aside for an hour, with an error in the log."""
    from celery import current_app as app

    from shop.core.models import OutboxMessage

    now = now or timezone.now()
    min_age = settings.OUTBOX_RELAY_AFTER_SECONDS if min_age_seconds is None else min_age_seconds
    claim_until = now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(available_at__lte=now, created_at__lte=now - timedelta(seconds=min_age))
            .order_by("pk")[:batch]
        )
        OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(available_at=claim_until)
    sent = 0
    for index, row in enumerate(rows):
        if row.task not in app.tasks:
            logger.error("outbox %s: no task %s on this server; put aside for an hour", row.pk, row.task)
            OutboxMessage.objects.filter(pk=row.pk).update(
                attempts=row.attempts + 1, last_error="unknown task", available_at=now + timedelta(hours=1)
            )
            continue
        try:
            _publish(row.task, row.args, row.kwargs)
        except Exception as exc:
            _broker_failed()
            left = [r.pk for r in rows[index:]]
            logger.warning("outbox relay: broker unavailable (%s); %s message(s) left", exc, len(left))
            OutboxMessage.objects.filter(pk__in=left).update(
                attempts=F("attempts") + 1, last_error=str(exc)[:2000], available_at=timezone.now()
            )
            break
        OutboxMessage.objects.filter(pk=row.pk).delete()
        sent += 1
    if sent:
        logger.info("outbox relay: %s message(s) sent", sent)
    return sent
