"""A purchase's payment: asking the gateway for the money at checkout, the provider's answer, the
paid purchase entering the ledger, and what the orders app asks about unpaid purchases.

Money rules:
- Orders become paid only on the provider's word (a verified webhook or a server-side gateway
  answer), never on the client's.
- The ledger (payments/ledger.py) records every movement once, as integers in the smallest unit:
  a paid order's SALE and the platform's COMMISSION here; transfers (payments/transfers.py),
  refunds (payments/refunds.py), disputes (payments/disputes.py) and payouts
  (payments/payout_accounts.py, payments/bank_payouts.py) in their modules.
- The gateway is asked with the deterministic idempotency key ``purchase-<id>``: asking twice
  never charges twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import ledger, rollups, transfers
from payments.errors import PaymentErrorCode
from payments.gateways import get_gateway
from payments.gateways.base import Gateway, GatewayError, PaymentRequest, PaymentStatus
from payments.models import LedgerEntry, Payment
from shop.core.errors import ServiceError
from shop.core.transactions import assert_no_transaction
from shop.orders import hooks as order_hooks
from shop.orders import payment as order_payment
from shop.orders.models import Order, Purchase

logger = logging.getLogger(__name__)


# --- the paid purchase ------------------------------------------------------------------------


def mark_purchase_paid(*, purchase_id: int, payment_id: int | None = None) -> None:
    """The provider confirmed the money: the orders' side (shop/orders/payment.py), which hands
    the paid purchase back (``orders.purchase_paid`` hook: :func:`purchase_paid`) for the ledger
    and the transfers. ``payment_id`` must be a payment of that purchase."""
    with transaction.atomic():
        if payment_id is not None and not Payment.objects.filter(pk=payment_id, purchase_id=purchase_id).exists():
            raise ServiceError(PaymentErrorCode.NOT_FOUND, _("Payment not found for this purchase."), "payment_id")
        order_payment.mark_purchase_paid(purchase_id=purchase_id, payment_id=payment_id)


def mark_purchase_payment_failed(*, purchase_id: int, reason: str) -> None:
    order_payment.mark_purchase_payment_failed(purchase_id=purchase_id, reason=reason)


def purchase_paid(*, purchase_id: int, payment_id: int | None, orders: list[Order], at_checkout: bool) -> None:
    """The ``orders.purchase_paid`` hook (shop/orders/hooks.py), in the orders' transaction. Paid
    at checkout, the orders are loaded with their designers and the payment is recorded as
    succeeded: one query, and the settlements go with the emails (:func:`queue_settlements`)."""
    if at_checkout:
        record_orders_paid(orders, settle=False)
    else:
        record_purchase_paid(purchase_id=purchase_id, payment_id=payment_id)


def paid_before_expiry(*, purchase: Purchase) -> int | None:
    """The ``orders.paid_before_expiry`` hook: before an unpaid purchase expires, ask the gateway
    about its still-pending payment (its confirmation may have been missed). Returns the payment
    id when it actually succeeded; raises ``PaymentStatusUnknown`` when the gateway cannot tell
    (then the purchase waits for the next run)."""
    payment = Payment.objects.filter(purchase=purchase, status=Payment.Status.PENDING).exclude(psp_reference="").first()
    if payment is None:
        return None
    gateway = get_gateway(payment.gateway)
    if gateway is None:
        return None
    assert_no_transaction("Gateway.status")
    cancel = getattr(gateway, "cancel", None)
    try:
        result = gateway.status(psp_reference=payment.psp_reference)
        if cancel is not None and PaymentStatus(result.status) == PaymentStatus.PENDING:
            # A payment request the buyer could still pay into (a VietQR code): close it at the
            # provider first, so that no money arrives for a purchase we cancel. A transfer that
            # came in between makes the provider answer SUCCEEDED: then the purchase is paid.
            result = cancel(psp_reference=payment.psp_reference, reason="expired")
    except NotImplementedError:
        return None
    except GatewayError as exc:
        raise order_hooks.PaymentStatusUnknown(str(exc)) from exc
    if PaymentStatus(result.status) == PaymentStatus.SUCCEEDED:
        return payment.pk
    if cancel is not None:  # closed at the provider: the payment is over
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED, error=result.error or "cancelled at expiry", updated_at=timezone.now()
        )
    return None


@transaction.atomic
def record_purchase_paid(*, purchase_id: int, payment_id: int | None = None) -> int:
    """The hand-off from ``shop.orders.payment.mark_purchase_paid`` (whose callers only call it
    when the gateway itself confirmed the money): the payment is marked SUCCEEDED, and each paid
    order of the purchase enters the ledger: its SALE (the order total) and the platform's
    COMMISSION (the designer's rate, or settings.PLATFORM_COMMISSION_RATE); its designer's share
    is settled after commit. Idempotent, and three queries whatever the number of orders."""
    if payment_id is not None:
        Payment.objects.filter(pk=payment_id, purchase_id=purchase_id).exclude(status=Payment.Status.SUCCEEDED).update(
            status=Payment.Status.SUCCEEDED, error="", updated_at=timezone.now()
        )
    orders = list(
        Order.objects.filter(purchase_id=purchase_id, status__in=ledger.SOLD_STATUSES).select_related("designer")
    )
    return record_orders_paid(orders)


def record_orders_paid(orders: list[Order], *, settle: bool = True) -> int:
    """The ledger part of :func:`record_purchase_paid` for paid orders the caller has loaded with
    their designers (checkout completion, in its own transaction): one query. Without ``settle``
    the caller queues each order's settlement itself (``settle_order_task``) after commit."""
    entries = [entry for order in orders for entry in ledger.sale_entries(order)]
    LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)  # unique references: written once
    rollups.orders_paid(orders, entries)  # the sales rollups, in this transaction (payments/rollups.py)
    if settle:
        for order in orders:
            transfers.settle_later(order.pk)
    return len(entries)


# --- the payment request (checkout completion) ----------------------------------------------------------------


@dataclass
class PaymentOutcome:
    payment: Payment
    status: PaymentStatus
    error: str = ""
    # the gateway could not be reached or refused the call (no answer about the payment itself)
    unreachable: bool = False


@dataclass
class PaymentStart:
    """A payment attempt recorded before the gateway is called (see :func:`start_payment`)."""

    payment: Payment
    request: PaymentRequest


def start_payment(*, purchase: Purchase, gateway: Gateway, data: dict, order_numbers: list[str]) -> PaymentStart:
    """Record the attempt to pay ``purchase`` (a PENDING Payment without a provider reference,
    with its deterministic idempotency key ``purchase-<id>``: asking twice never charges twice) in
    the caller's transaction, and build the request that :func:`ask_gateway` sends once that
    transaction has committed. A process that dies before the answer is applied leaves an UNPAID
    purchase with this PENDING payment: the expiry closes both (:func:`purchase_expired`)."""
    key = f"purchase-{purchase.pk}"
    request = PaymentRequest(
        purchase_id=purchase.pk,
        amount=purchase.total_amount,
        currency=purchase.currency,
        email=purchase.email,
        idempotency_key=key,
        description="Rethink Market " + ", ".join(order_numbers),
        data=data,
        metadata={"purchase_id": str(purchase.pk), "orders": ",".join(order_numbers)},
    )
    payment = Payment.objects.create(
        purchase=purchase,
        gateway=gateway.id,
        amount=purchase.total_amount,
        currency=purchase.currency,
        status=Payment.Status.PENDING,
        idempotency_key=key,
    )
    return PaymentStart(payment=payment, request=request)


def ask_gateway(*, gateway: Gateway, start: PaymentStart) -> PaymentOutcome:
    """Send the recorded request to the gateway, outside any transaction (no lock is held while
    the provider answers). Writes nothing: :func:`apply_payment_answer` records the answer."""
    assert_no_transaction("Gateway.initialize")
    payment = start.payment
    try:
        result = gateway.initialize(start.request)
    except GatewayError as exc:
        logger.warning("gateway %s failed for purchase %s: %s", gateway.id, payment.purchase_id, exc)
        return PaymentOutcome(payment=payment, status=PaymentStatus.FAILED, error=str(exc), unreachable=True)
    status = PaymentStatus(result.status)
    payment.status = {
        PaymentStatus.SUCCEEDED: Payment.Status.SUCCEEDED,
        PaymentStatus.PENDING: Payment.Status.PENDING,
        PaymentStatus.FAILED: Payment.Status.FAILED,
    }[status]
    payment.psp_reference = result.psp_reference[:255]
    payment.client_secret = result.client_secret[:255]
    payment.checkout_url = str(result.raw.get("checkout_url") or "")[:500]  # bank-transfer gateways (payOS)
    payment.qr_code = str(result.raw.get("qr_code") or "")
    payment.error = result.error
    return PaymentOutcome(payment=payment, status=status, error=result.error)


def apply_payment_answer(*, placed, outcome: PaymentOutcome) -> bool:
    """The gateway's answer about a purchase placed (and committed) by checkout completion
    (``placed``: ``shop.orders.placement.Placed``), applied in the caller's short transaction; the
    caller holds the checkout's lock. The purchase, then its orders (then variants, when stock
    returns) are locked, as every writer of a purchase does.

    - SUCCEEDED: the payment recorded; the purchase and its orders PAID (reusing what ``placed``
      holds when nothing moved it on meanwhile).
    - PENDING: the payment's reference and client secret recorded; the purchase stays UNPAID.
    - FAILED or unreachable: the attempt is undone: stock back, and the purchase, its orders and
      the payment deleted — as if never placed — so the checkout can be paid another way. A purchase
      that something else moved on meanwhile (cancelled) is kept, its payment FAILED.

    Returns True when the purchase was undone."""
    payment = outcome.payment
    untouched = order_payment.lock_placed_purchase(placed)
    if outcome.status == PaymentStatus.FAILED:
        if untouched:
            Payment.objects.filter(purchase_id=placed.purchase.pk).delete()
            order_payment.discard_placed_purchase(placed)
            return True
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, error=outcome.error[:2000], updated_at=timezone.now()
        )
        return False
    Payment.objects.filter(pk=payment.pk).update(
        status=payment.status,
        psp_reference=payment.psp_reference,
        client_secret=payment.client_secret,
        checkout_url=payment.checkout_url,
        qr_code=payment.qr_code,
        error=payment.error,
        updated_at=timezone.now(),
    )
    if outcome.status == PaymentStatus.SUCCEEDED:
        if untouched:
            order_payment.mark_placed_purchase_paid(placed=placed, payment_id=payment.pk)
        else:  # cancelled meanwhile: recorded as a payment after cancellation, a refund is due
            mark_purchase_paid(purchase_id=placed.purchase.pk, payment_id=payment.pk)
    return False


def purchase_expired(*, purchase_id: int, now) -> None:
    """The ``orders.purchase_expired`` hook, in the expiry's transaction: an attempt the gateway
    never answered (no provider reference: the process died between recording it and applying
    the answer) is closed."""
    Payment.objects.filter(purchase_id=purchase_id, status=Payment.Status.PENDING, psp_reference="").update(
        status=Payment.Status.CANCELLED, error="interrupted before the provider answered", updated_at=now
    )
