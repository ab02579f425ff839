"""Purchases made through the ORM for payment tests, and small readers."""

from __future__ import annotations

import itertools
from decimal import Decimal

from graphql_relay import to_global_id

from payments import services
from payments.gateways import get_gateway
from payments.gateways.base import PaymentRequest, PaymentStatus
from payments.models import LedgerEntry, Payment
from shop.orders.models import Order, OrderLine, Purchase
from tests.factories import make_product, make_variant

_numbers = itertools.count(1)


def make_purchase(
    *parts,
    currency: str = "VND",
    gateway: str = "stripe",
    user=None,
    email: str = "buyer@example.com",
    language: str = "vi",
    shipping=0,
) -> Purchase:
    """``parts``: ``(designer, [(unit_price, quantity), ...])`` per designer: one order each."""
    purchase = Purchase.objects.create(
        user=user, email=email, language=language, currency=currency, total_amount=0, gateway=gateway
    )
    grand_total = Decimal(0)
    for designer, lines in parts:
        subtotal = sum((Decimal(str(price)) * qty for price, qty in lines), Decimal(0))
        total = subtotal + Decimal(str(shipping))
        order = Order.objects.create(
            purchase=purchase,
            designer=designer,
            number=f"RM-{next(_numbers):06d}",
            currency=currency,
            subtotal_amount=subtotal,
            shipping_amount=Decimal(str(shipping)),
            total_amount=total,
        )
        for price, qty in lines:
            variant = make_variant(product=make_product(designer=designer, currency=currency), price=price, stock=10)
            OrderLine.objects.create(
                order=order,
                variant=variant,
                product_name=variant.product.name,
                sku=variant.sku,
                product_type=variant.product.product_type,
                unit_price_amount=Decimal(str(price)),
                quantity=qty,
                total_amount=Decimal(str(price)) * qty,
            )
        grand_total += total
    purchase.total_amount = grand_total
    purchase.save(update_fields=["total_amount"])
    return purchase


def start_payment(purchase: Purchase, data: dict | None = None) -> Payment:
    """What checkoutComplete does with the chosen gateway: one Payment, ``gateway.initialize``;
    a gateway that answers SUCCEEDED server-side (dummy) pays the purchase at once."""
    gateway = get_gateway(purchase.gateway)
    payment = Payment.objects.create(
        purchase=purchase,
        gateway=gateway.id,
        amount=purchase.total_amount,
        currency=purchase.currency,
        idempotency_key=f"purchase-{purchase.pk}",
    )
    result = gateway.initialize(
        PaymentRequest(
            purchase_id=purchase.pk,
            amount=purchase.total_amount,
            currency=purchase.currency,
            email=purchase.email,
            idempotency_key=payment.idempotency_key,
            data=data or {},
        )
    )
    payment.psp_reference = result.psp_reference
    payment.client_secret = result.client_secret
    if result.status == PaymentStatus.SUCCEEDED:
        payment.status = Payment.Status.SUCCEEDED
        payment.save()
        services.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    else:
        payment.save()
    return payment


def order_gid(order) -> str:
    return to_global_id("Order", order.pk)


def line_gid(line) -> str:
    return to_global_id("OrderLine", line.pk)


def ledger_of(designer, **filters) -> list[tuple[str, int]]:
    return list(LedgerEntry.objects.filter(designer=designer, **filters).order_by("id").values_list("kind", "amount"))


def ledger_sum(designer, *kinds) -> int:
    return sum(a for k, a in ledger_of(designer) if not kinds or k in kinds)
