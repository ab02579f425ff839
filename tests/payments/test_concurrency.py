"""Races against real PostgreSQL: refunds and duplicated webhook deliveries in parallel threads never
refund, record or transfer twice."""

import json
import time

import pytest

from payments import refunds, services
from payments.models import LedgerEntry, PayoutAccount, Refund, StripeEvent, Transfer
from shop.core.errors import ServiceError
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import post_webhook, sign
from tests.support import run_together


@pytest.mark.django_db(transaction=True)
def test_parallel_refunds_never_exceed_what_was_paid(stripe_on):
    designer = make_designer()
    purchase = make_purchase((designer, [(330000, 1)]))
    payment = start_payment(purchase)
    intent, _charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    order = purchase.orders.get()
    staff = make_user(staff=True)

    def refund(_i):
        return refunds.refund_order(actor=staff, order_id=order.pk, amount="200000")

    results = run_together(4, refund)
    succeeded = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(succeeded) == 1 and len(refused) == 3, results
    assert {e.errors[0].code for e in refused} == {"AMOUNT_TOO_LARGE"}
    assert len(stripe_on.of_kind("refund")) == 1
    order.refresh_from_db()
    assert order.refunded_amount == 200000
    assert LedgerEntry.objects.filter(kind="REFUND").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_in_parallel_is_processed_once(stripe_on):
    designer = make_designer()
    account = stripe_on.create_account({"type": "express"})
    stripe_on.enable_payouts(account["id"])
    PayoutAccount.objects.create(designer=designer, account_id=account["id"], payouts_enabled=True)
    purchase = make_purchase((designer, [(150000, 1)]))
    payment = start_payment(purchase)
    intent, _charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    body = json.dumps(stripe_on.event("payment_intent.succeeded", intent))
    signature = sign(body, timestamp=int(time.time()))

    results = run_together(4, lambda _i: post_webhook(body, signature).status_code)
    assert results == [200] * 4
    assert StripeEvent.objects.count() == 1 and StripeEvent.objects.get().status == "PROCESSED"
    assert list(LedgerEntry.objects.order_by("id").values_list("kind", "amount")) == [
        ("SALE", 150000),
        ("COMMISSION", -22500),
        ("TRANSFER", 127500),
    ]
    assert Transfer.objects.count() == 1 and len(stripe_on.of_kind("transfer")) == 1
