"""The payment gateway interface.

A gateway turns a purchase into money and back. Adding one (MoMo, VNPay, ZaloPay, ...) means one new
module implementing :class:`Gateway` and its id in ``settings.PAYMENT_GATEWAYS``; nothing else.

Every method that moves money takes a deterministic ``idempotency_key``: calling it twice with the
same key must not charge or refund twice.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class PaymentStatus(str, enum.Enum):
    PENDING = "PENDING"  # waiting for the buyer or the provider (e.g. card confirmation in the client)
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class PaymentRequest:
    purchase_id: int
    amount: Decimal
    currency: str
    email: str
    idempotency_key: str
    description: str = ""
    # Gateway-specific input from the client, e.g. {"token": "decline"} for the dummy gateway.
    data: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentResult:
    status: PaymentStatus
    psp_reference: str = ""
    client_secret: str = ""
    error: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    psp_reference: str = ""
    error: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified message from the provider (a webhook)."""

    event_id: str
    type: str
    payload: dict


class NotificationError(Exception):
    """The notification is not authentic (bad or stale signature) or malformed."""


class GatewayError(Exception):
    """The provider could not be reached or refused the call."""


class Gateway:
    id: str = ""
    name: str = ""

    def config(self) -> dict:
        """What a client needs to pay with this gateway (e.g. a publishable key); no secrets."""
        return {}

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        raise NotImplementedError

    def status(self, *, psp_reference: str) -> PaymentResult:
        raise NotImplementedError

    def refund(self, *, psp_reference: str, amount: Decimal, currency: str, idempotency_key: str, reason: str = "") -> RefundResult:
        raise NotImplementedError

    def verify_notification(self, *, body: bytes, headers: dict) -> Notification:
        raise NotificationError(f"{self.id} sends no notifications")
