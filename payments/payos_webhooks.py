"""payOS webhooks: verify, check against the purchase and store (the view), then process (a Celery
task).

A delivery is refused and recorded nowhere when its checksum is wrong (HTTP 400), or when it is
authentic but names no payOS purchase of ours or another amount than the purchase's total (HTTP 200
with ``accepted: false``: payOS would otherwise retry something that can never match, and its
webhook confirmation posts such a sample). An accepted delivery is stored once per bank transaction
(payment request id + the bank's reference): a duplicate answers 200 and is not processed again,
and the task is idempotent on its own (a purchase already paid stays paid once), so deliveries may
come twice or in any order, also after the expiry check found the payment by asking payOS.
"""

from __future__ import annotations

import logging

from django.db import transaction

from payments import deliveries, services, tasks
from payments.gateways.base import Notification
from payments.gateways.payos import purchase_id
from payments.models import Payment, PayosEvent
from shop.core import money
from shop.core.queueing import enqueue
from shop.orders.models import Purchase

logger = logging.getLogger(__name__)


class Refused(Exception):
    """An authentic delivery we do not accept (unknown order code, wrong amount)."""


def _purchase_for(order_code) -> Purchase | None:
    pk = purchase_id(order_code)
    return Purchase.objects.filter(pk=pk, gateway="payos").first() if pk else None


def _check(purchase: Purchase | None, data: dict) -> None:
    if purchase is None:
        raise Refused(f"unknown order code {data.get('orderCode')}")
    expected = money.to_minor(purchase.total_amount, purchase.currency)
    if purchase.currency != "VND" or str(data.get("currency") or "VND") != "VND" or data.get("amount") != expected:
        raise Refused(
            f"amount {data.get('amount')} {data.get('currency')} does not match purchase {purchase.pk} "
            f"({expected} {purchase.currency})"
        )


def masked(data: dict) -> dict:
    """The delivery as stored: the payer's account numbers cut to their last four digits."""
    data = dict(data)
    for name in ("counterAccountNumber", "virtualAccountNumber"):
        value = str(data.get(name) or "")
        if value:
            data[name] = "****" + value[-4:]
    return data


def accept(notification: Notification) -> tuple[PayosEvent, bool]:
    """Store a verified delivery once and queue its processing after commit; raise Refused when it
    is not for a purchase of ours at its exact amount."""
    data = notification.payload
    _check(_purchase_for(data.get("orderCode")), data)
    data = masked(data)
    with transaction.atomic():
        event, created = PayosEvent.objects.get_or_create(
            event_id=notification.event_id[:255],
            defaults={"order_code": int(data["orderCode"]), "amount": int(data["amount"]), "payload": data},
        )
        if created:
            enqueue(tasks.process_payos_event, event.pk)
    return event, created


def process(event_pk: int) -> str:
    """Apply one stored delivery: the purchase's payOS payment SUCCEEDED and the purchase paid.
    Returns the event's status; an unexpected error is recorded and re-raised (the task retries)."""
    return deliveries.process(PayosEvent, event_pk, _apply, ignored=Refused)


def _apply(event: PayosEvent) -> None:
    purchase = (
        Purchase.objects.select_for_update().filter(pk=purchase_id(event.order_code) or 0, gateway="payos").first()
    )
    _check(purchase, event.payload)
    payment = (
        Payment.objects.select_for_update()
        .filter(purchase=purchase, gateway="payos", psp_reference=str(event.order_code))
        .first()
    )
    if payment is None:
        # The payment request is recorded after payOS answers: a very fast transfer can be reported
        # first. Failing here makes the task retry until the record exists.
        raise RuntimeError(f"purchase {purchase.pk} has no payOS payment recorded yet")
    reference = str(event.payload.get("reference") or "")[:255]
    if payment.status == Payment.Status.SUCCEEDED and payment.charge_id and payment.charge_id != reference:
        # The buyer transferred the amount a second time: the purchase is paid once; the second
        # transfer is for staff to give back (the event is kept, IGNORED, with this reason).
        logger.error("second payOS transfer %s for purchase %s: to refund", reference, purchase.pk)
        raise Refused(f"second transfer for purchase {purchase.pk} (already paid by {payment.charge_id}): to refund")
    if payment.status != Payment.Status.SUCCEEDED:
        payment.status = Payment.Status.SUCCEEDED
        payment.charge_id = reference
        payment.error = ""
        payment.save(update_fields=["status", "charge_id", "error", "updated_at"])
    services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
