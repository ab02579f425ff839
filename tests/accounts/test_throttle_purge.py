"""Failed-login records that no longer slow anyone down are deleted by an hourly task
(shop.accounts.services.purge_login_throttles): they name people and addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from shop.accounts import services
from shop.accounts.models import LoginThrottle
from shop.accounts.tasks import purge_login_throttles
from tests.factories import make_user
from tests.support import wait_for


def _row(key, *, failures=3, failed_ago=None, locked_for=None):
    now = timezone.now()
    return LoginThrottle.objects.create(
        key=key,
        failures=failures,
        last_failure_at=now - failed_ago if failed_ago is not None else None,
        locked_until=now + locked_for if locked_for is not None else None,
    )


def test_stale_records_go_and_the_ones_that_still_count_stay(db, settings):
    settings.LOGIN_THROTTLE_RETENTION_SECONDS = 86400
    _row("email:old@example.com", failed_ago=timedelta(days=2))
    _row("ip:203.0.113.7", failures=10, failed_ago=timedelta(days=2), locked_for=timedelta(seconds=-60))  # lock over
    _row("email:never@example.com", failures=0)
    _row("email:recent@example.com", failed_ago=timedelta(hours=1))
    _row("email:locked@example.com", failures=10, failed_ago=timedelta(days=2), locked_for=timedelta(minutes=5))
    assert services.purge_login_throttles() == 3
    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {
        "email:recent@example.com",
        "email:locked@example.com",
    }
    assert services.purge_login_throttles() == 0


def test_after_the_purge_an_account_starts_again_from_zero_failures(gql, settings):
    make_user(email="ha@example.com", password="Correct-Pass-2026")
    login = 'mutation($p: String!) { tokenCreate(email: "ha@example.com", password: $p) { token errors { code } } }'
    for _ in range(settings.LOGIN_FREE_FAILURES + 1):
        gql(login, {"p": "wrong"})
    assert gql(login, {"p": "Correct-Pass-2026"})["data"]["tokenCreate"]["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    LoginThrottle.objects.update(
        last_failure_at=timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_RETENTION_SECONDS + 1)
    )
    assert services.purge_login_throttles() >= 1
    assert not LoginThrottle.objects.filter(key="email:ha@example.com").exists()
    assert gql(login, {"p": "Correct-Pass-2026"})["data"]["tokenCreate"]["token"]


def test_the_periodic_task_is_scheduled():
    from shop.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-login-throttles"]
    assert schedule["task"] == purge_login_throttles.name and schedule["task"] in app.tasks
    assert schedule["schedule"] == 3600.0


@pytest.mark.worker
def test_a_real_worker_purges_stale_records(celery_worker):
    _row("email:stale@example.com", failed_ago=timedelta(days=3))
    _row("email:fresh@example.com", failed_ago=timedelta(minutes=1))
    purge_login_throttles.delay()
    wait_for(lambda: not LoginThrottle.objects.filter(key="email:stale@example.com").exists())
    assert LoginThrottle.objects.filter(key="email:fresh@example.com").exists()
