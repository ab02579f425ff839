"""Shared fixtures: a GraphQL client over real HTTP handling, users and designers, a real Celery
worker on Redis, and a check that a failed call wrote nothing."""

from __future__ import annotations

import json
import os
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client

from shop.accounts.models import User
from shop.accounts.tokens import create_access_token

OPERATIONS_DIR = Path(settings.BASE_DIR) / "graphql" / "operations"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class GraphQLClient:
    def __init__(self):
        self.http = Client(raise_request_exception=False)

    def post(
        self,
        query: str,
        variables: dict | None = None,
        *,
        token: str | None = None,
        user: User | None = None,
        headers: dict | None = None,
        operation_name: str | None = None,
    ):
        body = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        extra = dict(headers or {})
        if user is not None:
            token = create_access_token(user)
        if token:
            extra["Authorization"] = f"Bearer {token}"
        response = self.http.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=extra)
        assert response["Content-Type"].startswith("application/json"), response.content[:300]
        return response

    def __call__(self, query: str, variables: dict | None = None, **kwargs) -> dict:
        response = self.post(query, variables, **kwargs)
        data = response.json()
        data["_status"] = response.status_code
        return data


@pytest.fixture
def gql(db) -> GraphQLClient:
    return GraphQLClient()


def load_operation(path: str) -> str:
    return (OPERATIONS_DIR / path).read_text()


@pytest.fixture
def operation():
    return load_operation


_counter = iter(range(1, 10**9))


def make_user(*, email: str | None = None, password: str = "a-Strong-pass-42", staff: bool = False, **extra) -> User:
    email = email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.com"
    return User.objects.create_user(email=email, password=password, is_staff=staff, **extra)


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def buyer(db) -> User:
    return make_user(email="buyer@example.com")


@pytest.fixture
def staff(db) -> User:
    return make_user(email="staff@example.com", staff=True)


def make_designer(*, user: User | None = None, status: str = "APPROVED", display_name: str = "Nguyễn Thị Hà", **extra):
    from designers.models import Designer
    from shop.core.text import unique_slug, vietnamese_slug

    user = user or make_user()
    slug = extra.pop("slug", None) or unique_slug(
        vietnamese_slug(display_name), lambda s: Designer.objects.filter(slug=s).exists()
    )
    return Designer.objects.create(user=user, display_name=display_name, slug=slug, status=status, **extra)


@pytest.fixture
def designer_factory(db):
    return make_designer


# --- "nothing was written" --------------------------------------------------------------------


def _snapshot(ignore: tuple[str, ...] = ()) -> dict:
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in ("sessions", "admin", "contenttypes", "auth"):
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f"{model._meta.label}.{f.name}" not in ignore]
        state[model._meta.label] = sorted(map(repr, model.objects.order_by().values_list(*fields)))
    return state


@contextmanager
def _unchanged(ignore: tuple[str, ...] = ()):
    """``ignore``: fields (``app.Model.field``) whose change does not count, e.g. the time stamp a
    compensating write leaves on a row whose content it restored."""
    before = _snapshot(ignore)
    yield
    after = _snapshot(ignore)
    changed = {k for k in before if before[k] != after.get(k)}
    assert not changed, f"the database changed in {sorted(changed)}"


@pytest.fixture
def db_unchanged(db):
    """``with db_unchanged(): ...`` asserts that no row of ours was added, changed or removed."""
    return _unchanged


# --- a real Celery worker on Redis ------------------------------------------------------------


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


_TEST_QUEUE = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def celery_worker(transactional_db):
    """A real worker thread consuming from the test broker (Redis). Outside CI a missing Redis
    skips the test with the reason; in CI it fails."""
    from celery.contrib.testing.worker import start_worker

    from shop.celery import app

    broker = settings.CELERY_BROKER_URL
    if not _reachable(broker):
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


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll until ``predicate()`` is truthy (for work a real worker does asynchronously)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


# --- rate limits on a real Redis --------------------------------------------------------------


@pytest.fixture
def rate_limit_redis(settings):
    """Point the ``ratelimit`` cache at a real Redis (``TEST_RATE_LIMIT_REDIS_URL``, default db 14)
    under a key prefix of this test's own, and start with no limits: the test sets
    ``settings.RATE_LIMITS`` to what it checks. Outside CI a missing Redis skips; in CI it fails."""
    url = os.environ.get("TEST_RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/14")
    if not _reachable(url):
        message = f"Redis is not reachable at {url}: rate-limit tests need the shared store"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
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
