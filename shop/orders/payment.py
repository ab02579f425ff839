"""A payment's answer applied to a purchase: paid (its orders PAID, download links issued, digital-only
orders fulfilled, the ledger told through ``hooks.purchase_paid``, emails after commit), failed (the
buyer may retry until it expires), or, at checkout, declined (the placed purchase discarded).

Entry points for the payments app: :func:`mark_purchase_paid` and :func:`mark_purchase_payment_failed`
(webhooks; both idempotent), and for a purchase just placed by checkout completion,
:func:`lock_placed_purchase`, then :func:`mark_placed_purchase_paid` or :func:`discard_placed_purchase`.
Locks follow the order of :mod:`shop.orders.placement`: purchase, orders, variants.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.catalog.models import ProductType
from shop.core.errors import ServiceError
from shop.orders import hooks, placement, stock
from shop.orders.errors import OrderErrorCode
from shop.orders.models import (
    DigitalDownload,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Purchase,
    PurchaseStatus,
)
from shop.orders.models import (
    OrderEventType as E,
)

logger = logging.getLogger(__name__)

S = OrderStatus


# --- the payment's answer at checkout (the payments app applies it: payments.services) ----------


def lock_placed_purchase(placed: placement.Placed) -> bool:
    """Lock a purchase placed (and committed) by checkout completion, then its orders, before the
    gateway's answer is applied; True when nothing moved it on meanwhile (still UNPAID, every
    order UNPAID), so what ``placed`` holds is still the truth."""
    purchase = Purchase.objects.select_for_update().filter(pk=placed.purchase.pk).first()
    orders = list(Order.objects.select_for_update().filter(purchase_id=placed.purchase.pk).order_by("pk"))
    return (
        purchase is not None
        and purchase.status == PurchaseStatus.UNPAID
        and len(orders) == len(placed.orders)
        and all(o.status == S.UNPAID for o in orders)
    )


def discard_placed_purchase(placed: placement.Placed) -> None:
    """Undo a purchase whose payment was declined (locked by :func:`lock_placed_purchase`, its
    payment rows already deleted by the payments app): the stock back, its orders (lines, events)
    and the purchase deleted, as if never placed."""
    purchase_id = placed.purchase.pk
    stock.return_stock(OrderLine.objects.filter(order__purchase_id=purchase_id))
    Order.objects.filter(purchase_id=purchase_id).delete()  # lines, events (cascade)
    Purchase.objects.filter(pk=purchase_id).delete()


# --- paid, failed ---------------------------------------------------------------------------------


def _issue_downloads(orders: list[Order], now, *, lines: list[OrderLine] | None = None) -> list[DigitalDownload]:
    """Download links for the digital lines of ``orders`` that have none yet. ``lines``: the
    orders' lines when the caller has just written them (none has a link yet)."""
    if lines is None:
        lines = OrderLine.objects.filter(order__in=orders, product_type=ProductType.DIGITAL).exclude(
            downloads__isnull=False
        )
    else:
        lines = [line for line in lines if line.product_type == ProductType.DIGITAL]
        if not lines:
            return []
    expires = now + timedelta(days=settings.DIGITAL_DOWNLOAD_TTL_DAYS)
    return DigitalDownload.objects.bulk_create(
        [
            DigitalDownload(
                line=line,
                token=secrets.token_urlsafe(24),
                expires_at=expires,
                max_downloads=settings.DIGITAL_DOWNLOAD_MAX_COUNT,
                created_at=now,
            )
            for line in lines
        ]
    )


@transaction.atomic
def mark_purchase_paid(*, purchase_id: int, payment_id: int | None = None) -> Purchase:
    """The gateway confirmed the money. Idempotent: a second call changes nothing. Its unpaid
    orders become PAID (digital lines get download links; digital-only orders are fulfilled at
    once) and the buyer and designers are emailed after commit.

    A purchase already CANCELLED (expired or cancelled by the buyer) is not revived: each of its
    orders records a PAYMENT_AFTER_CANCELLATION event for staff to refund. The same holds for a
    single cancelled order inside a paid purchase."""
    purchase = Purchase.objects.select_for_update().filter(pk=purchase_id).first()
    if purchase is None:
        raise ServiceError(OrderErrorCode.NOT_FOUND, _("Purchase not found."), "purchase_id")
    if purchase.status == PurchaseStatus.PAID:
        return purchase
    now = timezone.now()
    orders = list(Order.objects.select_for_update().filter(purchase=purchase).order_by("pk"))
    data = {"payment_id": payment_id}
    late = [o for o in orders if o.status == S.CANCELLED]
    if late:
        already = set(
            OrderEvent.objects.filter(
                order__in=late, type=E.PAYMENT_AFTER_CANCELLATION, data__payment_id=payment_id
            ).values_list("order_id", flat=True)
        )
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(
                    order=o, type=E.PAYMENT_AFTER_CANCELLATION, created_at=now, data={**data, "refund_due": True}
                )
                for o in late
                if o.pk not in already
            ]
        )
        if late and purchase.status == PurchaseStatus.CANCELLED:
            logger.warning("payment received for cancelled purchase %s: refund due", purchase.pk)
    if purchase.status == PurchaseStatus.CANCELLED:
        return purchase
    _mark_paid(purchase, orders, payment_id=payment_id, now=now)
    return purchase


def mark_placed_purchase_paid(*, placed: placement.Placed, payment_id: int) -> Purchase:
    """:func:`mark_purchase_paid` for a purchase placed in the caller's transaction and paid at
    once (checkout completion with a gateway that confirmed the payment ``payment_id``): nothing
    else can see or lock it yet, and its orders and lines are in memory, so none is read back."""
    _mark_paid(
        placed.purchase,
        placed.orders,
        payment_id=payment_id,
        now=timezone.now(),
        lines=placed.lines,
        placed=placed,
    )
    return placed.purchase


def _mark_paid(
    purchase: Purchase,
    orders: list[Order],
    *,
    payment_id,
    now,
    lines: list[OrderLine] | None = None,
    placed: placement.Placed | None = None,
) -> None:
    """The purchase (locked, UNPAID) becomes PAID with its unpaid ``orders`` (locked): events,
    download links, the ledger, digital-only orders fulfilled, emails after commit. ``lines``:
    all the orders' lines, when the caller has them; ``placed``: what is written is added to it."""
    data = {"payment_id": payment_id}
    purchase.status = PurchaseStatus.PAID
    purchase.paid_at = now
    purchase.save(update_fields=["status", "paid_at"])
    unpaid = [o for o in orders if o.status == S.UNPAID]
    if not unpaid:
        return
    Order.objects.filter(pk__in=[o.pk for o in unpaid]).update(status=S.PAID, paid_at=now)
    for order in unpaid:
        order.status, order.paid_at = S.PAID, now
    events = OrderEvent.objects.bulk_create(
        [OrderEvent(order=o, type=E.PAID, created_at=now, data=data) for o in unpaid]
    )
    unpaid_ids = {o.pk for o in unpaid}
    known_lines = None if lines is None else [line for line in lines if line.order_id in unpaid_ids]
    downloads = _issue_downloads(unpaid, now, lines=known_lines)
    # The hand-off to the payments app (hooks.purchase_paid): the paid orders enter the designers'
    # ledger, their shares are transferred after commit. Paid at checkout, the orders and their
    # designers are loaded and the payment is known to have succeeded; what follows is queued
    # with the emails, as one task (below).
    placed_paid = placed is not None
    hooks.purchase_paid.send(purchase_id=purchase.pk, payment_id=payment_id, orders=unpaid, at_checkout=placed_paid)
    # Digital-only orders have nothing to ship: they are fulfilled by the download links.
    if known_lines is not None:
        physical = {line.order_id for line in known_lines if line.product_type == ProductType.PHYSICAL}
        digital_only = [o.pk for o in unpaid if o.pk not in physical]
    else:
        digital_only = list(
            Order.objects.filter(pk__in=[o.pk for o in unpaid])
            .exclude(lines__product_type=ProductType.PHYSICAL)
            .values_list("pk", flat=True)
        )
    if digital_only:
        for order in unpaid:
            if order.pk in digital_only:
                order.status, order.fulfilled_at = S.FULFILLED, now
        Order.objects.filter(pk__in=digital_only).update(status=S.FULFILLED, fulfilled_at=now)
        events += OrderEvent.objects.bulk_create(
            [
                OrderEvent(order_id=pk, type=E.FULFILLED, created_at=now, data={"automatic": True, "digital": True})
                for pk in digital_only
            ]
        )
    if placed is not None:
        placed.events += events
        placed.downloads += list(downloads)
    placement.schedule_paid_emails(purchase, unpaid, settle=placed_paid)


@transaction.atomic
def mark_purchase_payment_failed(*, purchase_id: int, reason: str) -> Purchase:
    """The gateway reports a failed attempt (e.g. a card declined after 3-D Secure). The purchase
    stays UNPAID, so the buyer may retry until it expires (then its stock returns); each unpaid
    order records the failure. A paid or cancelled purchase is left as it is."""
    purchase = Purchase.objects.select_for_update().filter(pk=purchase_id).first()
    if purchase is None:
        raise ServiceError(OrderErrorCode.NOT_FOUND, _("Purchase not found."), "purchase_id")
    if purchase.status != PurchaseStatus.UNPAID:
        return purchase
    reason = (reason or "")[:1000]
    now = timezone.now()
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(order=o, type=E.PAYMENT_FAILED, created_at=now, data={"reason": reason})
            for o in Order.objects.filter(purchase=purchase, status=S.UNPAID)
        ]
    )
    return purchase
