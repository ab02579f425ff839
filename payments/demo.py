"""Demo sales history (``seed_demo``): a few months of believable purchases, refunds and product
views for each approved demo designer, so that ``make run`` shows a real dashboard at once.

The history is written as the services would have left it (purchases, orders, lines, payments,
events, the ledger through ``record_orders_paid``, refunds with their ledger entries, all dated in
the past); the sales rollups are then rebuilt from it (``payments.rollups.rebuild``). Nothing is
emailed and stock is not touched (these sales are history). Idempotent: skipped when the demo
designers already have orders.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from designers.models import Designer, DesignerStatus, ProductViewDay
from designers.sales import local_day, marketplace_zone
from payments import ledger, rollups
from payments.models import LedgerEntry, Payment, Refund
from payments.services import record_orders_paid
from shop.accounts.models import User
from shop.catalog.models import ProductStatus, ProductType, ProductVariant
from shop.core import money
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus, Purchase, PurchaseStatus
from shop.orders.placement import order_numbers

K = LedgerEntry.Kind
GUESTS = ["lan.nguyen", "minh.tran", "thu.pham", "huy.le", "mai.vo", "an.dang", "linh.bui", "khoa.do"]


def seed_demo_sales(*, days: int = 120, seed: int = 2026, email_domain: str = "@demo.rethink.market") -> int:
    """Returns the number of orders written (0 when the history is already there)."""
    designers = list(Designer.objects.filter(user__email__endswith=email_domain, status=DesignerStatus.APPROVED))
    if not designers or Order.objects.filter(designer__in=designers).exists():
        return 0
    rnd = random.Random(seed)
    zone = marketplace_zone()
    now = timezone.now()
    today = local_day(now)
    buyer = User.objects.filter(email=f"buyer{email_domain}").first()
    paid_orders: list[Order] = []
    views: dict[tuple, tuple[int, int]] = {}  # (product, day): (designer, views)
    for d_index, designer in enumerate(designers):
        variants = list(
            ProductVariant.objects.filter(product__designer=designer, product__status=ProductStatus.PUBLISHED)
            .select_related("product")
            .order_by("pk")
        )
        if not variants:
            continue
        popularity = {v.product_id: 0.5 + rnd.random() for v in variants}
        shop_size = 0.6 + 0.5 * d_index
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            growth = 0.4 + 1.2 * (1 - back / days)  # a shop that grows
            weekend = 1.4 if day.weekday() >= 5 else 1.0
            expected = shop_size * growth * weekend
            count = sum(1 for _ in range(6) if rnd.random() < expected / 6)
            sold_products: dict[int, int] = {}
            for _ in range(count):
                at = datetime.combine(day, time(rnd.randint(7, 23), rnd.randint(0, 59)), zone)
                order = _order(rnd, designer, variants, popularity, at, buyer, now)
                if order is None:
                    continue
                if order.paid_at is not None:
                    paid_orders.append(order)
                    for line in order._demo_lines:
                        if line.variant_id:
                            product_id = line.variant.product_id
                            sold_products[product_id] = sold_products.get(product_id, 0) + 1
            for product_id in {v.product_id for v in variants}:
                base = int(popularity[product_id] * growth * weekend * rnd.randint(4, 14))
                views[(product_id, day)] = (designer.pk, base + sold_products.get(product_id, 0) * rnd.randint(8, 20))
    record_orders_paid(paid_orders, settle=False)
    _refunds(rnd, paid_orders, now)
    ProductViewDay.objects.bulk_create(
        [
            ProductViewDay(product_id=product_id, day=day, designer_id=designer_id, views=n)
            for (product_id, day), (designer_id, n) in views.items()
            if n > 0
        ],
        ignore_conflicts=True,
    )
    rollups.rebuild()
    return len(paid_orders)


def _order(rnd, designer, variants, popularity, at, buyer, now) -> Order | None:
    picks = rnd.sample(variants, k=min(len(variants), rnd.choice((1, 1, 1, 2))))
    picks = [v for v in picks if rnd.random() < popularity[v.product_id]] or picks[:1]
    lines, subtotal, physical = [], Decimal(0), False
    for variant in picks:
        quantity = 1 if variant.product.product_type == ProductType.DIGITAL else rnd.choice((1, 1, 1, 2))
        physical = physical or variant.product.product_type == ProductType.PHYSICAL
        lines.append((variant, quantity))
        subtotal += variant.price_amount * quantity
    shipping = Decimal(0) if not physical or subtotal >= 500000 else Decimal(30000)
    total = subtotal + shipping
    guest = rnd.random() < 0.45 or buyer is None
    email = f"{rnd.choice(GUESTS)}{rnd.randint(1, 40)}@example.com" if guest else buyer.email
    cancelled = rnd.random() < 0.04  # never paid: expired
    paid_at = None if cancelled else at + timedelta(minutes=rnd.randint(1, 9))
    purchase = Purchase.objects.create(
        user=None if guest else buyer,
        email=email,
        currency="VND",
        total_amount=total,
        status=PurchaseStatus.CANCELLED if cancelled else PurchaseStatus.PAID,
        gateway="dummy",
        created_at=at,
        paid_at=paid_at,
        cancelled_at=at + timedelta(minutes=30) if cancelled else None,
        confirmation_email_sent_at=paid_at,
    )
    age = now - at
    if cancelled:
        status = OrderStatus.CANCELLED
    elif not physical:
        status = OrderStatus.FULFILLED
    else:
        status = (
            OrderStatus.DELIVERED
            if age > timedelta(days=5)
            else OrderStatus.FULFILLED
            if age > timedelta(days=1)
            else OrderStatus.PAID
        )
    order = Order.objects.create(
        purchase=purchase,
        designer=designer,
        number=order_numbers(1)[0],
        status=status,
        currency="VND",
        subtotal_amount=subtotal,
        shipping_amount=shipping,
        total_amount=total,
        shipping_method_name="Giao hàng tiêu chuẩn" if physical else "",
        created_at=at,
        paid_at=paid_at,
        fulfilled_at=paid_at + timedelta(days=1) if status in (OrderStatus.FULFILLED, OrderStatus.DELIVERED) else None,
        delivered_at=paid_at + timedelta(days=3) if status == OrderStatus.DELIVERED else None,
        cancelled_at=purchase.cancelled_at,
        designer_email_sent_at=paid_at,
    )
    order.designer = designer
    order.purchase = purchase
    order._demo_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=variant,
                product_name=variant.product.name,
                variant_name=variant.name,
                sku=variant.sku,
                product_type=variant.product.product_type,
                unit_price_amount=variant.price_amount,
                quantity=quantity,
                total_amount=variant.price_amount * quantity,
            )
            for variant, quantity in lines
        ]
    )
    events = [OrderEvent(order=order, type="PLACED", created_at=at, data={"gateway": "dummy"})]
    if cancelled:
        events.append(
            OrderEvent(order=order, type="EXPIRED", created_at=purchase.cancelled_at, data={"from": "UNPAID"})
        )
    else:
        Payment.objects.create(
            purchase=purchase,
            gateway="dummy",
            amount=total,
            currency="VND",
            status=Payment.Status.SUCCEEDED,
            psp_reference=f"dummy_pay_demo_{purchase.pk}",
            idempotency_key=f"purchase-{purchase.pk}",
            created_at=at,
        )
        events.append(OrderEvent(order=order, type="PAID", created_at=paid_at, data={"demo": True}))
    OrderEvent.objects.bulk_create(events)
    return order


def _refunds(rnd, orders: list[Order], now) -> None:
    """About one order in twenty refunded (in part or in full) a few days after it was paid."""
    for order in orders:
        if now - order.paid_at < timedelta(days=6) or rnd.random() > 0.05:
            continue
        at = order.paid_at + timedelta(days=rnd.randint(2, 5), hours=rnd.randint(0, 8))
        full = rnd.random() < 0.5
        amount = order.total_amount if full else money.quantize(order.total_amount * Decimal("0.3"), "VND")
        refund = Refund.objects.create(
            order=order,
            payment=order.purchase.payments.first(),
            amount=amount,
            currency="VND",
            reason="Hàng bị lỗi khi giao." if full else "Giảm giá vì giao chậm.",
            gateway="dummy",
            psp_reference=f"dummy_re_demo_{order.pk}",
            idempotency_key=f"refund-order-{order.pk}-1",
            created_at=at,
        )
        order.refunded_amount = amount
        order.status = OrderStatus.REFUNDED if full else OrderStatus.PARTIALLY_REFUNDED
        order.save(update_fields=["refunded_amount", "status"])
        OrderEvent.objects.create(order=order, type="REFUNDED", created_at=at, data={"refund_id": refund.pk})
        LedgerEntry.objects.create(
            designer_id=order.designer_id,
            order=order,
            kind=K.REFUND,
            amount=-money.to_minor(amount, "VND"),
            currency="VND",
            reference=f"refund:{refund.idempotency_key}",
            description=f"Refund on order {order.number}",
            created_at=at,
        )
        reference = f"commission-refund:{refund.idempotency_key}"
        ledger.adjust_commission(order=order, currency="VND", reference=reference, description="Commission given back")
        LedgerEntry.objects.filter(reference=reference).update(created_at=at)
