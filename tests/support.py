"""Test plumbing that is neither a fixture nor test data: the GraphQL client, the shipped operations,
polling for asynchronous work, reachability of a service, and what makes parallel runs
(``pytest -n``, pytest-xdist) keep out of each other's way.

Fixtures live in ``conftest.py`` files and test data in ``tests/factories.py``; a test module
imports from neither conftest (pytest injects fixtures by name)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client

from shop.accounts.models import User
from shop.accounts.tokens import create_access_token

OPERATIONS_DIR = Path(settings.BASE_DIR) / "graphql" / "operations"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def xdist_worker() -> str:
    """This process's pytest-xdist worker id (``gw0``, ``gw1``...), ``main`` without xdist. Each
    worker has its own test database (pytest-django suffixes it: ``test_<name>_gw0``) and puts this
    id in its Redis keys and Celery queue, so that workers never see each other's data or tasks."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


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


def load_operation(path: str) -> str:
    return (OPERATIONS_DIR / path).read_text()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll until ``predicate()`` is truthy (for work a real worker does asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def database_snapshot(ignore: tuple[str, ...] = ()) -> dict:
    """Every row of ours, per model (as reprs, sorted), without the ``ignore``d fields."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in ("sessions", "admin", "contenttypes", "auth"):
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f"{model._meta.label}.{f.name}" not in ignore]
        state[model._meta.label] = sorted(map(repr, model.objects.order_by().values_list(*fields)))
    return state


@contextmanager
def unchanged_database(ignore: tuple[str, ...] = ()):
    """Asserts that no row of ours was added, changed or removed inside the block. ``ignore``:
    fields (``app.Model.field``) whose change does not count, e.g. the time stamp a compensating
    write leaves on a row whose content it restored."""
    before = database_snapshot(ignore)
    yield
    after = database_snapshot(ignore)
    changed = {k for k in before if before[k] != after.get(k)}
    assert not changed, f"the database changed in {sorted(changed)}"


def run_together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads started at the same instant; results (or exceptions)
    in order. Each thread closes its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # reported to the test, never lost in a thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results
