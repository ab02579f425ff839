"""payOS (https://payos.vn): VietQR bank transfers in, payouts to Vietnamese bank accounts out.

Through the official SDK (``payos``), pointed at ``settings.PAYOS_BASE_URL`` when set (the tests'
local stand-in).

Paying: ``initialize`` creates one payment request per purchase: the amount in whole dong, the
purchase's id as payOS's numeric ``orderCode`` (unique per merchant, so asking twice for the same
purchase is refused rather than charged twice), ``expiredAt`` = the purchase's expiry. It answers
PENDING with the hosted ``checkout_url`` and the VietQR payload (``qr_code``); the purchase is
paid only when payOS says so: a verified webhook (``verify_notification``) or ``status`` (the
expiry check). ``cancel`` closes an unpaid request. payOS has no refund API: refunds of a payOS
purchase are owed to the buyer and sent by bank payout (``manual_refunds``).

Payouts: :class:`PayOSPayoutProvider`, with the separate payout credentials payOS requires
(``PAYOS_PAYOUT_CLIENT_ID`` / ``_API_KEY`` / ``_CHECKSUM_KEY``); the payout's ``referenceId`` is
also its idempotency key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from payments.gateways.base import (
    Gateway,
    GatewayError,
    Notification,
    NotificationError,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    PayoutProvider,
    RefundResult,
)
from shop.orders.models import Purchase

logger = logging.getLogger(__name__)

ORDER_CODE_EXISTS = "231"
DESCRIPTION_MAX = 25


_http = None


def _http_client():
    """One pooled HTTP client for every payOS call of the process (httpx clients are thread-safe);
    an SDK object made per call would otherwise open, and leak, a client each time."""
    global _http
    if _http is None:
        import httpx

        _http = httpx.Client()
    return _http


def _client(client_id: str, api_key: str, checksum_key: str, *, max_retries: int | None = None):
    from payos import PayOS

    return PayOS(
        client_id=client_id,
        api_key=api_key,
        checksum_key=checksum_key,
        base_url=settings.PAYOS_BASE_URL or None,
        timeout=settings.PAYOS_TIMEOUT_SECONDS,
        max_retries=settings.PAYOS_MAX_RETRIES if max_retries is None else max_retries,
        http_client=_http_client(),
    )


def _error(exc: Exception) -> GatewayError:
    """The SDK's exceptions as a GatewayError: unreachable, timed out or 5xx/429 may succeed later."""
    from payos._core.exceptions import APIError, ConnectionError, ConnectionTimeoutError, InvalidSignatureError

    if isinstance(exc, (ConnectionError, ConnectionTimeoutError)):
        return GatewayError(f"payOS could not be reached: {exc}", code="unreachable", retryable=True)
    if isinstance(exc, InvalidSignatureError):
        return GatewayError(f"payOS's answer failed its signature check: {exc}", code="bad_signature", retryable=True)
    if isinstance(exc, APIError):
        status = getattr(exc, "status_code", None) or 0
        code = str(getattr(exc, "error_code", "") or status)
        return GatewayError(f"payOS: {exc}", code=code, retryable=status >= 500 or status in (408, 429))
    return GatewayError(f"payOS: {exc}", code="error", retryable=True)


def order_code(purchase_id: int) -> int:
    """payOS's order code of a purchase: unique per payOS channel, so a second environment (or a
    database started afresh) on the same channel sets its own PAYOS_ORDER_CODE_OFFSET."""
    return settings.PAYOS_ORDER_CODE_OFFSET + int(purchase_id)


def purchase_id(code) -> int | None:
    try:
        value = int(code) - settings.PAYOS_ORDER_CODE_OFFSET
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _whole_dong(amount: Decimal) -> int:
    value = Decimal(amount)
    if value != value.to_integral_value() or value <= 0:
        raise GatewayError("payOS takes whole, positive amounts of dong", code="invalid_amount")
    return int(value)


class PayOSGateway(Gateway):
    id = "payos"
    name = "VietQR (payOS)"
    manual_refunds = True  # no refund API: refunds are owed and sent by bank payout

    def _sdk(self, *, max_retries: int | None = None):
        return _client(
            settings.PAYOS_CLIENT_ID, settings.PAYOS_API_KEY, settings.PAYOS_CHECKSUM_KEY, max_retries=max_retries
        )

    def config(self) -> dict:
        return {"currency": "VND", "method": "vietqr"}

    def _expires_at(self, purchase_id: int) -> int:
        expires = Purchase.objects.filter(pk=purchase_id).values_list("expires_at", flat=True).first()
        expires = expires or timezone.now() + timedelta(minutes=settings.PURCHASE_EXPIRY_MINUTES)
        return int(expires.timestamp())

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        from payos.types import CreatePaymentLinkRequest

        if request.currency != "VND":
            return PaymentResult(status=PaymentStatus.FAILED, error="payOS accepts dong (VND) only.")
        code = order_code(request.purchase_id)
        payload = CreatePaymentLinkRequest(
            order_code=code,
            amount=_whole_dong(request.amount),
            description=f"RETHINK {code}"[:DESCRIPTION_MAX],
            cancel_url=settings.PAYOS_CANCEL_URL,
            return_url=settings.PAYOS_RETURN_URL,
            buyer_email=request.email or None,
            expired_at=self._expires_at(request.purchase_id),
        )
        try:
            # One attempt, no SDK retry: the buyer waits at most PAYOS_TIMEOUT_SECONDS (Gateway.initialize).
            # A client of its own: payOS 1.1.0 ignores a per-request max_retries for 5xx answers.
            link = self._sdk(max_retries=0).payment_requests.create(payload)
        except Exception as exc:
            raise _error(exc) from exc
        return PaymentResult(
            status=PaymentStatus.PENDING,
            psp_reference=str(link.order_code),
            raw={
                "checkout_url": link.checkout_url,
                "qr_code": link.qr_code,
                "payment_link_id": link.payment_link_id,
                "amount": link.amount,
                "status": link.status,
            },
        )

    def status(self, *, psp_reference: str) -> PaymentResult:
        try:
            link = self._sdk().payment_requests.get(int(psp_reference))
        except Exception as exc:
            raise _error(exc) from exc
        raw = {"status": link.status, "amount": link.amount, "amount_paid": link.amount_paid, "id": link.id}
        if link.status == "PAID" and link.amount_paid >= link.amount:
            return PaymentResult(status=PaymentStatus.SUCCEEDED, psp_reference=psp_reference, raw=raw)
        if link.status in ("CANCELLED", "EXPIRED", "FAILED"):
            return PaymentResult(status=PaymentStatus.FAILED, psp_reference=psp_reference, error=link.status, raw=raw)
        return PaymentResult(status=PaymentStatus.PENDING, psp_reference=psp_reference, raw=raw)

    def cancel(self, *, psp_reference: str, reason: str = "") -> PaymentResult:
        """Close an unpaid payment request (nothing can be paid into it afterwards). Answers the
        request's state; a request already paid is reported SUCCEEDED, not cancelled."""
        from payos._core.exceptions import APIError

        try:
            link = self._sdk().payment_requests.cancel(int(psp_reference), reason or None)
        except APIError as exc:
            if (getattr(exc, "status_code", 0) or 0) < 500:
                # Refused: paid in the meantime, or already closed (expired at payOS, cancelled).
                current = self.status(psp_reference=psp_reference)
                if current.status != PaymentStatus.PENDING:
                    return current
            raise _error(exc) from exc
        except Exception as exc:
            raise _error(exc) from exc
        if link.status == "PAID":
            return PaymentResult(status=PaymentStatus.SUCCEEDED, psp_reference=psp_reference, raw={"status": "PAID"})
        error = link.status
        if link.amount_paid:  # part of the amount came in (UNDERPAID): staff must give it back
            error = f"{link.status}: {link.amount_paid} of {link.amount} VND received, to refund"
            logger.error("payOS request %s closed with %s", psp_reference, error)
        return PaymentResult(status=PaymentStatus.FAILED, psp_reference=psp_reference, error=error)

    def refund(
        self, *, psp_reference: str, amount: Decimal, currency: str, idempotency_key: str, reason: str = ""
    ) -> RefundResult:
        # payOS has no refund API; payments.refunds records the refund as owed (manual_refunds).
        return RefundResult(succeeded=False, error="payOS has no refund API")

    def verify_notification(self, *, body: bytes, headers: dict) -> Notification:
        """Check the webhook's checksum with the SDK (HMAC-SHA256 of the sorted data fields)."""
        if not settings.PAYOS_CHECKSUM_KEY:
            raise NotificationError("payOS is not configured")
        try:
            data = self._sdk().webhooks.verify(body)
        except Exception as exc:
            raise NotificationError(str(exc) or exc.__class__.__name__) from exc
        payload = data.model_dump_camel_case()
        return Notification(
            event_id=f"{data.payment_link_id}:{data.reference}", type=f"payment.{data.code}", payload=payload
        )

    def confirm_webhook(self, url: str) -> dict:
        """Register ``url`` with payOS (it posts a signed test webhook there first)."""
        try:
            answer = self._sdk().webhooks.confirm(url)
        except Exception as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            raise _error(cause) from exc
        return answer.model_dump_camel_case()


@dataclass(frozen=True)
class BankPayoutResult:
    id: str
    state: str  # SUCCEEDED, FAILED, PROCESSING (or another in-between state payOS reports)
    error: str = ""


class PayOSPayoutProvider(PayoutProvider):
    """Pays a designer (or a buyer owed a refund) straight to a Vietnamese bank account."""

    id = "payos"
    connected_accounts = False
    bank_payouts = True

    def _sdk(self):
        return _client(
            settings.PAYOS_PAYOUT_CLIENT_ID, settings.PAYOS_PAYOUT_API_KEY, settings.PAYOS_PAYOUT_CHECKSUM_KEY
        )

    @staticmethod
    def _result(payout) -> BankPayoutResult:
        states = {tx.state for tx in payout.transactions}
        if payout.approval_state in ("FAILED", "REJECTED", "CANCELLED") or states & {"FAILED", "CANCELLED", "REVERSED"}:
            errors = [
                tx.error_message or tx.error_code or tx.state for tx in payout.transactions if tx.state != "SUCCEEDED"
            ]
            return BankPayoutResult(id=payout.id, state="FAILED", error="; ".join(e for e in errors if e) or "failed")
        if payout.approval_state == "COMPLETED" and states == {"SUCCEEDED"}:
            return BankPayoutResult(id=payout.id, state="SUCCEEDED")
        return BankPayoutResult(id=payout.id, state="PROCESSING")

    def create_payout(
        self, *, reference_id: str, amount: int, description: str, to_bin: str, to_account_number: str
    ) -> BankPayoutResult:
        from payos.types import PayoutRequest

        request = PayoutRequest(
            reference_id=reference_id,
            amount=int(amount),
            description=description[:DESCRIPTION_MAX],
            to_bin=to_bin,
            to_account_number=to_account_number,
            category=["payout"],
        )
        try:
            payout = self._sdk().payouts.create(request, idempotency_key=reference_id)
        except Exception as exc:
            raise _error(exc) from exc
        return self._result(payout)

    def get_payout(self, *, payout_id: str) -> BankPayoutResult:
        try:
            payout = self._sdk().payouts.get(payout_id)
        except Exception as exc:
            raise _error(exc) from exc
        return self._result(payout)
