"""Stripe: PaymentIntents for buyers, Connect (Express accounts, transfers) for designers.

Enabled when ``STRIPE_SECRET_KEY`` is set (see settings.PAYMENT_GATEWAYS / PAYOUT_PROVIDER). Card
data never reaches our server: ``initialize`` creates one PaymentIntent per purchase and hands its
``client_secret`` to the client, which confirms the card with Stripe.js; the purchase becomes paid
only when Stripe's signed ``payment_intent.succeeded`` webhook says so.

Amounts go to Stripe in the currency's smallest unit (``money.to_minor``: 150000 VND -> 150000,
12.50 USD -> 1250) and currencies in lower case. Every call passes our own deterministic
idempotency key, so a retry never charges, pays or refunds twice. ``STRIPE_API_BASE`` points the SDK
elsewhere (the tests' local stand-in).
"""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from functools import lru_cache

import stripe
from django.conf import settings

from payments.gateways.base import (
    AccountLink,
    ConnectedAccount,
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
from shop.core import money

logger = logging.getLogger(__name__)

# PaymentIntent status -> ours. Anything not succeeded/canceled is still waiting on the buyer.
_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.FAILED,
}
# Our free-text reasons go to metadata; Stripe's `reason` takes only these.
STRIPE_REFUND_REASON = "requested_by_customer"


@lru_cache(maxsize=8)
def _client_for(api_key: str, api_base: str, retries: int, timeout: float) -> stripe.StripeClient:
    # ``timeout``: seconds per attempt (connect and read), so a hanging Stripe fails the call in
    # about (retries + 1) x timeout instead of the SDK's default 80 s per attempt.
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _error(exc: stripe.StripeError) -> GatewayError:
    retryable = (
        isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError))
        or (isinstance(exc, stripe.APIError) and not isinstance(exc, stripe.InvalidRequestError))
        or (exc.http_status or 0) >= 500
    )
    message = getattr(exc, "user_message", None) or str(exc) or exc.__class__.__name__
    return GatewayError(message, code=getattr(exc, "code", None) or exc.__class__.__name__, retryable=retryable)


def _account(obj) -> ConnectedAccount:
    return ConnectedAccount(
        id=obj["id"],
        payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")),
        charges_enabled=bool(obj.get("charges_enabled")),
    )


class StripeGateway(Gateway, PayoutProvider):
    id = "stripe"
    name = "Stripe"

    # --- plumbing --------------------------------------------------------------------------

    @property
    def client(self) -> stripe.StripeClient:
        if not settings.STRIPE_SECRET_KEY:
            raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY).", code="not_configured")
        return _client_for(
            settings.STRIPE_SECRET_KEY,
            settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE,
            settings.STRIPE_MAX_NETWORK_RETRIES,
            settings.PAYMENT_PROVIDER_TIMEOUT_SECONDS,
        )

    def _call(self, fn, *args, **kwargs) -> dict:
        """Call the SDK and answer a plain dict (the Stripe object's JSON)."""
        try:
            return fn(*args, **kwargs).to_dict(for_json=True)
        except stripe.StripeError as exc:
            error = _error(exc)
            logger.warning("stripe call failed (%s, retryable=%s): %s", error.code, error.retryable, error)
            raise error from exc

    def config(self) -> dict:
        return {"publishableKey": settings.STRIPE_PUBLISHABLE_KEY}

    # --- buyers: PaymentIntents ------------------------------------------------------------

    def initialize(self, request: PaymentRequest) -> PaymentResult:
        params = {
            "amount": money.to_minor(request.amount, request.currency),
            "currency": request.currency.lower(),
            "automatic_payment_methods": {"enabled": True},
            "transfer_group": f"purchase-{request.purchase_id}",
            "metadata": {"purchase_id": str(request.purchase_id), **{k: str(v) for k, v in request.metadata.items()}},
        }
        if request.description:
            params["description"] = request.description[:1000]
        if request.email:
            params["receipt_email"] = request.email
        # One attempt, no SDK retry: a buyer waits at most PAYMENT_PROVIDER_TIMEOUT_SECONDS (see
        # payments.gateways.base.Gateway.initialize); the webhook or the expiry check finds out later.
        options = {"idempotency_key": request.idempotency_key, "max_network_retries": 0}
        intent = self._call(self.client.v1.payment_intents.create, params, options)
        return self._result(intent)

    def status(self, *, psp_reference: str) -> PaymentResult:
        return self._result(self._call(self.client.v1.payment_intents.retrieve, psp_reference))

    @staticmethod
    def _result(intent) -> PaymentResult:
        status = _STATUS.get(intent["status"], PaymentStatus.PENDING)
        error = ""
        if intent.get("last_payment_error"):
            error = intent["last_payment_error"].get("message") or ""
        return PaymentResult(
            status=status,
            psp_reference=intent["id"],
            client_secret=intent.get("client_secret") or "",
            error=error,
            raw=intent,
        )

    def refund(
        self, *, psp_reference: str, amount: Decimal, currency: str, idempotency_key: str, reason: str = ""
    ) -> RefundResult:
        params = {
            "payment_intent": psp_reference,
            "amount": money.to_minor(amount, currency),
            "reason": STRIPE_REFUND_REASON,
            "metadata": {"reason": reason[:500]} if reason else {},
        }
        refund = self._call(self.client.v1.refunds.create, params, {"idempotency_key": idempotency_key})
        if refund["status"] in ("failed", "canceled"):
            return RefundResult(succeeded=False, psp_reference=refund["id"], error=refund.get("failure_reason") or "")
        return RefundResult(succeeded=True, psp_reference=refund["id"])

    # --- webhooks --------------------------------------------------------------------------

    def verify_notification(self, *, body: bytes, headers: dict) -> Notification:
        """Stripe's scheme: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``, checked
        against each configured secret (the platform endpoint and the Connect endpoint have their
        own), with ``STRIPE_WEBHOOK_TOLERANCE`` seconds of tolerance either way."""
        secrets = [s.strip() for s in settings.STRIPE_WEBHOOK_SECRET.split(",") if s.strip()]
        if not secrets:
            raise NotificationError("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
        header = headers.get("Stripe-Signature") or headers.get("stripe-signature") or ""
        if not header:
            raise NotificationError("Missing Stripe-Signature header.")
        tolerance = settings.STRIPE_WEBHOOK_TOLERANCE
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError:
            raise NotificationError("The body is not UTF-8.")
        last_error = "Signature mismatch."
        for secret in secrets:
            try:
                stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
                break
            except stripe.SignatureVerificationError as exc:
                last_error = str(exc)
        else:
            raise NotificationError(last_error)
        # The SDK refuses old timestamps; refuse ones from the future as well.
        timestamp = stripe.WebhookSignature._get_timestamp_and_signatures(header, "v1")[0]
        if timestamp > time.time() + tolerance:
            raise NotificationError("Timestamp outside the tolerance zone.")
        try:
            event = json.loads(payload)
        except ValueError:
            raise NotificationError("The body is not JSON.")
        if not (
            isinstance(event, dict)
            and isinstance(event.get("id"), str)
            and event["id"].startswith("evt_")
            and len(event["id"]) <= 255
            and isinstance(event.get("type"), str)
            and len(event["type"]) <= 100
            and isinstance(event.get("data"), dict)
            and isinstance(event["data"].get("object"), dict)
        ):
            raise NotificationError("Not a Stripe event.")
        return Notification(event_id=event["id"], type=event["type"], payload=event)

    # --- designers: Connect ----------------------------------------------------------------

    def create_connected_account(self, *, email: str, designer_id: int, idempotency_key: str) -> ConnectedAccount:
        params = {
            "type": settings.STRIPE_CONNECT_ACCOUNT_TYPE,
            "email": email,
            "metadata": {"designer_id": str(designer_id)},
        }
        if settings.STRIPE_CONNECT_ACCOUNT_TYPE != "standard":
            params["capabilities"] = {"transfers": {"requested": True}}
        if settings.STRIPE_CONNECT_COUNTRY:
            params["country"] = settings.STRIPE_CONNECT_COUNTRY
        account = self._call(self.client.v1.accounts.create, params, {"idempotency_key": idempotency_key})
        return _account(account)

    def retrieve_account(self, *, account_id: str) -> ConnectedAccount:
        return _account(self._call(self.client.v1.accounts.retrieve, account_id))

    def create_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str
    ) -> AccountLink:
        params = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        link = self._call(self.client.v1.account_links.create, params, {"idempotency_key": idempotency_key})
        return AccountLink(url=link["url"], expires_at=int(link["expires_at"]))

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
        params = {
            "amount": int(amount),
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": {k: str(v) for k, v in metadata.items()},
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        transfer = self._call(self.client.v1.transfers.create, params, {"idempotency_key": idempotency_key})
        return transfer["id"]

    def reverse_transfer(self, *, transfer_id: str, amount: int, idempotency_key: str, metadata: dict) -> str:
        params = {"amount": int(amount), "metadata": {k: str(v) for k, v in metadata.items()}}
        reversal = self._call(
            self.client.v1.transfers.reversals.create, transfer_id, params, {"idempotency_key": idempotency_key}
        )
        return reversal["id"]
