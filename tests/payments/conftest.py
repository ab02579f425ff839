"""Fixtures for payment tests: the Stripe stand-in, Stripe settings pointing at it, and signed
webhook delivery."""

from __future__ import annotations

import json
import time

import pytest

from tests.payments.helpers import DUMMY_GATEWAY, STRIPE_GATEWAY, WEBHOOK_SECRET, post_payos_webhook, post_webhook, sign
from tests.payments.stripe_standin import StripeStandIn


@pytest.fixture(scope="session")
def _stripe_server():
    standin = StripeStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def stripe_standin(_stripe_server):
    """The local Stripe, empty at the start of each test."""
    _stripe_server.reset()
    return _stripe_server


@pytest.fixture
def stripe_on(settings, stripe_standin):
    """Stripe enabled (buyers and Connect) against the local stand-in."""
    settings.STRIPE_SECRET_KEY = "sk_test_standin_key"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_standin_key"
    settings.STRIPE_API_BASE = stripe_standin.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENT_GATEWAYS = [STRIPE_GATEWAY, DUMMY_GATEWAY]
    settings.PAYOUT_PROVIDER = STRIPE_GATEWAY
    return stripe_standin


@pytest.fixture
def deliver(db, django_capture_on_commit_callbacks):
    """``deliver(event)`` posts a signed Stripe event to our endpoint, runs what it queued after
    commit (the Celery tasks run inline in tests) and returns the HTTP response."""

    def _deliver(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, expect: int = 200):
        body = json.dumps(event)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(body, sign(body, secret=secret, timestamp=timestamp or int(time.time())))
        assert response.status_code == expect, response.content
        return response

    return _deliver


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """``with run_on_commit(): ...`` runs the after-commit work (emails, transfers) inline."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- payOS ------------------------------------------------------------------------------------

PAYOS_GATEWAY = "payments.gateways.payos.PayOSGateway"


@pytest.fixture(scope="session")
def _payos_server():
    from tests.payments.payos_standin import PayOSStandIn

    standin = PayOSStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def payos_standin(_payos_server):
    """The local payOS, empty at the start of each test."""
    _payos_server.reset()
    yield _payos_server
    _payos_server.sender = None


@pytest.fixture
def payos_on(settings, payos_standin):
    """payOS enabled (payments and payouts) against the local stand-in."""
    settings.PAYOS_CLIENT_ID = payos_standin.client_id
    settings.PAYOS_API_KEY = payos_standin.api_key
    settings.PAYOS_CHECKSUM_KEY = payos_standin.checksum_key
    settings.PAYOS_PAYOUT_CLIENT_ID = payos_standin.payout_client_id
    settings.PAYOS_PAYOUT_API_KEY = payos_standin.payout_api_key
    settings.PAYOS_PAYOUT_CHECKSUM_KEY = payos_standin.payout_checksum_key
    settings.PAYOS_BASE_URL = payos_standin.url
    settings.PAYOS_MAX_RETRIES = 0
    settings.PAYOS_ORDER_CODE_OFFSET = 7_000_000  # order codes are not purchase ids
    settings.PAYMENT_GATEWAYS = [PAYOS_GATEWAY, DUMMY_GATEWAY]
    settings.PAYOUT_PROVIDER = "payos"
    return payos_standin


@pytest.fixture
def payos_inline(payos_on, django_capture_on_commit_callbacks):
    """The stand-in's webhooks go through Django's test client (the tasks run inline): no server
    thread, so tests stay in one transaction."""

    def send(url, body):
        with django_capture_on_commit_callbacks(execute=True):
            return post_payos_webhook(body).status_code

    payos_on.webhook_url = "http://testserver/webhooks/payos/"
    payos_on.sender = send
    return payos_on
