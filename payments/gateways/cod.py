"""Cash on delivery (``cod``): the buyer pays the courier when the parcel arrives.

Offered for purchases in VND whose every part ships physically, up to ``settings.COD_MAX_AMOUNT``
per purchase, and only when every designer of the purchase takes it
(``Designer.accepts_cash_on_delivery``, ``designerUpdate(input: {acceptsCashOnDelivery: false})``).

``checkoutComplete`` with ``cod`` places the purchase at once (stock taken) with its orders
``UNFULFILLED_COD``; nothing expires. The designer ships (``orderFulfill``: ``FULFILLED_COD``) and
then records what happened at the door (payments/cod.py): ``orderCodCollect`` (the order is paid and
delivered; the cash is the designer's, so the platform's commission becomes a debt the designer owes,
netted against its next payouts) or ``orderCodRefuse`` (cancelled, stock back, nothing owed).

No provider is involved: ``initialize`` only answers PENDING with a deterministic reference.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.conf import settings

from designers.models import Designer
from payments.gateways.base import (
    Gateway,
    PaymentOffer,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    RefundResult,
    UnavailableReason,
)

CURRENCY = "VND"
GATEWAY_ID = "cod"  # a Payment's and a Refund's ``gateway`` when the buyer pays the courier


def max_amount() -> Decimal:
    return Decimal(settings.COD_MAX_AMOUNT)


class CashOnDeliveryGateway(Gateway):
    id = GATEWAY_ID
    name = "Cash on delivery"
    pays_on_delivery = True

    def config(self) -> dict:
        return {"currency": CURRENCY, "maxAmount": str(max_amount())}

    def unavailable_reason(self, offer: PaymentOffer) -> UnavailableReason | None:
        if not offer.designer_ids:
            return UnavailableReason.EMPTY
        if offer.currency.upper() != CURRENCY:
            return UnavailableReason.CURRENCY_NOT_SUPPORTED
        if not offer.all_physical:
            return UnavailableReason.NOT_SHIPPED
        if offer.total > max_amount():
            return UnavailableReason.AMOUNT_TOO_LARGE
        if Designer.objects.filter(pk__in=offer.designer_ids, accepts_cash_on_delivery=False).exists():
            return UnavailableReason.DESIGNER_REFUSES
        return None

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        reference = "cod_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        if request.currency.upper() != CURRENCY or request.amount > max_amount():
            return PaymentResult(
                status=PaymentStatus.FAILED, psp_reference=reference, error="Cash on delivery is not available."
            )
        return PaymentResult(status=PaymentStatus.PENDING, psp_reference=reference)

    def status(self, *, psp_reference: str) -> PaymentResult:
        # The courier's cash is recorded by the designer (orderCodCollect), never asked of a provider.
        return PaymentResult(status=PaymentStatus.PENDING, psp_reference=psp_reference)

    def refund(
        self, *, psp_reference: str, amount: Decimal, currency: str, idempotency_key: str, reason: str = ""
    ) -> RefundResult:
        # The platform never held the cash: the designer gives it back to the buyer.
        return RefundResult(
            succeeded=True, psp_reference="cod_re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        )
