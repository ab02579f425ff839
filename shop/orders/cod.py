"""Cash on delivery, the orders' side: a shipped COD order (FULFILLED_COD) is either collected at
the door (paid and delivered) or refused (cancelled, stock back). The money side (ledger, payment,
emails) is payments/cod.py, which calls these in its transaction; shipping a COD order is
:func:`shop.orders.lifecycle.fulfill_order` (UNFULFILLED_COD → FULFILLED_COD).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.validation import clean_text
from shop.orders import lifecycle
from shop.orders.errors import OrderErrorCode
from shop.orders.models import Order, OrderEvent, OrderStatus
from shop.orders.models import (
    OrderEventType as E,
)

S = OrderStatus


def _cod_order_for_update(*, order_id: int, actor: User, verb: str) -> Order:
    order = lifecycle.order_for_update(order_id=order_id, actor=actor, lock_purchase=True)
    if not (lifecycle.is_seller(actor, order) or actor.is_staff):
        raise PermissionDenied(_("Only the designer who sells this order can record its delivery."))
    if order.status != S.FULFILLED_COD:
        if order.status == S.UNFULFILLED_COD:
            raise ServiceError(
                OrderErrorCode.NOT_SHIPPED, _("Ship order %(number)s first.") % {"number": order.number}, "id"
            )
        raise lifecycle.invalid_transition(order, verb)
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
    lifecycle.close_purchase(order.purchase, now)
    return order


def refuse_cod_order(*, order_id: int, actor: User, reason: str | None, now=None) -> Order:
    """The buyer refused a shipped cash-on-delivery order at the door: it is cancelled and its
    stock returns (the parcel comes back); nothing was paid, nothing is owed."""
    now = now or timezone.now()
    order = _cod_order_for_update(order_id=order_id, actor=actor, verb=S.CANCELLED)
    reason = clean_text(reason, field="reason", max_length=1000, required=True)
    lifecycle.cancel_locked_order(order, actor=actor, event_type=E.COD_REFUSED, reason=reason, now=now)
    lifecycle.close_purchase(order.purchase, now)
    return order
