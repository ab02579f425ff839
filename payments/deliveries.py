"""Processing a provider's stored notification (a Stripe event: payments/webhooks.py; a payOS
delivery: payments/payos_webhooks.py) at most once to completion, from a Celery task."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from payments.models import ProviderEvent


def process(
    model: type[ProviderEvent],
    event_pk: int,
    apply: Callable[[ProviderEvent], None],
    *,
    ignored: type[Exception],
    deferred: tuple[type[Exception], ...] = (),
) -> str:
    """Run ``apply`` on one stored event, under its row lock and in a savepoint; returns the
    event's status. Done: PROCESSED. ``ignored`` raised: IGNORED, with the reason (about nothing of
    ours, or changes nothing). ``deferred`` raised: DEFERRED (it waits for an earlier event). An
    event already PROCESSED or IGNORED is left alone. Any other error is recorded on the event
    (FAILED) and re-raised after commit, so the task retries."""
    failure = None
    with transaction.atomic():
        event = model.objects.select_for_update().filter(pk=event_pk).first()
        if event is None:
            return "MISSING"
        if event.status in (model.Status.PROCESSED, model.Status.IGNORED):
            return event.status
        event.attempts += 1
        try:
            with transaction.atomic():
                apply(event)
            event.status = model.Status.PROCESSED
            event.error = ""
            event.processed_at = timezone.now()
        except deferred as exc:
            event.status = model.Status.DEFERRED
            event.error = str(exc)
        except ignored as exc:
            event.status = model.Status.IGNORED
            event.error = str(exc)
            event.processed_at = timezone.now()
        except Exception as exc:  # recorded, then retried by the task
            event.status = model.Status.FAILED
            event.error = f"{exc.__class__.__name__}: {exc}"[:2000]
            failure = exc
        event.save(update_fields=["status", "error", "processed_at", "attempts"])
    if failure is not None:
        raise failure
    return event.status
