"""The payment gateway interface.

A gateway turns a purchase into money and back. Adding one (MoMo, VNPay, ZaloPay, ...) means one new
module implementing :class:`Gateway` and its dotted path in ``settings.PAYMENT_GATEWAYS``; nothing
else. The methods:

- ``initialize(PaymentRequest)``: start paying a purchase. SUCCEEDED only when the provider itself
  says so server-side (the dummy gateway); PENDING with a ``client_secret`` when the buyer still has
  to confirm in the client (Stripe). Orders become paid only on the provider's word (a verified
  notification or ``status``), never on the client's.
- ``confirm(psp_reference=)``: ask the provider for the outcome now (e.g. after the client says it
  confirmed); same answer as ``status`` unless the provider needs an explicit server-side step.
- ``status(psp_reference=)``: the provider's current view of the payment.
- ``refund(psp_reference=, amount=, currency=, idempotency_key=, reason=)``: give money back.
- ``verify_notification(body=, headers=)``: authenticate a webhook and parse it, or raise
  :class:`NotificationError`.
- ``unavailable_reason(PaymentOffer)`` (optional): why the gateway cannot take this purchase
  (a :class:`UnavailableReason` value), or None when it can. ``paymentGateways(checkoutToken:)``
  shows it and ``checkoutComplete`` refuses such a gateway (``GATEWAY_NOT_AVAILABLE``).
- ``pays_on_delivery`` (class attribute): the buyer pays the courier (cash on delivery): the
  purchase is placed at once, its orders wait to be shipped and collected, and nothing expires.

Every method that moves money takes a deterministic ``idempotency_key``: calling it twice with the
same key must not charge or refund twice. Amounts are exact Decimals in the currency's unit; a
gateway converts them to what its provider wants (Stripe: the smallest unit, ``money.to_minor``).

Paying designers out is a separate capability (:class:`PayoutProvider`, Stripe Connect today),
chosen by ``settings.PAYOUT_PROVIDER``.
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
class PaymentOffer:
    """What a gateway may need to know to say whether it can take a purchase (before it is placed)."""

    currency: str
    total: Decimal
    all_physical: bool  # every part of the purchase ships physically
    designer_ids: tuple[int, ...] = ()


class UnavailableReason(str, enum.Enum):
    """Why a gateway is not offered for a purchase (the schema's ``PaymentGatewayUnavailableReason``)."""

    CURRENCY_NOT_SUPPORTED = "CURRENCY_NOT_SUPPORTED"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    NOT_SHIPPED = "NOT_SHIPPED"  # something in the purchase does not ship physically (digital goods)
    DESIGNER_REFUSES = "DESIGNER_REFUSES"  # a designer of the purchase does not take this payment method
    EMPTY = "EMPTY"  # nothing to pay for yet


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
    """The provider could not be reached or refused the call. ``retryable`` says whether trying
    again later (with the same idempotency key) may succeed."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class Gateway:
    id: str = ""
    name: str = ""
    pays_on_delivery: bool = False

    def unavailable_reason(self, offer: PaymentOffer) -> UnavailableReason | None:
        """None: the gateway can take this purchase."""
        return None

    def config(self) -> dict:
        """What a client needs to pay with this gateway (e.g. a publishable key); no secrets."""
        return {}

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        """Start the purchase's payment at the provider, while the buyer waits: one attempt, bounded
        by the provider timeout (no SDK retry, which would multiply the wait). A timeout or a 5xx
        raises a retryable GatewayError: checkout answers PAYMENT_ERROR, and what the provider in
        fact did is learnt later (its webhook, or the expiry check asking it first). The calls made
        in the background (status, refunds, transfers, payouts) keep the SDK's retries, under the
        same idempotency keys."""
        raise NotImplementedError

    def confirm(self, *, psp_reference: str) -> PaymentResult:
        return self.status(psp_reference=psp_reference)

    def status(self, *, psp_reference: str) -> PaymentResult:
        raise NotImplementedError

    def refund(
        self, *, psp_reference: str, amount: Decimal, currency: str, idempotency_key: str, reason: str = ""
    ) -> RefundResult:
        raise NotImplementedError

    def verify_notification(self, *, body: bytes, headers: dict) -> Notification:
        raise NotificationError(f"{self.id} sends no notifications")


@dataclass(frozen=True)
class ConnectedAccount:
    id: str
    payouts_enabled: bool
    details_submitted: bool
    charges_enabled: bool = False


@dataclass(frozen=True)
class AccountLink:
    url: str
    expires_at: int  # Unix time


class PayoutProvider:
    """Moves a designer's share to the designer (Stripe Connect). Amounts are integers in the
    currency's smallest unit, as in the ledger. Every call takes a deterministic idempotency key."""

    id: str = ""

    def create_connected_account(self, *, email: str, designer_id: int, idempotency_key: str) -> ConnectedAccount:
        raise NotImplementedError

    def retrieve_account(self, *, account_id: str) -> ConnectedAccount:
        raise NotImplementedError

    def create_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str
    ) -> AccountLink:
        raise NotImplementedError

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict,
    ) -> str:
        """Returns the provider's transfer id."""
        raise NotImplementedError

    def reverse_transfer(self, *, transfer_id: str, amount: int, idempotency_key: str, metadata: dict) -> str:
        """Returns the provider's reversal id."""
        raise NotImplementedError
