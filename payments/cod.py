"""Cash on delivery: what happened at the buyer's door, recorded by the order's designer (or staff).

- :func:`collect`: the courier collected the cash for a shipped order (FULFILLED_COD → DELIVERED).
  The order enters the ledger through the same sale path as any paid order
  (``services.record_orders_paid``: SALE and COMMISSION, so the sales rollups follow), and a
  ``COD_COLLECTED`` entry records that the designer already holds the whole amount in cash: the
  platform's commission is then a debt the designer owes (``owed`` on the balance), netted against
  what the platform next holds for the designer (payments/ledger.py).
- :func:`refuse`: the buyer refused the parcel (FULFILLED_COD → CANCELLED): the stock returns and
  nothing enters the ledger, so nothing is owed.

Each is one transaction (purchase, then order locked, as every money movement on a purchase), an
``OrderEvent`` and, after commit, an email to the buyer. Doing it twice is refused
(``INVALID_TRANSITION``) and writes nothing more.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from payments import ledger, tasks
from payments.gateways.cod import GATEWAY_ID as COD_GATEWAY
from payments.models import LedgerEntry, Payment
from payments.services import record_orders_paid
from shop.accounts.models import User
from shop.core import money
from shop.core.queueing import enqueue
from shop.orders import cod as order_cod
from shop.orders.models import Order, OrderStatus

K = LedgerEntry.Kind


def _update_payment(purchase_id: int) -> None:
    """The purchase's COD payment says what was captured: SUCCEEDED for the cash collected so far
    (its amount: the totals of the orders collected; the refused ones were never paid), CANCELLED
    when every order was refused or cancelled before any was collected."""
    statuses = set(Order.objects.filter(purchase_id=purchase_id).values_list("status", flat=True))
    collected = Order.objects.filter(purchase_id=purchase_id, paid_at__isnull=False).aggregate(
        total=Sum("total_amount")
    )
    payments = Payment.objects.filter(purchase_id=purchase_id, gateway=COD_GATEWAY)
    if collected["total"] is not None:
        payments.update(status=Payment.Status.SUCCEEDED, amount=collected["total"], updated_at=timezone.now())
    elif statuses <= {OrderStatus.CANCELLED}:
        payments.filter(status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED, updated_at=timezone.now()
        )


def purchase_cancelled(*, purchase_id: int, now) -> None:
    """The ``orders.purchase_cancelled`` hook, in the cancelling transaction: a cash-on-delivery
    payment still PENDING is CANCELLED (every order was cancelled before any cash was collected)."""
    _update_payment(purchase_id)


@transaction.atomic
def collect(*, order_id: int, actor: User) -> Order:
    now = timezone.now()
    order = order_cod.collect_cod_order(order_id=order_id, actor=actor, now=now)
    record_orders_paid([order], settle=False)
    ledger.record(
        designer_id=order.designer_id,
        order_id=order.pk,
        kind=K.COD_COLLECTED,
        amount=money.to_minor(order.total_amount, order.currency),
        currency=order.currency,
        reference=f"cod-collected:order-{order.pk}",
        description=f"Cash collected on delivery of order {order.number}",
    )
    _update_payment(order.purchase_id)
    enqueue(tasks.send_cod_outcome_email, order.pk)
    return order


@transaction.atomic
def refuse(*, order_id: int, actor: User, reason: str | None) -> Order:
    order = order_cod.refuse_cod_order(order_id=order_id, actor=actor, reason=reason)
    _update_payment(order.purchase_id)
    enqueue(tasks.send_cod_outcome_email, order.pk)
    return order
