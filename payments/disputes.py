"""Disputes (chargebacks) on a purchase's payment, as the provider reports them (payments/webhooks.py).

A dispute's amount is shared over the purchase's orders in proportion to what is left of each
(``Dispute.allocations``, fixed when the loss is first recorded). The loss enters each designer's
ledger (DISPUTE, with the commission given back) when the dispute opens, and stays when it is lost;
a dispute won gives it back (DISPUTE_REVERSAL, the commission due again). Each change of the ledger
re-settles the order's transfer (payments/transfers.py) and moves the sales rollups.
"""

from __future__ import annotations

from django.db import transaction

from payments import ledger, rollups, tasks, transfers
from payments.models import Dispute, LedgerEntry, Payment
from shop.core import money
from shop.core.queueing import enqueue
from shop.orders import lifecycle as order_lifecycle
from shop.orders.models import Order, OrderEvent, Purchase

K = LedgerEntry.Kind


@transaction.atomic
def record_dispute(
    *, payment_id: int, dispute_id: str, amount: int, currency: str, reason: str, status: str, closed: bool
) -> Dispute:
    """A chargeback opened (``closed=False``) or closed. Opening marks the purchase's orders
    disputed, records the loss in the ledger (shared over the orders) and emails staff; closing as
    won gives the loss back, as lost keeps it. Duplicated or reordered events change nothing more
    (a late "created" after "closed" is ignored)."""
    payment = Payment.objects.get(pk=payment_id)
    Purchase.objects.select_for_update().get(pk=payment.purchase_id)
    dispute, _created = Dispute.objects.get_or_create(
        dispute_id=dispute_id,
        defaults={
            "payment": payment,
            "amount": amount,
            "currency": currency.upper(),
            "reason": reason[:100],
            "status": status,
        },
    )
    dispute = Dispute.objects.select_for_update(of=("self",)).select_related("payment").get(pk=dispute.pk)
    orders = _dispute_orders(dispute)
    if not closed:
        if dispute.closed:
            return dispute  # a late "created" after "closed"
        _record_loss(dispute, orders)
        dispute.status = status
    else:
        dispute.status = status
        if not dispute.closed:
            dispute.closed = True
            if status == "lost":
                _record_loss(dispute, orders)
                order_lifecycle.void_downloads(order_ids=[o.pk for o in orders])
            elif dispute.loss_recorded:
                _move_loss(dispute, orders, won=True)
    dispute.save()
    open_disputes = Dispute.objects.filter(payment__purchase_id=payment.purchase_id, closed=False).exists()
    for order in orders:
        if order.is_disputed != open_disputes:
            order.is_disputed = open_disputes
            order.save(update_fields=["is_disputed"])
            OrderEvent.objects.create(
                order=order,
                type="DISPUTE_OPENED" if open_disputes else "DISPUTE_CLOSED",
                data={
                    "dispute_id": dispute.dispute_id,
                    "status": status,
                    "amount": dispute.amount,
                    "currency": dispute.currency,
                },
            )
    if dispute.loss_recorded and dispute.staff_notified_at is None:
        enqueue(tasks.send_dispute_email, dispute.pk)
    return dispute


def _dispute_orders(dispute: Dispute) -> list[Order]:
    return list(
        Order.objects.select_for_update(of=("self",))
        .filter(purchase_id=dispute.payment.purchase_id)
        .select_related("designer")
        .order_by("pk")
    )


def _record_loss(dispute: Dispute, orders: list[Order]) -> None:
    """The loss shared over the orders and written in the ledger, once."""
    if dispute.loss_recorded:
        return
    weights = {o.pk: money.to_minor(o.total_amount - o.refunded_amount, o.currency) for o in orders}
    dispute.allocations = {str(k): v for k, v in ledger.allocate(dispute.amount, weights).items()}
    dispute.loss_recorded = True
    _move_loss(dispute, orders, won=False)


def _move_loss(dispute: Dispute, orders: list[Order], *, won: bool) -> None:
    """Each order's share of the dispute taken from its designer (``won=False``) or given back
    (``won=True``), with the commission that follows it; then the settlements and the rollups."""
    tag = "dispute-won" if won else "dispute"
    references = {
        o.pk: (f"{tag}:{dispute.dispute_id}:order-{o.pk}", f"commission-{tag}:{dispute.dispute_id}:order-{o.pk}")
        for o in orders
    }
    for order in orders:
        share = dispute.allocations.get(str(order.pk))
        if not share or not ledger.in_ledger(order):
            continue
        entry, commission = references[order.pk]
        ledger.record(
            designer_id=order.designer_id,
            order_id=order.pk,
            kind=K.DISPUTE_REVERSAL if won else K.DISPUTE,
            amount=share if won else -share,
            currency=order.currency,
            reference=entry,
            description=f"Dispute won on order {order.number}" if won else f"Dispute on order {order.number}",
        )
        ledger.adjust_commission(
            order=order,
            currency=order.currency,
            reference=commission,
            description=(
                f"Commission due again on order {order.number}"
                if won
                else f"Commission given back on the dispute of order {order.number}"
            ),
        )
        transfers.settle_later(order.pk)
    rollups.dispute_moved(references[o.pk] for o in orders)
