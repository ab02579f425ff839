"""Redis really stopped (a redis-server of this test's own, stopped and started again): tasks that
cannot be queued wait in the PostgreSQL outbox and are sent when it is back (by the relay, or by
the next successful enqueue); a rolled-back transaction queues nothing; browsing keeps working with
the rate limits and the read cache failing open, each with a log line."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.utils import timezone

from shop.celery import app
from shop.core import queueing, readcache
from shop.core.models import OutboxMessage
from shop.orders.tasks import send_order_shipped
from tests.support import load_operation, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server on a spare port, without persistence, that the test stops and starts."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


@pytest.fixture
def own_redis():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def _reset_broker_connections():
    """Forget pooled broker connections (the broker URL changed, or the server restarted)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(own_redis, settings):
    """Celery publishing to ``own_redis`` for real (not eagerly), on a queue of this test's own."""
    queue = f"test-outbox-{uuid.uuid4().hex[:8]}"
    saved = (app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue = own_redis.url, False, queue
    _reset_broker_connections()
    queueing._backlog.clear()
    queueing._down_until[0] = 0.0
    yield own_redis, queue
    app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue = saved
    _reset_broker_connections()
    queueing._backlog.clear()
    queueing._down_until[0] = 0.0


def queued(server: OwnRedis, queue: str) -> list[tuple[str, list]]:
    """The (task, args) of the messages waiting in ``queue``, oldest first."""
    messages = [json.loads(raw) for raw in reversed(server.client().lrange(queue, 0, -1))]
    return [(m["headers"]["task"], json.loads(_body(m))[0]) for m in messages]


def _body(message) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


def later(seconds: int = 3600):
    return timezone.now() + timedelta(seconds=seconds)


@pytest.mark.django_db(transaction=True)
def test_tasks_queued_while_redis_is_down_wait_in_the_outbox_and_are_sent_when_it_is_back(broker, caplog):
    server, queue = broker
    # Redis up: the message is published after the commit and its outbox row deleted
    with transaction.atomic():
        queueing.enqueue(send_order_shipped, 1)
        assert OutboxMessage.objects.count() == 1  # written in the transaction
        assert queued(server, queue) == []  # nothing before the commit
    assert queued(server, queue) == [("shop.orders.tasks.send_order_shipped", [1])]
    assert not OutboxMessage.objects.exists()
    server.client().delete(queue)

    # a rolled-back transaction queues nothing and keeps nothing
    with transaction.atomic():
        queueing.enqueue(send_order_shipped, 2)
        transaction.set_rollback(True)
    assert queued(server, queue) == [] and not OutboxMessage.objects.exists()

    # Redis stopped: the change commits, the message waits in the outbox (with a log line)
    server.stop()
    with transaction.atomic():
        queueing.enqueue(send_order_shipped, 3)
    kept = OutboxMessage.objects.get()
    assert (kept.task, kept.args, kept.attempts) == ("shop.orders.tasks.send_order_shipped", [3], 1)
    assert "broker unavailable" in caplog.text
    # outside a transaction too (a task queuing another one); for a few seconds after a failure
    # the broker is not even tried (no request pays a connect timeout per task)
    queueing.enqueue(send_order_shipped, 4)
    assert OutboxMessage.objects.count() == 2
    assert OutboxMessage.objects.get(args=[4]).attempts == 0
    # the relay cannot send either while Redis is down: the rows stay, their attempts counted
    assert queueing.relay_outbox(min_age_seconds=0, now=later()) == 0
    assert OutboxMessage.objects.count() == 2

    # Redis back: the next successful enqueue sends its message and queues the relay
    server.start()  # the pooled connections reconnect by themselves
    queueing._down_until[0] = 0.0  # BROKER_DOWN_BACKOFF_SECONDS later
    with transaction.atomic():
        queueing.enqueue(send_order_shipped, 5)
    assert queued(server, queue) == [
        ("shop.orders.tasks.send_order_shipped", [5]),
        ("shop.core.tasks.relay_outbox", []),
    ]
    # the relay (the task it queued, the periodic one or `manage.py relay_outbox`) sends the rest
    assert queueing.relay_outbox(min_age_seconds=0, now=later()) == 2
    assert [args for _task, args in queued(server, queue)[2:]] == [[3], [4]]
    assert not OutboxMessage.objects.exists()
    assert queueing.relay_outbox(min_age_seconds=0, now=later()) == 0  # nothing twice


@pytest.mark.django_db(transaction=True)
def test_the_relay_command_sends_what_waits(broker):
    from django.core.management import call_command

    server, queue = broker
    server.stop()
    queueing.enqueue(send_order_shipped, 7)
    server.start()
    OutboxMessage.objects.update(available_at=timezone.now())
    from io import StringIO

    out = StringIO()
    call_command("relay_outbox", "--all", stdout=out)
    assert "1 message(s) sent, 0 waiting" in out.getvalue()
    assert queued(server, queue) == [("shop.orders.tasks.send_order_shipped", [7])]


@pytest.mark.django_db(transaction=True)
def test_a_process_catches_up_by_itself_when_the_broker_is_back(broker, settings):
    """No beat, no new traffic: the process that could not queue relays it once Redis is back."""
    settings.OUTBOX_CATCH_UP = True
    server, queue = broker
    server.stop()
    with transaction.atomic():
        queueing.enqueue(send_order_shipped, 8)
    assert OutboxMessage.objects.count() == 1 and queueing._catching_up.locked()
    server.start()
    wait_for(lambda: not OutboxMessage.objects.exists(), timeout=60)
    assert queued(server, queue) == [("shop.orders.tasks.send_order_shipped", [8])]
    wait_for(lambda: not queueing._catching_up.locked(), timeout=30)  # and the thread ended


PRODUCTS = load_operation("storefront/Products.graphql")


@pytest.mark.django_db
def test_browsing_works_while_redis_is_stopped_and_the_cache_comes_back(own_redis, settings, caplog):
    from tests.factories import make_designer, make_product, make_variant

    settings.GRAPHQL_READ_CACHE = True
    settings.RATE_LIMITS = {"ip": "1000/3600"}
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    prefix = f"test-down-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": prefix,
            "OPTIONS": options,
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": prefix + "-rl",
            "OPTIONS": options,
        },
    }
    readcache.reset_stores()
    make_variant(product=make_product(designer=make_designer(), status="PUBLISHED"), stock=3)
    client = Client()

    def browse():
        response = client.post(
            "/graphql/",
            data=json.dumps({"query": PRODUCTS, "variables": {"first": 10}}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()["data"]["products"]["edges"]) == 1
        return response

    try:
        assert browse()["X-Cache"] == "MISS" and browse()["X-Cache"] == "HIT"
        assert any(k.startswith(f"{prefix}-rl".encode()) for k in own_redis.client().keys("*"))  # counted
        own_redis.stop()
        caplog.clear()
        down = browse()
        assert "X-Cache" not in down  # answered without the cache
        assert "rate limit store unavailable; letting the request through" in caplog.text
        assert "read cache unavailable" in caplog.text
        own_redis.start()
        assert browse()["X-Cache"] == "MISS" and browse()["X-Cache"] == "HIT"  # back by itself
    finally:
        caches["default"].close()
        caches["ratelimit"].close()
        readcache.reset_stores()
