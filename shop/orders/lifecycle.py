"""The order lifecycle after payment, by the people: the designer ships (PAID → FULFILLED) and
records the arrival (FULFILLED → DELIVERED); the buyer or staff cancel (CANCELLED, stock back).

The steps shared with cash on delivery (:mod:`shop.orders.cod`) and expiry (:mod:`shop.orders.expiry`)
live here too: finding and locking the order the actor may see (purchase first, then the order), a
refused transition, cancelling a locked order, and closing a purchase once its orders are done.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.core.validation import clean_text
from shop.orders import hooks, selectors, stock, tasks
from shop.orders.errors import OrderErrorCode
from shop.orders.models import DigitalDownload, Order, OrderEvent, OrderStatus, Purchase, PurchaseStatus
from shop.orders.models import (
    OrderEventType as E,
)

S = OrderStatus
# Statuses in which no money has been taken (cancelling one owes the buyer nothing).
UNPAID_STATUSES = (S.UNPAID, S.UNFULFILLED_COD, S.FULFILLED_COD)
# Cash-on-delivery orders not collected yet.
COD_OPEN_STATUSES = (S.UNFULFILLED_COD, S.FULFILLED_COD)


# --- who may move an order ------------------------------------------------------------------------


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


def invalid_transition(order: Order, to: str):
    return ServiceError(
        OrderErrorCode.INVALID_TRANSITION,
        _("Order %(number)s is %(status)s and cannot become %(to)s.")
        % {"number": order.number, "status": order.status, "to": to},
        "id",
    )


def order_for_update(*, order_id: int, actor: User, lock_purchase: bool = False) -> Order:
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


def is_seller(actor: User, order: Order) -> bool:
    return order.designer.user_id == actor.pk


# --- shipping and delivery -----------------------------------------------------------------------


@transaction.atomic
def fulfill_order(*, order_id: int, actor: User, carrier: str | None, tracking_number: str | None) -> Order:
    """The designer ships its order (PAID → FULFILLED) with carrier and tracking number; the buyer
    is emailed after commit. Staff may do it on a designer's behalf."""
    order = order_for_update(order_id=order_id, actor=actor)
    if not (is_seller(actor, order) or actor.is_staff):
        raise PermissionDenied(_("Only the designer who sells this order can fulfil it."))
    carrier = clean_text(carrier, field="carrier", max_length=100, required=True)
    tracking_number = clean_text(tracking_number, field="tracking_number", max_length=100, required=True)
    target = _next_status(order, "fulfill")
    if target is None:
        raise invalid_transition(order, S.FULFILLED)
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

    enqueue(tasks.send_order_shipped, order.pk)
    return order


@transaction.atomic
def mark_order_delivered(*, order_id: int, actor: User) -> Order:
    order = order_for_update(order_id=order_id, actor=actor)
    if not (is_seller(actor, order) or actor.is_staff):
        raise PermissionDenied(_("Only the designer who sells this order can mark it delivered."))
    target = _next_status(order, "deliver")
    if target is None:
        raise invalid_transition(order, S.DELIVERED)
    now = timezone.now()
    order.status, order.delivered_at = target, now
    order.save(update_fields=["status", "delivered_at"])
    OrderEvent.objects.create(order=order, type=E.DELIVERED, actor=actor, created_at=now)
    return order


# --- cancelling ----------------------------------------------------------------------------------


def cancel_locked_order(order: Order, *, actor: User | None, event_type: str, reason: str, now) -> None:
    """Cancel one locked order: stock back, event, download links voided. The caller holds the
    purchase lock and closes the purchase (:func:`close_purchase`)."""
    was = order.status
    order.status, order.cancelled_at = S.CANCELLED, now
    order.save(update_fields=["status", "cancelled_at"])
    stock.return_stock(list(order.lines.all()))
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


@transaction.atomic
def cancel_order(*, order_id: int, actor: User, reason: str | None = None) -> Order:
    """The buyer cancels its UNPAID order; staff cancel an UNPAID or PAID one (a paid order is then
    due a refund, which the payments app makes). Stock returns. Cancelling the last live order of
    a purchase cancels the purchase."""
    order = order_for_update(order_id=order_id, actor=actor, lock_purchase=True)
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
        raise invalid_transition(order, S.CANCELLED)
    now = timezone.now()
    cancel_locked_order(order, actor=actor, event_type=E.CANCELLED, reason=reason, now=now)
    close_purchase(order.purchase, now)
    return order


# --- closing a purchase once its orders are done --------------------------------------------------


def close_purchase(purchase: Purchase, now) -> None:
    """Close the purchase once its orders are done, reading their statuses once: none of them live
    any more -> CANCELLED, and the apps above are told (``orders.purchase_cancelled``); a
    cash-on-delivery purchase whose orders are all collected or cancelled (and not all cancelled)
    -> PAID."""
    statuses = set(Order.objects.filter(purchase=purchase).values_list("status", flat=True))
    if statuses <= {S.CANCELLED}:
        Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.CANCELLED, cancelled_at=now)
        purchase.status, purchase.cancelled_at = PurchaseStatus.CANCELLED, now
        hooks.purchase_cancelled.send(purchase_id=purchase.pk, now=now)
        return
    if purchase.status != PurchaseStatus.AWAITING_COD or statuses & set(COD_OPEN_STATUSES):
        return
    Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.PAID, paid_at=now)
    purchase.status, purchase.paid_at = PurchaseStatus.PAID, now
