"""Refunds: money given back to the buyer for one order.

- :func:`refund_order`: staff or the order's designer refund part or all of an order through the
  purchase's gateway, by lines or by amount; the provider is asked outside any transaction
  (:func:`resume_pending_refunds` finishes a refund it did not answer). A gateway without a refund
  API (payOS) records the refund as owed: staff send it by bank payout (payments/bank_payouts.py).
- :func:`record_provider_refunds`: a refund made at the provider (the Stripe dashboard) is recorded.

A refund made (:func:`_apply_refund`) updates the order and its lines, puts refunded physical goods
back in stock when asked, writes the REFUND in the designer's ledger (with the commission given
back), moves the sales rollups, re-settles the order's transfer (payments/transfers.py) and emails
the buyer. Idempotency keys: ``refund-order-<id>-<n>`` (the order's n-th refund).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from designers.models import Designer
from payments import ledger, rollups, tasks, transfers
from payments.errors import PaymentErrorCode, gateway_failure
from payments.gateways import get_gateway
from payments.gateways.base import GatewayError
from payments.gateways.cod import GATEWAY_ID as COD_GATEWAY
from payments.models import LedgerEntry, Payment, Refund
from shop.accounts.models import User
from shop.catalog.models import ProductType
from shop.core import money
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.core.transactions import assert_no_transaction
from shop.core.validation import clean_text
from shop.orders import stock as order_stock
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus, Purchase

logger = logging.getLogger(__name__)
K = LedgerEntry.Kind


def _refundable(order: Order) -> bool:
    """A paid order, or a cancelled one whose money was taken (cancelled by staff after payment,
    or paid after it expired: the order then has a "refund due" event)."""
    return order.status in ledger.PAID_STATUSES or order.status == OrderStatus.CANCELLED


def can_refund(user: User | None, order: Order) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff or Designer.objects.filter(pk=order.designer_id, user_id=user.pk).exists()


def refund_order(
    *, actor: User, order_id: int, amount=None, lines: list[dict] | None = None, reason: str = "", restock: bool = False
) -> Refund:
    """Refund part or all of one order through the purchase's gateway: staff for any order, a
    designer for its own. By ``lines`` (their unit prices; ``restock`` puts physical goods back in
    stock) or by ``amount``. Never more than is left of what was paid (refunds still being made
    count); nothing is written when the gateway refuses. The designer's transfer is reversed in
    proportion and the buyer is emailed, both after commit.

    Three steps, so that no lock is held while the provider answers: a short transaction checks
    everything under the purchase's and the order's locks and records the refund PENDING with its
    idempotency key (which reserves its amount); the provider is called outside any transaction;
    a second short transaction applies the answer (:func:`_finish_refund`). When the provider
    does not answer (timeout, 5xx) or the process dies in between, the PENDING refund is finished
    by the periodic :func:`resume_pending_refunds`, with the same key and amount."""
    refund = _start_refund(actor=actor, order_id=order_id, amount=amount, lines=lines, reason=reason, restock=restock)
    if refund.status != Refund.Status.PENDING:
        return refund  # a gateway without a refund API: recorded as owed, sent by bank payout
    result, error = _ask_refund(refund)
    return _finish_refund(refund_id=refund.pk, result=result, error=error, actor=actor)


def resume_pending_refunds(*, older_than_seconds: int | None = None, now=None) -> int:
    """Finish the refunds left PENDING (the provider did not answer, or the process died between
    recording a refund and applying the answer): ask the provider again with the same idempotency
    key and amount (a refund it already made is not made twice) and apply its answer. Refunds
    younger than ``REFUND_RESUME_AFTER_SECONDS`` are left to the request still making them.
    Returns how many were finished (made or refused)."""
    now = now or timezone.now()
    age = settings.REFUND_RESUME_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    pending = list(
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lte=now - timedelta(seconds=age))
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    finished = 0
    for refund_id in pending:
        refund = Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).first()
        if refund is None:
            continue
        result, error = _ask_refund(refund)
        try:
            _finish_refund(refund_id=refund_id, result=result, error=error, actor=refund.actor)
        except ServiceError:
            if error is not None and error.retryable:
                continue  # still no answer: next run
        finished += 1
    return finished


@transaction.atomic
def record_provider_refunds(*, payment_id: int, amount_refunded: int, charge_id: str) -> list[Refund]:
    """The provider says ``amount_refunded`` (smallest unit) has been refunded on the charge in
    total. Whatever our own refunds do not explain (a refund made in the Stripe dashboard) is
    recorded, spread over the purchase's orders in proportion to what is left of each."""
    payment = Payment.objects.get(pk=payment_id)
    Purchase.objects.select_for_update().get(pk=payment.purchase_id)
    orders = list(
        Order.objects.select_for_update(of=("self",))
        .filter(purchase_id=payment.purchase_id)
        .select_related("designer")
        .order_by("pk")
    )
    known = sum(money.to_minor(r.amount, r.currency) for r in Refund.objects.filter(payment=payment))
    missing = amount_refunded - known
    if missing <= 0:
        return []
    weights = {o.pk: money.to_minor(o.total_amount - o.refunded_amount, o.currency) for o in orders if _refundable(o)}
    refunds = []
    for order in orders:
        share = ledger.allocate(missing, weights).get(order.pk)
        if not share:
            continue
        refund = _new_refund(
            order,
            payment,
            amount=money.from_minor(share, order.currency),
            reason="Refunded at the payment provider",
            source=Refund.Source.PROVIDER,
            idempotency_key=f"charge-refunded-{charge_id}-{amount_refunded}-order-{order.pk}",
        )
        _apply_refund(order, refund, actor=None)
        refunds.append(refund)
    return refunds


def _new_refund(
    order: Order,
    payment: Payment,
    *,
    amount: Decimal,
    idempotency_key: str,
    reason: str = "",
    lines: list[dict] | None = None,
    restock: bool = False,
    actor: User | None = None,
    source: str = Refund.Source.API,
    status: str = Refund.Status.SUCCEEDED,
    owed: bool = False,
) -> Refund:
    """The one place a refund row is written: in the order's currency, through the payment's gateway."""
    return Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        currency=order.currency,
        reason=reason,
        restock=restock,
        lines=lines or [],
        source=source,
        gateway=payment.gateway,
        status=status,
        idempotency_key=idempotency_key,
        actor=actor,
        owed=owed,
    )


# --- the steps of refund_order ------------------------------------------------------------------


@transaction.atomic
def _start_refund(*, actor, order_id, amount, lines, reason, restock) -> Refund:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    if not actor.is_staff and not Designer.objects.filter(user_id=actor.pk).exists():
        raise PermissionDenied(_("Only staff and the order's designer can refund it."))
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not can_refund(actor, order):
        raise ServiceError(PaymentErrorCode.NOT_FOUND, _("Order not found."), "order_id")
    # Lock order: the purchase, then the order (as every money movement on a purchase does).
    Purchase.objects.select_for_update().get(pk=order.purchase_id)
    order = Order.objects.select_for_update(of=("self",)).select_related("designer", "purchase").get(pk=order_id)

    payment = Payment.objects.filter(purchase_id=order.purchase_id, status=Payment.Status.SUCCEEDED).first()
    if order.status == OrderStatus.REFUNDED or (payment is not None and order.refunded_amount >= order.total_amount):
        raise ServiceError(
            PaymentErrorCode.ALREADY_REFUNDED, _("This order has already been refunded in full."), "order_id"
        )
    if payment is None or not _refundable(order):
        raise ServiceError(PaymentErrorCode.NOT_PAID, _("Only a paid order can be refunded."), "order_id")
    if payment.gateway == COD_GATEWAY and order.paid_at is None:
        # cash on delivery: only an order whose cash was collected was paid (a refused one never was)
        raise ServiceError(PaymentErrorCode.NOT_PAID, _("Only a paid order can be refunded."), "order_id")
    if order.is_disputed:
        raise ServiceError(
            PaymentErrorCode.DISPUTED,
            _("This order's payment is disputed; it cannot be refunded until the dispute closes."),
            "order_id",
        )
    reason = clean_text(reason, field="reason", max_length=1000)
    if lines and amount is not None:
        raise ServiceError(PaymentErrorCode.INVALID, _("Give either lines or an amount, not both."), "amount")
    if lines:
        if restock and order.status == OrderStatus.CANCELLED:
            raise ServiceError(
                PaymentErrorCode.INVALID, _("This order was cancelled: its stock is already back."), "restock"
            )
        value, clean_lines = _refund_lines(order, lines, _lines_in_flight(order))
    elif amount is not None:
        if restock:
            raise ServiceError(PaymentErrorCode.INVALID, _("Restocking needs the lines being returned."), "restock")
        try:
            value = money.parse_amount(amount, order.currency)
        except money.MoneyError as exc:
            raise ServiceError(PaymentErrorCode.INVALID, str(exc), "amount")
        clean_lines = []
    else:
        raise ServiceError(PaymentErrorCode.REQUIRED, _("Give the lines or the amount to refund."), "amount")
    if value <= 0:
        raise ServiceError(PaymentErrorCode.INVALID, _("The amount to refund must be more than zero."), "amount")
    in_flight = Refund.objects.filter(order=order, status=Refund.Status.PENDING).aggregate(s=Sum("amount"))["s"] or 0
    remaining = order.total_amount - order.refunded_amount - in_flight
    if value > remaining:
        raise ServiceError(
            PaymentErrorCode.AMOUNT_TOO_LARGE,
            _("At most %(amount)s %(currency)s of this order can still be refunded.")
            % {"amount": money.quantize(remaining, order.currency), "currency": order.currency},
            "lines" if lines else "amount",
        )
    gateway = get_gateway(payment.gateway)
    if gateway is None:
        raise ServiceError(
            PaymentErrorCode.GATEWAY_NOT_AVAILABLE,
            _("The payment's gateway is not enabled on this server."),
            "order_id",
        )
    # A gateway without a refund API (payOS): the refund is owed to the buyer, in the order and
    # the ledger at once; staff send it by bank payout (payments/bank_payouts.py ``send_refund``)
    # and the buyer's email goes out then. Otherwise it is PENDING until the provider makes it.
    owed = bool(getattr(gateway, "manual_refunds", False))
    refund = _new_refund(
        order,
        payment,
        amount=value,
        reason=reason,
        lines=clean_lines,
        restock=bool(restock and lines),
        actor=actor,
        status=Refund.Status.SUCCEEDED if owed else Refund.Status.PENDING,
        owed=owed,
        idempotency_key=f"refund-order-{order.pk}-{order.refunds.count() + 1}",
    )
    if owed:
        _apply_refund(order, refund, actor=actor)
        OrderEvent.objects.create(
            order=order,
            type="REFUND_OWED",
            actor=actor,
            data={"refund_id": refund.pk, "amount": str(refund.amount), "currency": refund.currency},
        )
    return refund


def _refund_lines(order: Order, lines: list[dict], in_flight: dict[int, int]) -> tuple[Decimal, list[dict]]:
    """``in_flight``: quantities per line of refunds still being made at the provider."""
    by_id = {line.pk: line for line in order.lines.all()}
    wanted: dict[int, int] = {}
    for index, item in enumerate(lines):
        line_id, quantity = item.get("line_id"), item.get("quantity")
        line = by_id.get(line_id)
        if line is None:
            raise ServiceError(
                PaymentErrorCode.INVALID_LINE, _("This line is not part of the order."), f"lines.{index}.line_id"
            )
        if not isinstance(quantity, int) or quantity < 1:
            raise ServiceError(PaymentErrorCode.INVALID, _("Quantity must be at least 1."), f"lines.{index}.quantity")
        wanted[line_id] = wanted.get(line_id, 0) + quantity
        left = line.quantity - line.refunded_quantity - in_flight.get(line_id, 0)
        if wanted[line_id] > left:
            raise ServiceError(
                PaymentErrorCode.AMOUNT_TOO_LARGE,
                _("At most %(n)s of this line can still be refunded.") % {"n": left},
                f"lines.{index}.quantity",
            )
    amount = sum((by_id[i].unit_price_amount * q for i, q in wanted.items()), Decimal(0))
    return money.quantize(amount, order.currency), [{"line_id": i, "quantity": q} for i, q in wanted.items()]


def _lines_in_flight(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for refund_lines in Refund.objects.filter(order=order, status=Refund.Status.PENDING).values_list(
        "lines", flat=True
    ):
        for item in refund_lines:
            quantities[item["line_id"]] = quantities.get(item["line_id"], 0) + item["quantity"]
    return quantities


def _ask_refund(refund: Refund):
    """The provider asked to make a recorded refund, outside any transaction: (result, None), or
    (None, GatewayError)."""
    assert_no_transaction("Gateway.refund")
    gateway = get_gateway(refund.gateway)
    if gateway is None:
        return None, GatewayError("the payment's gateway is not enabled on this server", retryable=True)
    psp_reference = Payment.objects.filter(pk=refund.payment_id).values_list("psp_reference", flat=True).first()
    try:
        result = gateway.refund(
            psp_reference=psp_reference or "",
            amount=refund.amount,
            currency=refund.currency,
            idempotency_key=refund.idempotency_key,
            reason=refund.reason,
        )
    except GatewayError as exc:
        logger.warning("refund %s: the provider failed (retryable=%s): %s", refund.idempotency_key, exc.retryable, exc)
        return None, exc
    return result, None


def _finish_refund(*, refund_id: int, result, error: GatewayError | None, actor: User | None) -> Refund:
    """Apply the provider's answer to a PENDING refund, under the purchase's and the order's locks:
    made → the order, its lines, the stock, the ledger and the email; refused → the refund is
    deleted (nothing was written) and GATEWAY_ERROR raised; no answer (retryable) → it stays
    PENDING for :func:`resume_pending_refunds` and GATEWAY_ERROR is raised. A refund already
    finished (by the other path) is returned as it is."""
    refused = None
    with transaction.atomic():
        row = Refund.objects.filter(pk=refund_id).values("order_id", "order__purchase_id").first()
        if row is None:
            refused = error.args[0] if error is not None else (result.error if result else "")
        else:
            Purchase.objects.select_for_update().get(pk=row["order__purchase_id"])
            order = (
                Order.objects.select_for_update(of=("self",))
                .select_related("designer", "purchase")
                .get(pk=row["order_id"])
            )
            refund = Refund.objects.select_for_update().get(pk=refund_id)
            if refund.status != Refund.Status.PENDING:
                return refund
            if error is not None and error.retryable:
                refused = None
            elif error is not None or not result.succeeded:
                refused = str(error) if error is not None else result.error
                refund.delete()
            else:
                refund.status = Refund.Status.SUCCEEDED
                refund.psp_reference = (result.psp_reference or refund.idempotency_key)[:255]
                refund.save(update_fields=["status", "psp_reference"])
                _apply_refund(order, refund, actor=actor)
                return refund
    if refused is None:
        raise ServiceError(
            PaymentErrorCode.GATEWAY_ERROR,
            _("The payment provider did not answer; the refund will be completed as soon as it does."),
            None,
        )
    raise gateway_failure("refund", refused, refund=True)


# --- a refund made -----------------------------------------------------------------------------


def _apply_refund(order: Order, refund: Refund, *, actor: User | None) -> None:
    """The order, its lines, the stock, the ledger and the follow-ups of a refund that was made
    (or is owed), under the purchase's and the order's locks."""
    for item in refund.lines:
        OrderLine.objects.filter(pk=item["line_id"]).update(refunded_quantity=F("refunded_quantity") + item["quantity"])
    if refund.restock:
        _restock(order, refund.lines)
    order.refunded_amount = money.quantize(order.refunded_amount + refund.amount, order.currency)
    if order.status != OrderStatus.CANCELLED:  # a cancelled order stays cancelled; refunded_amount tells the rest
        order.status = (
            OrderStatus.REFUNDED if order.refunded_amount >= order.total_amount else OrderStatus.PARTIALLY_REFUNDED
        )
    order.save(update_fields=["refunded_amount", "status"])
    OrderEvent.objects.create(
        order=order,
        type="REFUNDED",
        actor=actor,
        data={
            "refund_id": refund.pk,
            "amount": str(refund.amount),
            "currency": refund.currency,
            "reason": refund.reason,
            "source": refund.source,
            "lines": refund.lines,
            "restock": refund.restock,
        },
    )
    enqueue(tasks.send_refund_email, refund.pk)
    if not ledger.in_ledger(order):
        return
    amount = -money.to_minor(refund.amount, refund.currency)
    ledger.record(
        designer_id=order.designer_id,
        order_id=order.pk,
        kind=K.REFUND,
        amount=amount,
        currency=refund.currency,
        reference=f"refund:{refund.idempotency_key}",
        description=f"Refund on order {order.number}",
    )
    if refund.gateway == COD_GATEWAY:
        # Cash on delivery: the designer, who kept the cash, gives it back to the buyer.
        ledger.record(
            designer_id=order.designer_id,
            order_id=order.pk,
            kind=K.COD_COLLECTED,
            amount=amount,
            currency=refund.currency,
            reference=f"cod-refund:{refund.idempotency_key}",
            description=f"Cash given back on order {order.number}",
        )
    ledger.adjust_commission(
        order=order,
        currency=refund.currency,
        reference=f"commission-refund:{refund.idempotency_key}",
        description=f"Commission given back on the refund of order {order.number}",
    )
    rollups.refund_made(order, refund)
    transfers.settle_later(order.pk)


def _restock(order: Order, lines: list[dict]) -> None:
    """The physical goods of refunded lines back in stock, through the orders app's one stock
    path (variants locked in id order: no deadlock with a checkout taking the same variants)."""
    by_id = {line.pk: line for line in order.lines.all()}
    quantities: dict[int, int] = {}
    for item in lines:
        line = by_id[item["line_id"]]
        if line.variant_id and line.product_type == ProductType.PHYSICAL:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + item["quantity"]
    order_stock.restock(quantities)
