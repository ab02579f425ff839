"""Stand-ins for external payment providers, implementing the public Gateway interface (they replace
a remote service, not our code). Enabled per test with ``settings.PAYMENT_GATEWAYS``."""

from __future__ import annotations

import hashlib

from payments.gateways.base import Gateway, GatewayError, PaymentRequest, PaymentResult, PaymentStatus


class PendingGateway(Gateway):
    """Like a card gateway needing client-side confirmation: initialize answers PENDING with a client
    secret. ``status`` answers what ``PendingGateway.settled`` says for the reference (the provider's
    truth), PENDING by default."""

    id = "pending"
    name = "Pending (tests)"
    settled: dict[str, str] = {}
    unreachable = False

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        ref = "pend_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
        return PaymentResult(status=PaymentStatus.PENDING, psp_reference=ref, client_secret=f"{ref}_secret")

    def status(self, *, psp_reference: str) -> PaymentResult:
        if PendingGateway.unreachable:
            raise GatewayError("provider unreachable")
        return PaymentResult(
            status=PaymentStatus(PendingGateway.settled.get(psp_reference, "PENDING")), psp_reference=psp_reference
        )


class UnreachableGateway(Gateway):
    id = "unreachable"
    name = "Unreachable (tests)"

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        raise GatewayError("connection refused")


TEST_GATEWAYS = [
    "payments.gateways.dummy.DummyGateway",
    "tests.gateways.PendingGateway",
    "tests.gateways.UnreachableGateway",
]
