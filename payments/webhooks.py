"""Stripe webhooks: verify and store (the view), then process (a Celery task).

An event is stored once (unique event id) and processed at most once to completion. Handlers are
idempotent on their own as well (ledger references, status checks), so a duplicated, reordered or
late event is harmless:
- an event about a payment we have not seen succeed yet (a refund, a dispute before the
  ``payment_intent.succeeded``) waits as DEFERRED and is processed again once the payment succeeds;
- a late ``payment_intent.payment_failed`` after success, an older ``account.updated`` than the one
  applied, a ``charge.dispute.created`` after its ``closed``, a ``payout.paid`` after its
  ``payout.failed`` change nothing.
"""

from __future__ import annotations

import logging

from django.db import transaction

from payments import deliveries, disputes, payout_accounts, refunds, services, tasks, transfers
from payments.gateways.base import Notification
from payments.models import Payment, StripeEvent, Transfer
from shop.core import money
from shop.core.queueing import enqueue
from shop.orders.models import Purchase

logger = logging.getLogger(__name__)


class Deferred(Exception):
    """The event needs an earlier one (the payment's success) first."""


class Ignored(Exception):
    """The event is about nothing of ours, or changes nothing; recorded with the reason."""


def store_event(notification: Notification) -> tuple[StripeEvent, bool]:
    """Record a verified event once and queue its processing after commit."""
    payload = notification.payload
    obj = payload["data"]["object"]
    if obj.get("object") == "payment_intent":
        payment_intent = obj.get("id") or ""
    else:
        payment_intent = obj.get("payment_intent") or ""
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            event_id=notification.event_id,
            defaults={
                "type": notification.type,
                "account": str(payload.get("account") or "")[:255],
                "object_id": str(obj.get("id") or "")[:255],
                "payment_intent": str(payment_intent)[:255],
                "stripe_created": int(payload.get("created") or 0),
                "livemode": bool(payload.get("livemode")),
                "payload": payload,
            },
        )
        if created:
            enqueue(tasks.process_stripe_event, event.pk)
    return event, created


def process_event(event_pk: int) -> str:
    """Run the handler of one stored event. Returns the event's status. Unexpected errors are
    recorded on the event and re-raised, so the task retries."""
    return deliveries.process(StripeEvent, event_pk, _handle, ignored=Ignored, deferred=(Deferred,))


def _handle(event: StripeEvent) -> None:
    handler = HANDLERS.get(event.type)
    if handler is None:
        raise Ignored(f"{event.type} is not handled")
    handler(event, event.payload["data"]["object"])


# --- payments ---------------------------------------------------------------------------------


def _payment_for(obj: dict) -> Payment | None:
    pi = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    payment = None
    if pi:
        payment = Payment.objects.filter(gateway="stripe", psp_reference=pi).first()
    if payment is None and obj.get("object") == "charge":
        payment = Payment.objects.filter(gateway="stripe", charge_id=obj.get("id")).first()
    if payment is None and obj.get("charge"):
        payment = Payment.objects.filter(gateway="stripe", charge_id=obj["charge"]).first()
    return payment


def _succeeded_payment(obj: dict) -> Payment:
    payment = _payment_for(obj)
    if payment is None:
        raise Ignored("no payment of ours")
    if payment.status != Payment.Status.SUCCEEDED:
        raise Deferred("waiting for the payment to succeed")
    return payment


def payment_intent_succeeded(event: StripeEvent, pi: dict) -> None:
    payment = _payment_for(pi)
    if payment is None:
        raise Ignored(f"PaymentIntent {pi.get('id')} is not ours")
    purchase = Purchase.objects.select_for_update().get(pk=payment.purchase_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if pi.get("status") != "succeeded":
        raise Ignored(f"PaymentIntent status is {pi.get('status')}")
    expected = money.to_minor(purchase.total_amount, purchase.currency)
    if (
        pi.get("amount_received") != expected
        or str(pi.get("currency", "")).upper() != purchase.currency
        or payment.currency != purchase.currency
        or payment.amount != purchase.total_amount
    ):
        logger.error(
            "PaymentIntent %s received %s %s but purchase %s expects %s %s: not marking it paid",
            pi.get("id"),
            pi.get("amount_received"),
            pi.get("currency"),
            purchase.pk,
            expected,
            purchase.currency,
        )
        raise Ignored(
            f"amount mismatch: received {pi.get('amount_received')} {pi.get('currency')}, expected {expected} {purchase.currency.lower()}"
        )
    if payment.status != Payment.Status.SUCCEEDED or payment.charge_id != (pi.get("latest_charge") or ""):
        payment.status = Payment.Status.SUCCEEDED
        payment.charge_id = pi.get("latest_charge") or payment.charge_id
        payment.error = ""
        payment.save(update_fields=["status", "charge_id", "error", "updated_at"])
    services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    transaction.on_commit(_resume_deferred(pi["id"]))


def _resume_deferred(payment_intent: str):
    def resume():
        for pk in StripeEvent.objects.filter(
            payment_intent=payment_intent, status=StripeEvent.Status.DEFERRED
        ).values_list("pk", flat=True):
            enqueue(tasks.process_stripe_event, pk)  # after the commit: sent at once, or kept in the outbox

    return resume


def payment_intent_failed(event: StripeEvent, pi: dict) -> None:
    payment = _payment_for(pi)
    if payment is None:
        raise Ignored(f"PaymentIntent {pi.get('id')} is not ours")
    Purchase.objects.select_for_update().get(pk=payment.purchase_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.SUCCEEDED:
        raise Ignored("the payment has already succeeded (a late failure)")
    reason = ((pi.get("last_payment_error") or {}).get("message") or "The payment failed.")[:1000]
    payment.status = Payment.Status.FAILED
    payment.error = reason
    payment.save(update_fields=["status", "error", "updated_at"])
    services.mark_purchase_payment_failed(purchase_id=payment.purchase_id, reason=reason)


def charge_refunded(event: StripeEvent, charge: dict) -> None:
    payment = _succeeded_payment(charge)
    refunds.record_provider_refunds(
        payment_id=payment.pk, amount_refunded=int(charge.get("amount_refunded") or 0), charge_id=charge["id"]
    )


def _dispute(event: StripeEvent, dispute: dict, *, closed: bool) -> None:
    payment = _succeeded_payment(dispute)
    disputes.record_dispute(
        payment_id=payment.pk,
        dispute_id=dispute["id"],
        amount=int(dispute["amount"]),
        currency=dispute["currency"],
        reason=str(dispute.get("reason") or ""),
        status=str(dispute.get("status") or ""),
        closed=closed,
    )


def dispute_created(event, dispute):
    _dispute(event, dispute, closed=False)


def dispute_closed(event, dispute):
    _dispute(event, dispute, closed=True)


def dispute_updated(event, dispute):
    if dispute.get("status") in ("won", "lost", "warning_closed"):
        _dispute(event, dispute, closed=True)
    else:
        _dispute(event, dispute, closed=False)


# --- Connect ----------------------------------------------------------------------------------


def account_updated(event: StripeEvent, account: dict) -> None:
    synced = payout_accounts.sync_payout_account(
        account_id=account["id"],
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        charges_enabled=bool(account.get("charges_enabled")),
        event_created=event.stripe_created,
    )
    if synced is None:
        raise Ignored(f"account {account.get('id')} is not a designer's")


def transfer_changed(event: StripeEvent, transfer: dict) -> None:
    """A transfer we made (its response may have been lost: complete the pending row) or reversed
    outside our API (record the reversal). Only an event of the platform's own account about a
    transfer that matches what we created (id, or the row its metadata names, with the same
    destination, amount and currency) is acted on: a connected account can create transfers with
    any metadata in its own account, and Connect sends us its events (issue 13, finding 12)."""
    if event.account:
        raise Ignored(f"transfer {transfer.get('id')} comes from connected account {event.account}")
    row = Transfer.objects.filter(provider_id=transfer["id"], kind=Transfer.Kind.TRANSFER).first()
    if row is None:
        pk = str((transfer.get("metadata") or {}).get("transfer_row") or "")
        row = (
            Transfer.objects.filter(pk=int(pk), kind=Transfer.Kind.TRANSFER, provider_id="").first()
            if pk.isdigit()
            else None
        )
        if row is None:
            raise Ignored(f"transfer {transfer.get('id')} is not ours")
    mismatch = _transfer_mismatch(row, transfer)
    if mismatch:
        logger.warning("stripe transfer %s does not match transfer row %s: %s", transfer.get("id"), row.pk, mismatch)
        raise Ignored(f"transfer {transfer.get('id')} does not match ours: {mismatch}")
    if row.status == Transfer.Status.PENDING:
        transfers.complete_transfer(transfer_id=row.pk, provider_id=transfer["id"])
    transfers.record_external_reversal(
        provider_transfer_id=transfer["id"], amount_reversed=int(transfer.get("amount_reversed") or 0)
    )


def _transfer_mismatch(row: Transfer, transfer: dict) -> str:
    """What differs between the transfer Stripe describes and the row we wrote before creating it."""
    if row.destination and str(transfer.get("destination") or "") != row.destination:
        return "destination"
    if str(transfer.get("amount")) != str(row.amount):
        return "amount"
    if str(transfer.get("currency") or "").upper() != row.currency.upper():
        return "currency"
    return ""


def payout_paid(event: StripeEvent, payout: dict) -> None:
    if StripeEvent.objects.filter(type="payout.failed", object_id=payout["id"]).exists():
        raise Ignored("the payout has failed (a late payout.paid)")
    if (
        payout_accounts.record_payout(
            account_id=event.account,
            payout_id=payout["id"],
            amount=int(payout["amount"]),
            currency=payout["currency"],
            failed=False,
        )
        is None
    ):
        raise Ignored("not a designer's payout")


def payout_failed(event: StripeEvent, payout: dict) -> None:
    payout_accounts.record_payout(
        account_id=event.account,
        payout_id=payout["id"],
        amount=int(payout["amount"]),
        currency=payout["currency"],
        failed=True,
    )


HANDLERS = {
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_failed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
    "charge.dispute.updated": dispute_updated,
    "charge.dispute.closed": dispute_closed,
    "account.updated": account_updated,
    "transfer.created": transfer_changed,
    "transfer.updated": transfer_changed,
    "transfer.reversed": transfer_changed,
    "payout.paid": payout_paid,
    "payout.failed": payout_failed,
}
