"""Every Celery task: acknowledged late and requeued when its worker dies, retrying transient errors
with backoff and jitter, never scheduled beyond the broker's visibility timeout (set explicitly),
queued only after commit, and listed in docs/operations.md with its idempotency key."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import OperationalError, transaction
from django.utils import timezone

from designers.tasks import send_designer_status_email
from shop.celery import app
from shop.core import queueing
from shop.core.models import OutboxMessage
from tests.factories import make_user


def our_tasks() -> dict:
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))}
    assert len(tasks) >= 15, sorted(tasks)
    return tasks


def test_the_visibility_timeout_is_explicit_and_longer_than_any_backoff():
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert app.conf.broker_transport_options["visibility_timeout"] == timeout == queueing.visibility_timeout()
    assert timeout > queueing.RETRY_BACKOFF_MAX


@pytest.mark.parametrize("name", sorted(our_tasks()))
def test_every_task_acks_late_and_retries_transient_errors_with_backoff_and_jitter(name):
    task = our_tasks()[name]
    assert isinstance(task, queueing.Task), f"{name} does not derive from shop.core.queueing.Task"
    assert task.acks_late is True and task.reject_on_worker_lost is True, name
    retried = tuple(getattr(task, "autoretry_for", ()))
    for error in (OSError(), OperationalError(), ConnectionError(), TimeoutError()):
        assert isinstance(error, retried), f"{name} does not retry {type(error).__name__}"
    assert task.retry_backoff and task.retry_jitter is True, name
    assert task.retry_backoff_max < queueing.visibility_timeout(), name
    assert isinstance(task.max_retries, int) and task.max_retries > 0, name


def test_every_task_and_every_periodic_one_is_in_the_operations_table():
    text = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([\w.]+)` \|.*$", text, re.M)}
    for name in our_tasks():
        assert name in rows, f"{name} is missing from the task table of docs/operations.md"
        cells = [c.strip() for c in rows[name].strip("|").split("|")]
        assert len(cells) == 4 and all(cells), f"{name}: task, what it writes, idempotency key, schedule"
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in our_tasks()
        assert "every" in rows[entry["task"]].split("|")[4], f"{entry['task']}: its schedule"


@pytest.mark.django_db(transaction=True)
def test_delay_inside_a_transaction_is_refused():
    with transaction.atomic():
        with pytest.raises(queueing.TaskQueuedInTransaction):
            send_designer_status_email.delay(1)


def test_an_eta_beyond_the_visibility_timeout_is_refused():
    limit = queueing.visibility_timeout()
    with pytest.raises(queueing.EtaBeyondVisibilityTimeout):
        send_designer_status_email.apply_async((1,), countdown=limit)
    with pytest.raises(queueing.EtaBeyondVisibilityTimeout):
        send_designer_status_email.apply_async((1,), eta=timezone.now() + timedelta(seconds=limit + 60))


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_nothing():
    """The tasks run inline here (eager): a queued task would send its email at once."""
    from designers.services.profiles import apply_as_designer

    user = make_user()
    with transaction.atomic():
        designer = apply_as_designer(user=user, display_name="Phạm Thu")
        assert OutboxMessage.objects.count() == 1  # recorded with the change...
        transaction.set_rollback(True)
    assert not OutboxMessage.objects.exists() and mail.outbox == []  # ...and gone with it
    designer = apply_as_designer(user=user, display_name="Phạm Thu")
    assert designer.pk and len(mail.outbox) == 1  # committed: sent once, its outbox row deleted
    assert not OutboxMessage.objects.exists()


RUNS: dict[bool, int] = {True: 0, False: 0}


def _failing_after(effect: bool):
    """A task that fails with a database error, after (or without) an irreversible effect."""

    @app.task(bind=True, name=f"tests.effect_{effect}", **{**queueing.RETRY, "max_retries": 2})
    def task(self):
        RUNS[effect] += 1
        if effect:
            queueing.effect_done()  # e.g. the email was handed to the mail server
        raise OperationalError("the database went away")

    return task


def test_a_task_whose_effect_happened_is_not_retried_and_one_whose_effect_did_not_is():
    """An email sent whose sent mark could not be committed (the database went away) is not sent
    again by a retry; a failure before the email is retried."""
    _failing_after(effect=False).apply()
    _failing_after(effect=True).apply()
    assert RUNS == {False: 3, True: 1}
