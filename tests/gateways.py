"""Stand-ins for external payment providers, implementing the public Gateway interface (they replace
a remote service, not our code). Enabled per test with ``settings.PAYMENT_GATEWAYS``."""

from __future__ import annotations

import hashlib
import threading

from payments.gateways.base import Gateway, GatewayError, PaymentRequest, PaymentResult, PaymentStatus, RefundResult


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


class SlowGateway(Gateway):
    """A provider that takes its time: ``initialize`` tells the test it was called (``entered``),
    then waits until the test sets ``release`` and answers ``answer`` (SUCCEEDED by default).
    ``in_transaction`` records whether the caller held a database transaction during the call.
    Reset with :meth:`reset` in each test."""

    id = "slow"
    name = "Slow (tests)"
    entered = threading.Event()
    release = threading.Event()
    answer = PaymentStatus.SUCCEEDED
    in_transaction: list[bool] = []

    @classmethod
    def reset(cls, answer: PaymentStatus = PaymentStatus.SUCCEEDED) -> None:
        cls.entered, cls.release, cls.answer, cls.in_transaction = threading.Event(), threading.Event(), answer, []

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        from shop.core.transactions import in_transaction

        SlowGateway.in_transaction.append(in_transaction())
        SlowGateway.entered.set()
        if not SlowGateway.release.wait(timeout=60):
            raise GatewayError("the test never released the slow gateway", retryable=True)
        ref = "slow_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
        if SlowGateway.answer == PaymentStatus.FAILED:
            return PaymentResult(status=PaymentStatus.FAILED, psp_reference=ref, error="The card was declined.")
        return PaymentResult(status=SlowGateway.answer, psp_reference=ref, client_secret=f"{ref}_secret")

    def refund(self, *, psp_reference, amount, currency, idempotency_key, reason=""):
        SlowGateway.entered.set()
        if not SlowGateway.release.wait(timeout=60):
            raise GatewayError("the test never released the slow gateway", retryable=True)
        return RefundResult(succeeded=True, psp_reference="slow_re_" + idempotency_key)


class ProcessKilled(BaseException):
    """Stands for the process dying (SIGKILL, a crash): nothing after it runs, no handler catches it."""


class DyingGateway(Gateway):
    """The process dies while the provider is being asked (after the purchase was recorded).
    ``refund`` raises the exceptions of ``refund_failures`` one per call (ProcessKilled, a
    GatewayError), then refunds; ``refunds`` counts the refunds it made, by idempotency key."""

    id = "dying"
    name = "Dying (tests)"
    refund_failures: list[BaseException] = []
    refunds: dict[str, int] = {}

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        raise ProcessKilled()

    def refund(self, *, psp_reference, amount, currency, idempotency_key, reason=""):
        if DyingGateway.refund_failures:
            raise DyingGateway.refund_failures.pop(0)
        DyingGateway.refunds[idempotency_key] = DyingGateway.refunds.get(idempotency_key, 0) + 1
        return RefundResult(succeeded=True, psp_reference="dying_re_" + idempotency_key)


class HangingGateway(Gateway):
    """Never answers (for a real process that the test kills with SIGKILL while it waits)."""

    id = "hanging"
    name = "Hanging (tests)"

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        import time

        time.sleep(600)
        raise GatewayError("no answer", retryable=True)


TEST_GATEWAYS = [
    "payments.gateways.dummy.DummyGateway",
    "tests.gateways.PendingGateway",
    "tests.gateways.UnreachableGateway",
]
SLOW_GATEWAYS = TEST_GATEWAYS + [
    "tests.gateways.SlowGateway",
    "tests.gateways.DyingGateway",
    "tests.gateways.HangingGateway",
]
