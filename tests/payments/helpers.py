"""Small helpers of the payment tests: signed Stripe webhooks, Relay ids and ledger readers. (Test
data, purchases included, comes from ``tests/factories.py``.)"""

from __future__ import annotations

import json

import stripe
from django.test import Client
from graphql_relay import to_global_id

from payments.models import LedgerEntry

WEBHOOK_SECRET = "whsec_test_rethink_0123456789"
STRIPE_GATEWAY = "payments.gateways.stripe.StripeGateway"
DUMMY_GATEWAY = "payments.gateways.dummy.DummyGateway"


def sign(body: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def post_webhook(body: str | bytes, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return Client(raise_request_exception=False).post(
        "/webhooks/stripe/", data=body, content_type="application/json", headers=headers
    )


def order_gid(order) -> str:
    return to_global_id("Order", order.pk)


def line_gid(line) -> str:
    return to_global_id("OrderLine", line.pk)


def ledger_of(designer, **filters) -> list[tuple[str, int]]:
    return list(LedgerEntry.objects.filter(designer=designer, **filters).order_by("id").values_list("kind", "amount"))


def ledger_sum(designer, *kinds) -> int:
    return sum(a for k, a in ledger_of(designer) if not kinds or k in kinds)


def post_payos_webhook(body: dict | bytes | str):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return Client(raise_request_exception=False).post("/webhooks/payos/", data=raw, content_type="application/json")
