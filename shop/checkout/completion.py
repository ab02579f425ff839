"""Completing a checkout: the stock taken and one order per designer placed under one purchase
(``shop.orders.placement``), the payment asked of the gateway with no lock held, and its answer
applied (``payments.services``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import services as payment_services
from payments.gateways import get_gateway, unavailable_message
from payments.gateways.base import PaymentStatus
from payments.models import Payment
from shop.accounts.models import User
from shop.catalog.models import ProductVariant
from shop.checkout import selectors
from shop.checkout.cart import locked_checkout, signed_in
from shop.checkout.errors import CheckoutErrorCode
from shop.checkout.models import Checkout, CheckoutLine
from shop.core import failpoints
from shop.core.errors import ServiceError
from shop.orders import placement
from shop.orders.models import Purchase, PurchaseStatus

logger = logging.getLogger(__name__)


@dataclass
class Completion:
    purchase: Purchase
    payment: Payment | None
    created: bool


MAX_GATEWAY_DATA_BYTES = 4096


def _clean_gateway_data(data) -> dict:
    if data in (None, ""):
        return {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ServiceError(CheckoutErrorCode.INVALID, _("Gateway data must be a JSON object."), "gateway_data")
    if not isinstance(data, dict):
        raise ServiceError(CheckoutErrorCode.INVALID, _("Gateway data must be a JSON object."), "gateway_data")
    if len(json.dumps(data)) > MAX_GATEWAY_DATA_BYTES:
        raise ServiceError(CheckoutErrorCode.INVALID, _("Gateway data is too large."), "gateway_data")
    return data


def complete_checkout(*, token, user: User | None, gateway_id: str | None, gateway_data=None) -> Completion:
    """Pay for the checkout, in three steps, so that no lock is held while the provider answers:

    1. One short transaction: lock the checkout, then its variants (in id order), re-validate
       everything against the locked stock, take the stock, create one UNPAID order per designer
       under one purchase, mark the checkout completed and record the payment attempt (PENDING,
       idempotency key ``purchase-<id>``). Commit: the locks are released.
    2. The gateway is asked, outside any transaction.
    3. One short transaction applies the answer (``payment_services.apply_payment_answer``):
       - SUCCEEDED: the purchase and its orders become PAID.
       - PENDING: the purchase stays UNPAID (stock reserved until it expires); the payment's client
         secret lets the client confirm; the payments app calls ``mark_purchase_paid`` later.
       - FAILED (declined) or unreachable: PAYMENT_DECLINED / PAYMENT_ERROR, and the attempt is
         undone: stock back, no purchase, no order, and the checkout usable for another try.

    A process that dies between 1 and 3 leaves an UNPAID purchase holding its stock with a PENDING
    payment: the expiry task cancels it (stock back) when it expires. Meanwhile completing the
    checkout again returns that purchase.

    Idempotent: once a checkout has its purchase, completing it again returns that purchase."""
    user = signed_in(user)
    data = _clean_gateway_data(gateway_data)
    with transaction.atomic():
        # The checkout locked, with its user joined. Its purchase is written in the same transaction
        # that sets completed_at, and completed_at is read after the lock (PostgreSQL re-reads a
        # row it waited for): only a completed checkout has a purchase to look up.
        checkout = locked_checkout(token, user, allow_completed=True, related=("user",))
        purchase = Purchase.objects.filter(checkout=checkout).first() if checkout.completed_at is not None else None
        if purchase is not None:
            return Completion(
                purchase=purchase, payment=purchase.payments.order_by("-created_at", "-id").first(), created=False
            )
        failpoints.reached("checkout.complete.read")
        gateway = get_gateway(gateway_id or "")
        if gateway is None:
            raise ServiceError(
                CheckoutErrorCode.GATEWAY_NOT_AVAILABLE, _("This payment method is not available."), "gateway_id"
            )
        # Lock the variants (by id) before reading stock, so that the check below is the truth.
        _lock_line_variants(checkout)
        failpoints.reached("checkout.complete.locked")
        summary = selectors.checkout_summary(checkout, fresh=True)
        if summary.problems:
            raise ServiceError.many(summary.problems)
        reason = gateway.unavailable_reason(selectors.payment_offer(summary))
        if reason is not None:
            raise ServiceError(CheckoutErrorCode.GATEWAY_NOT_AVAILABLE, unavailable_message(reason), "gateway_id")
        placed = placement.place_purchase(
            summary=summary, user=user, gateway_id=gateway.id, pays_on_delivery=gateway.pays_on_delivery
        )
        touched_at = checkout.updated_at
        checkout.completed_at = timezone.now()
        checkout.save(update_fields=["completed_at", "updated_at"])
        start = payment_services.start_payment(
            purchase=placed.purchase, gateway=gateway, data=data, order_numbers=[o.number for o in placed.orders]
        )
        failpoints.reached("checkout.complete.payment_recorded")
    failpoints.reached("checkout.complete.committed")
    outcome = payment_services.ask_gateway(gateway=gateway, start=start)
    failpoints.reached("checkout.complete.answered")
    with transaction.atomic():
        # the same lock order as every writer: checkout, purchase, orders, variants
        Checkout.objects.select_for_update().filter(pk=checkout.pk).values_list("pk", flat=True).first()
        undone = payment_services.apply_payment_answer(placed=placed, outcome=outcome)
        if undone:
            # the checkout as it was before this attempt: open, untouched
            Checkout.objects.filter(pk=checkout.pk).update(completed_at=None, updated_at=touched_at)
    if outcome.status == PaymentStatus.FAILED:
        if outcome.unreachable:
            raise ServiceError(
                CheckoutErrorCode.PAYMENT_ERROR,
                _("The payment provider could not be reached; please try again."),
                "gateway_id",
            )
        logger.info("payment declined for checkout %s by %s: %s", checkout.pk, gateway.id, outcome.error)
        raise ServiceError(
            CheckoutErrorCode.PAYMENT_DECLINED,
            _("The payment was declined: %(reason)s") % {"reason": outcome.error or _("no reason given")},
            "gateway_id",
        )
    if not undone and outcome.status == PaymentStatus.SUCCEEDED and placed.purchase.status != PurchaseStatus.PAID:
        # something moved the purchase on meanwhile (cancelled): answer what it is now
        purchase = Purchase.objects.get(pk=placed.purchase.pk)
        return Completion(purchase=purchase, payment=outcome.payment, created=True)
    return Completion(purchase=placed.prime(), payment=outcome.payment, created=True)


def _lock_line_variants(checkout: Checkout) -> None:
    """Row-lock the variants of the checkout's lines in id order (the order every stock change
    locks in: no deadlocks), in one query."""
    lines = CheckoutLine.objects.filter(checkout=checkout).values("variant_id")
    list(ProductVariant.objects.select_for_update().filter(pk__in=lines).order_by("pk").values_list("pk", flat=True))
