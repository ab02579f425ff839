from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to queue, written in the same transaction as the change that asks for it
    (``shop.core.queueing.enqueue``) and deleted once the broker took it. A row that stays (the
    broker was down, or the process died after the commit) is sent by the relay
    (``relay_outbox``: a periodic task, a management command, and the next successful enqueue)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # not before this time: set when a relay claims the row (it is then sent by that relay) and
    # after a failed attempt
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["available_at"], name="core_outbox_available_idx")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
