"""Placing a purchase: a validated checkout becomes one purchase with one order per designer, its
lines and PLACED events, and takes the stock (:mod:`shop.orders.stock`). What was written comes
back as :class:`Placed`, which the checkout's completion and the payments app carry on with.

Locks are always taken in the same order — checkout, purchase, orders, variants (by id) — so that
concurrent completions, cancellations, payments and expiries wait for each other instead of
deadlocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from shop.accounts.models import User
from shop.core import failpoints
from shop.core.prefetch import prime
from shop.core.queueing import enqueue
from shop.orders import stock, tasks
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

S = OrderStatus

ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"  # starts at 10001 (migration orders 0002)


def order_number(value: int) -> str:
    """The human order number for a value of the sequence: ``RM10001``."""
    return f"RM{value}"


def order_numbers(count: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{ORDER_NUMBER_SEQUENCE}') FROM generate_series(1, %s)", [count])
        return [order_number(row[0]) for row in cursor.fetchall()]


@dataclass
class Placed:
    """What :func:`place_purchase` (and then :func:`mark_placed_purchase_paid`) wrote, as written:
    the caller goes on with it in the same transaction instead of reading it back."""

    purchase: Purchase
    orders: list[Order]
    lines: list[OrderLine]
    events: list[OrderEvent]
    downloads: list[DigitalDownload]

    def prime(self) -> Purchase:
        """The purchase with its orders, their lines (with download links), events and (no) refunds in the
        prefetch caches the order types read (``shop.orders.selectors.with_details``): a
        completion's response shows what was written without reading it back."""
        purchase = self.purchase

        def by_order(rows):
            return {o.pk: sorted((r for r in rows if r.order_id == o.pk), key=lambda r: r.pk) for o in self.orders}

        lines, events = by_order(self.lines), by_order(self.events)
        refund_model = Order._meta.get_field("refunds").related_model  # a new order has none (payments' model)
        for order in self.orders:
            order.purchase = purchase
            for line in lines[order.pk]:
                line.order = order
                prime(
                    line,
                    "downloads",
                    sorted((d for d in self.downloads if d.line_id == line.pk), key=lambda d: d.pk),
                    model=DigitalDownload,
                )
            prime(order, "lines", lines[order.pk], model=OrderLine)
            prime(order, "events", sorted(events[order.pk], key=lambda e: (e.created_at, e.pk)), model=OrderEvent)
            prime(order, "refunds", [], model=refund_model)
        prime(purchase, "orders", sorted(self.orders, key=lambda o: o.pk), model=Order)
        return purchase


def place_purchase(*, summary, user: User | None, gateway_id: str, pays_on_delivery: bool = False) -> Placed:
    """Turn a validated checkout summary (``shop.checkout.selectors.Summary``, variants locked by
    the caller, in id order) into one UNPAID purchase with one order per designer, and take the
    stock. Runs inside the caller's transaction; a constant number of queries whatever the size.

    ``pays_on_delivery`` (cash on delivery): the purchase is AWAITING_COD and never expires, its
    orders UNFULFILLED_COD (to ship, to be paid on delivery); the buyer and the designers are
    emailed after commit."""
    checkout = summary.checkout
    now = timezone.now()
    purchase_status, order_status = PurchaseStatus.UNPAID, S.UNPAID
    expires_at = now + timedelta(minutes=settings.PURCHASE_EXPIRY_MINUTES)
    if pays_on_delivery:
        purchase_status, order_status, expires_at = PurchaseStatus.AWAITING_COD, S.UNFULFILLED_COD, None
    buyer = checkout.user if checkout.user_id else user
    address = checkout.shipping_address if summary.requires_shipping else None
    purchase = Purchase.objects.create(
        checkout=checkout,
        user=buyer,
        email=checkout.email or (buyer.email if buyer else ""),
        language=checkout.language,
        currency=summary.currency,
        total_amount=summary.total,
        status=purchase_status,
        gateway=gateway_id,
        shipping_address=address,
        created_at=now,
        expires_at=expires_at,
    )
    numbers = order_numbers(len(summary.parts))
    orders = Order.objects.bulk_create(
        [
            Order(
                purchase=purchase,
                designer=part.designer,
                number=number,
                status=order_status,
                currency=summary.currency,
                subtotal_amount=part.subtotal,
                shipping_amount=part.shipping,
                total_amount=part.total,
                shipping_method_name=part.shipping_method.name if part.shipping_method else "",
                shipping_address=address if part.requires_shipping else None,
                created_at=now,
            )
            for part, number in zip(summary.parts, numbers)
        ]
    )
    order_lines = []
    quantities: dict[int, int] = {}
    for order, part in zip(orders, summary.parts):
        for view in part.lines:
            variant = view.variant
            order_lines.append(
                OrderLine(
                    order=order,
                    variant=variant,
                    product_name=variant.product.name,
                    variant_name=variant.name,
                    sku=variant.sku,
                    product_type=variant.product.product_type,
                    unit_price_amount=view.unit_price,
                    quantity=view.line.quantity,
                    total_amount=view.total,
                )
            )
            if view.physical:
                quantities[variant.pk] = quantities.get(variant.pk, 0) + view.line.quantity
    OrderLine.objects.bulk_create(order_lines)
    events = OrderEvent.objects.bulk_create(
        [OrderEvent(order=o, type=E.PLACED, actor=buyer, created_at=now, data={"gateway": gateway_id}) for o in orders]
    )
    failpoints.reached("orders.place.created")
    stock.take_stock(quantities, locked=True)
    failpoints.reached("orders.place.stock_taken")
    if pays_on_delivery:
        schedule_paid_emails(purchase, orders)
    return Placed(purchase=purchase, orders=orders, lines=order_lines, events=events, downloads=[])


def schedule_paid_emails(purchase: Purchase, orders: list[Order], *, settle: bool = False) -> None:
    """After commit, one task that queues the emails (and, with ``settle``, what the apps above
    queue after a purchase paid at checkout: ``hooks.paid_followups``)."""
    purchase_id, order_ids = purchase.pk, [o.pk for o in orders]
    enqueue(tasks.purchase_paid_followups, purchase_id, order_ids, settle=settle)
