"""The webhook's work done by a real Celery worker on Redis, with a retry when Stripe fails once."""

import json
import time

import pytest

from payments.models import LedgerEntry, PayoutAccount, StripeEvent, Transfer
from shop.orders.models import Order
from tests.factories import make_designer, make_purchase, start_payment
from tests.payments.helpers import post_webhook, sign
from tests.support import wait_for

pytestmark = pytest.mark.worker


def test_a_real_worker_pays_the_orders_and_retries_a_failed_transfer(celery_worker, stripe_on):
    designer = make_designer()
    account = stripe_on.create_account({"type": "express"})
    stripe_on.enable_payouts(account["id"])
    PayoutAccount.objects.create(
        designer=designer, account_id=account["id"], payouts_enabled=True, details_submitted=True
    )
    purchase = make_purchase((designer, [(150000, 1)]))
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    stripe_on.failures.append(("POST", "/v1/transfers", 500))  # Stripe is down for the first transfer

    body = json.dumps(stripe_on.event("payment_intent.succeeded", intent))
    response = post_webhook(body, sign(body, timestamp=int(time.time())))
    assert response.status_code == 200

    wait_for(lambda: Transfer.objects.filter(status="SUCCEEDED").exists(), timeout=30)
    assert StripeEvent.objects.get().status == "PROCESSED"
    assert Order.objects.get(purchase=purchase).status == "PAID"
    calls = stripe_on.calls_to("POST", "/v1/transfers", ok=None)
    assert [c.status for c in calls] == [500, 200]
    assert calls[0].idempotency_key == calls[1].idempotency_key == f"transfer-order-{purchase.orders.get().pk}-1"
    assert list(LedgerEntry.objects.order_by("id").values_list("kind", "amount")) == [
        ("SALE", 150000),
        ("COMMISSION", -22500),
        ("TRANSFER", 127500),
    ]
