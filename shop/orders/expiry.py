"""Expiry: an unpaid purchase past ``PURCHASE_EXPIRY_MINUTES`` is cancelled (its orders CANCELLED
with an EXPIRED event, stock back), unless the payments app finds that its payment in fact
succeeded (``hooks.paid_before_expiry``): then it is marked paid. Run by the periodic task
(``shop.orders.tasks.expire_unpaid_purchases``); idempotent.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from shop.orders import hooks, lifecycle, payment
from shop.orders.models import Order, OrderStatus, Purchase, PurchaseStatus
from shop.orders.models import (
    OrderEventType as E,
)

logger = logging.getLogger(__name__)

S = OrderStatus


def _paid_before_expiry(purchase: Purchase) -> int | None:
    """Before expiring, ask the payments app whether a still-pending payment in fact succeeded
    (its confirmation may have been missed): the payment's id, or None. Raises
    hooks.PaymentStatusUnknown when the provider cannot tell (the purchase waits for the next run)."""
    if not hooks.paid_before_expiry.handlers:
        return None
    return hooks.paid_before_expiry.one()(purchase=purchase)


@transaction.atomic
def expire_purchase(*, purchase_id: int, now=None) -> bool:
    """Cancel an unpaid purchase past its expiry: its orders CANCELLED (event EXPIRED), stock back.
    Idempotent: False when there is nothing (left) to expire."""
    now = now or timezone.now()
    purchase = (
        Purchase.objects.select_for_update(skip_locked=True)
        .filter(pk=purchase_id, status=PurchaseStatus.UNPAID, expires_at__lte=now)
        .first()
    )
    if purchase is None:
        return False
    orders = list(
        Order.objects.select_for_update()
        .filter(purchase=purchase, status=S.UNPAID)
        .prefetch_related("lines")
        .order_by("pk")
    )
    for order in orders:
        lifecycle.cancel_locked_order(order, actor=None, event_type=E.EXPIRED, reason="", now=now)
    # An unpaid purchase has no paid order: once its unpaid ones are cancelled, nothing is left.
    Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.CANCELLED, cancelled_at=now)
    # An attempt the gateway never answered (the process died between recording it and applying
    # the answer) ends here too: the payments app closes it.
    hooks.purchase_expired.send(purchase_id=purchase.pk, now=now)
    return True


def expire_unpaid_purchases(*, now=None, batch: int = 200) -> int:
    """Expire every unpaid purchase past its time (the periodic task calls this). Each purchase is
    its own transaction; a purchase whose payment in fact succeeded is marked paid instead."""
    now = now or timezone.now()
    expired = 0
    due = list(
        Purchase.objects.filter(status=PurchaseStatus.UNPAID, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for purchase_id in due:
        purchase = Purchase.objects.filter(pk=purchase_id).first()
        try:
            paid_by = _paid_before_expiry(purchase)
        except hooks.PaymentStatusUnknown as exc:
            logger.warning("cannot check payment of purchase %s before expiry: %s", purchase_id, exc)
            continue
        if paid_by is not None:
            payment.mark_purchase_paid(purchase_id=purchase_id, payment_id=paid_by)
            continue
        if expire_purchase(purchase_id=purchase_id, now=now):
            expired += 1
    return expired
