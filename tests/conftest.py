"""Shared fixtures: a GraphQL client over real HTTP handling, users and designers, a real Celery
worker on Redis, and a check that a failed call wrote nothing."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings

from shop.accounts.models import User
from tests.factories import make_designer, make_digital_variant, make_user
from tests.support import CI, GraphQLClient, load_operation, reachable, unchanged_database, xdist_worker


@pytest.fixture(scope="session", autouse=True)
def _media_of_this_test_process(tmp_path_factory):
    """Files stored by a test that has no storage fixture of its own go to a temporary directory of
    this test process (each pytest-xdist worker has its own), never to the working tree's media/."""
    from django.test import override_settings

    media, private = tmp_path_factory.mktemp("media"), tmp_path_factory.mktemp("private-media")
    storages = {**settings.STORAGES}
    if storages["default"]["BACKEND"].endswith("FileSystemStorage"):
        storages["default"] = {**storages["default"], "OPTIONS": {"location": str(media), "base_url": "/media/"}}
        storages["private"] = {**storages["private"], "OPTIONS": {"location": str(private), "base_url": None}}
    with override_settings(MEDIA_ROOT=media, PRIVATE_MEDIA_ROOT=private, STORAGES=storages):
        yield


@pytest.fixture
def gql(db) -> GraphQLClient:
    return GraphQLClient()


@pytest.fixture
def operation():
    return load_operation


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def buyer(db) -> User:
    return make_user(email="buyer@example.com")


@pytest.fixture
def staff(db) -> User:
    return make_user(email="staff@example.com", staff=True)


@pytest.fixture
def designer_factory(db):
    return make_designer


@pytest.fixture
def digital_variant_factory(db):
    """``make_digital_variant`` whose files (in the private storage) are removed after the test."""
    created = []

    def factory(**kwargs):
        variant = make_digital_variant(**kwargs)
        created.append(variant.digital_file.name)
        return variant

    yield factory
    from shop.core.storage import private_storage

    for name in created:
        if private_storage().exists(name):
            private_storage().delete(name)


# --- "nothing was written" --------------------------------------------------------------------


@pytest.fixture
def db_unchanged(db):
    """``with db_unchanged(): ...`` asserts that no row of ours was added, changed or removed."""
    return unchanged_database


# --- a real Celery worker on Redis ------------------------------------------------------------


# One queue per test process (per pytest-xdist worker): a worker consumes only its own tasks.
_TEST_QUEUE = f"test-{xdist_worker()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def celery_worker(transactional_db):
    """A real worker thread consuming from the test broker (Redis). Outside CI a missing Redis
    skips the test with the reason; in CI it fails."""
    from celery.contrib.testing.worker import start_worker

    from shop.celery import app

    broker = settings.CELERY_BROKER_URL
    if not reachable(broker):
        message = f"Redis is not reachable at {broker}: the test needs a real Celery broker"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    # One queue per test session: Celery caches its queue declarations, so a queue renamed between
    # two worker tests would leave the second test's tasks on the first test's queue.
    app.conf.task_default_queue = _TEST_QUEUE
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True


# --- rate limits on a real Redis --------------------------------------------------------------


@pytest.fixture
def rate_limit_redis(settings):
    """Point the ``ratelimit`` cache at a real Redis (``TEST_RATE_LIMIT_REDIS_URL``, default db 14)
    under a key prefix of this test's own, and start with no limits: the test sets
    ``settings.RATE_LIMITS`` to what it checks. Outside CI a missing Redis skips; in CI it fails."""
    url = os.environ.get("TEST_RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/14")
    if not reachable(url):
        message = f"Redis is not reachable at {url}: rate-limit tests need the shared store"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"test-{xdist_worker()}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.RATE_LIMITS = {}
    # Windows are fixed and aligned on the clock: tests use hour-long windows and do not start in
    # the last seconds of one, so that no count resets halfway through a test.
    import time

    if time.time() % 3600 > 3590:
        time.sleep(3600 - time.time() % 3600 + 0.1)
    yield {"url": url, "prefix": prefix}
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
