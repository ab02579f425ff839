"""The built-in gateway for the demo and tests: confirms at once, or declines on request.

Send ``{"token": "decline"}`` as the gateway data to be declined (a failed card, end to end).
Idempotent: the same key gives the same reference and the same answer.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from payments.gateways.base import Gateway, PaymentRequest, PaymentResult, PaymentStatus, RefundResult

DECLINE_TOKEN = "decline"


def _reference(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class DummyGateway(Gateway):
    id = "dummy"
    name = "Dummy (demo and tests)"

    def config(self) -> dict:
        return {"declineToken": DECLINE_TOKEN}

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        reference = _reference("dummy_pay", request.idempotency_key)
        if str(request.data.get("token", "")) == DECLINE_TOKEN:
            return PaymentResult(status=PaymentStatus.FAILED, psp_reference=reference, error="The card was declined.")
        return PaymentResult(status=PaymentStatus.SUCCEEDED, psp_reference=reference)

    def status(self, *, psp_reference: str) -> PaymentResult:
        return PaymentResult(status=PaymentStatus.SUCCEEDED, psp_reference=psp_reference)

    def refund(
        self, *, psp_reference: str, amount: Decimal, currency: str, idempotency_key: str, reason: str = ""
    ) -> RefundResult:
        return RefundResult(succeeded=True, psp_reference=_reference("dummy_re", idempotency_key))
