"""Order writes: placing a purchase (one order per designer, stock taken), the payment hand-off,
and the lifecycle UNPAID → PAID → FULFILLED → DELIVERED, plus CANCELLED (by the buyer, staff or
expiry).

Locks are always taken in the same order — checkout, purchase, orders, variants (by id) — so that
concurrent completions, cancellations, payments and expiries wait for each other instead of
deadlocking. Stock moves only through :func:`_take_stock` / :func:`_return_stock`.

Entry points for the payments app (webhooks): :func:`mark_purchase_paid` and
:func:`mark_purchase_payment_failed`. Both are idempotent.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import cache as catalog_cache
from shop.catalog.models import ProductType, ProductVariant
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.prefetch import prime
from shop.core.validation import clean_text
from shop.orders import hooks, selectors, tasks
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
# Statuses in which no money has been taken (cancelling one owes the buyer nothing).
UNPAID_STATUSES = (S.UNPAID, S.UNFULFILLED_COD, S.FULFILLED_COD)


# --- stock ----------------------------------------------------------------------------------------


def _lock_variants(ids) -> list[int]:
    """Row-lock variants in id order (the one order every stock change uses: no deadlocks)."""
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(
        ProductVariant.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
    )


def _adjust_stock(quantities: dict[int, int], *, sign: int, locked: bool = False) -> set[int]:
    """One UPDATE for all variants; taking is conditional (never below zero). Returns the ids
    actually changed. ``locked``: the caller already holds the variants' row locks (taken in id
    order), so they are not taken again."""
    quantities = {k: v for k, v in quantities.items() if v > 0}
    if not quantities:
        return set()
    if not locked:
        _lock_variants(quantities)
    table = ProductVariant._meta.db_table
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(quantities))
    params: list = [timezone.now()]
    for pk, qty in sorted(quantities.items()):
        params += [pk, qty]
    op, guard = ("-", " AND v.stock_quantity >= d.q") if sign < 0 else ("+", "")
    sql = (
        f"UPDATE {table} AS v SET stock_quantity = v.stock_quantity {op} d.q, updated_at = %s "
        f"FROM (VALUES {values}) AS d(id, q) WHERE v.id = d.id{guard} "
        "RETURNING v.id, v.product_id, v.designer_id, v.stock_quantity, d.q"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The storefront shows stock: the read cache forgets these products (and lists, when a variant
    # sold out or came back in stock: the inStock filter's answers change).
    crossed = any((stock == 0) if sign < 0 else (stock == q) for _id, _p, _d, stock, q in rows)
    catalog_cache.products_changed({(p, d) for _id, p, d, _s, _q in rows}, listing=crossed)
    return {row[0] for row in rows}


def _take_stock(quantities: dict[int, int], *, locked: bool = False) -> None:
    taken = _adjust_stock(quantities, sign=-1, locked=locked)
    missing = {pk for pk, q in quantities.items() if q > 0} - taken
    if missing:
        # Callers validate against locked rows first, so this is a last line of defence.
        raise ServiceError(OrderErrorCode.INSUFFICIENT_STOCK, _("Some items are no longer in stock."), "lines")


def _return_stock(lines) -> None:
    quantities: dict[int, int] = {}
    for line in lines:
        if line.product_type == ProductType.PHYSICAL and line.variant_id:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity - line.refunded_quantity
    _adjust_stock(quantities, sign=+1)


# --- placing a purchase ---------------------------------------------------------------------------

ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"  # starts at 10001 (migration orders 0002)


def order_number(value: int) -> str:
    """The human order number for a value of the sequence: ``RM10001``."""
    return f"RM{value}"


def _order_numbers(count: int) -> list[str]:
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
        """The purchase with its orders, their lines (with download links) and events in the
        prefetch caches the order types read (``shop.orders.selectors.with_details``): a
        completion's response shows what was written without reading it back."""
        purchase = self.purchase

        def by_order(rows):
            return {o.pk: sorted((r for r in rows if r.order_id == o.pk), key=lambda r: r.pk) for o in self.orders}

        lines, events = by_order(self.lines), by_order(self.events)
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
    numbers = _order_numbers(len(summary.parts))
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
    stock: dict[int, int] = {}
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
                stock[variant.pk] = stock.get(variant.pk, 0) + view.line.quantity
    OrderLine.objects.bulk_create(order_lines)
    events = OrderEvent.objects.bulk_create(
        [OrderEvent(order=o, type=E.PLACED, actor=buyer, created_at=now, data={"gateway": gateway_id}) for o in orders]
    )
    _take_stock(stock, locked=True)
    if pays_on_delivery:
        _schedule_paid_emails(purchase, orders)
    return Placed(purchase=purchase, orders=orders, lines=order_lines, events=events, downloads=[])


def variant_in_use(*, product_id: int | None = None, variant_id: int | None = None) -> bool:
    """The ``catalog.variant_in_use`` hook (shop/catalog/hooks.py): an order line refers to the
    product's variants (or to the variant), so the catalog keeps it."""
    lines = OrderLine.objects.all()
    if product_id is not None:
        lines = lines.filter(variant__product_id=product_id)
    if variant_id is not None:
        lines = lines.filter(variant_id=variant_id)
    return lines.exists()


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


def _schedule_paid_emails(purchase: Purchase, orders: list[Order], *, settle: bool = False) -> None:
    """After commit, one task that queues the emails (and, with ``settle``, what the apps above
    queue after a purchase paid at checkout: ``hooks.paid_followups``)."""
    purchase_id, order_ids = purchase.pk, [o.pk for o in orders]
    transaction.on_commit(lambda: tasks.purchase_paid_followups.delay(purchase_id, order_ids, settle=settle))


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
        raise ServiceError(OrderErrorCode.NOT_FOUND, _("Purchase not found."), "purchaseId")
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


def mark_placed_purchase_paid(*, placed: Placed, payment_id: int) -> Purchase:
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
    placed: Placed | None = None,
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
    _schedule_paid_emails(purchase, unpaid, settle=placed_paid)


@transaction.atomic
def mark_purchase_payment_failed(*, purchase_id: int, reason: str) -> Purchase:
    """The gateway reports a failed attempt (e.g. a card declined after 3-D Secure). The purchase
    stays UNPAID, so the buyer may retry until it expires (then its stock returns); each unpaid
    order records the failure. A paid or cancelled purchase is left as it is."""
    purchase = Purchase.objects.select_for_update().filter(pk=purchase_id).first()
    if purchase is None:
        raise ServiceError(OrderErrorCode.NOT_FOUND, _("Purchase not found."), "purchaseId")
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


# --- lifecycle ------------------------------------------------------------------------------------

TRANSITIONS = {
    "fulfill": ({S.PAID}, S.FULFILLED),
    "deliver": ({S.FULFILLED}, S.DELIVERED),
}


def _next_status(order: Order, step: str) -> str | None:
    """The status ``step`` moves ``order`` to, or None when it may not. A partially refunded order
    still ships and arrives (the rest of it was paid for): it keeps its PARTIALLY_REFUNDED status,
    and ``fulfilled_at`` / ``delivered_at`` record the steps."""
    allowed, target = TRANSITIONS[step]
    if order.status in allowed:
        return target
    if order.status == S.UNFULFILLED_COD and step == "fulfill":
        return S.FULFILLED_COD  # cash on delivery: shipped, still to be paid at the door
    if order.status == S.PARTIALLY_REFUNDED:
        if step == "fulfill" and order.fulfilled_at is None:
            return S.PARTIALLY_REFUNDED
        if step == "deliver" and order.fulfilled_at is not None and order.delivered_at is None:
            return S.PARTIALLY_REFUNDED
    return None


def _invalid_transition(order: Order, to: str):
    return ServiceError(
        OrderErrorCode.INVALID_TRANSITION,
        _("Order %(number)s is %(status)s and cannot become %(to)s.")
        % {"number": order.number, "status": order.status, "to": to},
        "id",
    )


def _order_for_update(*, order_id: int, actor: User, lock_purchase: bool = False) -> Order:
    """The order locked (after its purchase when asked), if ``actor`` may see it; NOT_FOUND
    otherwise (no existence leak)."""
    visible = selectors.visible_orders(actor)
    if lock_purchase:
        purchase_id = visible.filter(pk=order_id).values_list("purchase_id", flat=True).first()
        if purchase_id is None:
            raise ServiceError(OrderErrorCode.NOT_FOUND, _("Order not found."), "id")
        Purchase.objects.select_for_update().filter(pk=purchase_id).first()
    order = visible.select_for_update(of=("self",)).select_related("designer", "purchase").filter(pk=order_id).first()
    if order is None:
        raise ServiceError(OrderErrorCode.NOT_FOUND, _("Order not found."), "id")
    return order


def _is_seller(actor: User, order: Order) -> bool:
    return order.designer.user_id == actor.pk


@transaction.atomic
def fulfill_order(*, order_id: int, actor: User, carrier: str | None, tracking_number: str | None) -> Order:
    """The designer ships its order (PAID → FULFILLED) with carrier and tracking number; the buyer
    is emailed after commit. Staff may do it on a designer's behalf."""
    order = _order_for_update(order_id=order_id, actor=actor)
    if not (_is_seller(actor, order) or actor.is_staff):
        raise PermissionDenied(_("Only the designer who sells this order can fulfil it."))
    carrier = clean_text(carrier, field="carrier", max_length=100, required=True)
    tracking_number = clean_text(tracking_number, field="trackingNumber", max_length=100, required=True)
    target = _next_status(order, "fulfill")
    if target is None:
        raise _invalid_transition(order, S.FULFILLED)
    now = timezone.now()
    order.status, order.fulfilled_at, order.carrier, order.tracking_number = target, now, carrier, tracking_number
    order.save(update_fields=["status", "fulfilled_at", "carrier", "tracking_number"])
    OrderEvent.objects.create(
        order=order,
        type=E.FULFILLED,
        actor=actor,
        created_at=now,
        data={"carrier": carrier, "tracking_number": tracking_number},
    )

    transaction.on_commit(lambda: tasks.send_order_shipped.delay(order.pk))
    return order


@transaction.atomic
def mark_order_delivered(*, order_id: int, actor: User) -> Order:
    order = _order_for_update(order_id=order_id, actor=actor)
    if not (_is_seller(actor, order) or actor.is_staff):
        raise PermissionDenied(_("Only the designer who sells this order can mark it delivered."))
    target = _next_status(order, "deliver")
    if target is None:
        raise _invalid_transition(order, S.DELIVERED)
    now = timezone.now()
    order.status, order.delivered_at = target, now
    order.save(update_fields=["status", "delivered_at"])
    OrderEvent.objects.create(order=order, type=E.DELIVERED, actor=actor, created_at=now)
    return order


def _cancel(order: Order, *, actor: User | None, event_type: str, reason: str, now) -> None:
    """Cancel one locked order: stock back, event, and the purchase too when none of its orders
    is left. Caller holds the purchase lock."""
    was = order.status
    order.status, order.cancelled_at = S.CANCELLED, now
    order.save(update_fields=["status", "cancelled_at"])
    _return_stock(list(order.lines.all()))
    data = {"from": was, "reason": reason}
    if was not in UNPAID_STATUSES:
        data["refund_due"] = True
    OrderEvent.objects.create(order=order, type=event_type, actor=actor, created_at=now, data=data)
    void_downloads(order_ids=[order.pk])


def void_downloads(*, order_ids: list[int], line_ids: list[int] | None = None) -> int:
    """Void the download links of these orders (or only of these lines) for good: the order was
    cancelled, the line refunded, or a chargeback on the purchase was lost. Idempotent."""
    qs = DigitalDownload.objects.filter(line__order_id__in=order_ids, voided_at__isnull=True)
    if line_ids is not None:
        qs = qs.filter(line_id__in=line_ids)
    return qs.update(voided_at=timezone.now())


def _close_purchase_if_all_cancelled(purchase: Purchase, now) -> None:
    if not Order.objects.filter(purchase=purchase).exclude(status=S.CANCELLED).exists():
        Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.CANCELLED, cancelled_at=now)
        purchase.status, purchase.cancelled_at = PurchaseStatus.CANCELLED, now


@transaction.atomic
def cancel_order(*, order_id: int, actor: User, reason: str | None = None) -> Order:
    """The buyer cancels its UNPAID order; staff cancel an UNPAID or PAID one (a paid order is then
    due a refund, which the payments app makes). Stock returns. Cancelling the last live order of
    a purchase cancels the purchase."""
    order = _order_for_update(order_id=order_id, actor=actor, lock_purchase=True)
    is_buyer = order.purchase.user_id == actor.pk
    if not (actor.is_staff or is_buyer):
        raise PermissionDenied(_("Only the buyer or staff can cancel an order."))
    reason = clean_text(reason, field="reason", max_length=1000)
    allowed = {S.UNPAID, S.UNFULFILLED_COD, S.PAID} if actor.is_staff else {S.UNPAID, S.UNFULFILLED_COD}
    if order.status not in allowed:
        if order.status == S.PAID:
            raise ServiceError(
                OrderErrorCode.INVALID_TRANSITION,
                _("Order %(number)s is paid; ask our staff to cancel and refund it.") % {"number": order.number},
                "id",
            )
        raise _invalid_transition(order, S.CANCELLED)
    now = timezone.now()
    _cancel(order, actor=actor, event_type=E.CANCELLED, reason=reason, now=now)
    _close_purchase_if_all_cancelled(order.purchase, now)
    _close_cod_purchase(order.purchase, now)
    return order


# --- cash on delivery -----------------------------------------------------------------------------
# The money side (ledger, payment, emails) is payments/cod.py, which calls these in its transaction.

COD_OPEN_STATUSES = (S.UNFULFILLED_COD, S.FULFILLED_COD)


def _close_cod_purchase(purchase: Purchase, now) -> None:
    """A cash-on-delivery purchase whose orders are all collected or cancelled (and not all
    cancelled) is PAID."""
    if purchase.status != PurchaseStatus.AWAITING_COD:
        return
    statuses = set(Order.objects.filter(purchase=purchase).values_list("status", flat=True))
    if statuses & set(COD_OPEN_STATUSES) or statuses <= {S.CANCELLED}:
        return
    Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.PAID, paid_at=now)
    purchase.status, purchase.paid_at = PurchaseStatus.PAID, now


def _cod_order_for_update(*, order_id: int, actor: User, verb: str) -> Order:
    order = _order_for_update(order_id=order_id, actor=actor, lock_purchase=True)
    if not (_is_seller(actor, order) or actor.is_staff):
        raise PermissionDenied(_("Only the designer who sells this order can record its delivery."))
    if order.status != S.FULFILLED_COD:
        if order.status == S.UNFULFILLED_COD:
            raise ServiceError(
                OrderErrorCode.NOT_SHIPPED, _("Ship order %(number)s first.") % {"number": order.number}, "id"
            )
        raise _invalid_transition(order, verb)
    return order


def collect_cod_order(*, order_id: int, actor: User, now=None) -> Order:
    """The courier collected the cash for a shipped cash-on-delivery order: it is paid and
    delivered (FULFILLED_COD → DELIVERED). The caller (payments.cod.collect) holds the transaction."""
    now = now or timezone.now()
    order = _cod_order_for_update(order_id=order_id, actor=actor, verb=S.DELIVERED)
    order.status, order.paid_at, order.delivered_at = S.DELIVERED, now, now
    order.save(update_fields=["status", "paid_at", "delivered_at"])
    OrderEvent.objects.create(
        order=order,
        type=E.COD_COLLECTED,
        actor=actor,
        created_at=now,
        data={"amount": str(order.total_amount), "currency": order.currency},
    )
    _close_cod_purchase(order.purchase, now)
    return order


def refuse_cod_order(*, order_id: int, actor: User, reason: str | None, now=None) -> Order:
    """The buyer refused a shipped cash-on-delivery order at the door: it is cancelled and its
    stock returns (the parcel comes back); nothing was paid, nothing is owed."""
    now = now or timezone.now()
    order = _cod_order_for_update(order_id=order_id, actor=actor, verb=S.CANCELLED)
    reason = clean_text(reason, field="reason", max_length=1000, required=True)
    _cancel(order, actor=actor, event_type=E.COD_REFUSED, reason=reason, now=now)
    _close_purchase_if_all_cancelled(order.purchase, now)
    _close_cod_purchase(order.purchase, now)
    return order


# --- expiry ---------------------------------------------------------------------------------------


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
        _cancel(order, actor=None, event_type=E.EXPIRED, reason="", now=now)
    # An unpaid purchase has no paid order: once its unpaid ones are cancelled, nothing is left.
    Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.CANCELLED, cancelled_at=now)
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
            mark_purchase_paid(purchase_id=purchase_id, payment_id=paid_by)
            continue
        if expire_purchase(purchase_id=purchase_id, now=now):
            expired += 1
    return expired
