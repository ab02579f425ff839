"""Error codes of the app's services (shop/core/errors.py): each enum is exposed as the schema's
enum of the same name, and a service raises only its members."""

from __future__ import annotations

from shop.core.errors import ErrorCode


class PaymentErrorCode(ErrorCode):
    # refunds, payouts, disputes (GATEWAY_NOT_AVAILABLE: the same code as checkout's)
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    INVALID_LINE = "INVALID_LINE"
    NOT_PAID = "NOT_PAID"
    ALREADY_REFUNDED = "ALREADY_REFUNDED"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    DISPUTED = "DISPUTED"
    NOT_APPROVED = "NOT_APPROVED"
    ALREADY_ONBOARDED = "ALREADY_ONBOARDED"
    PAYOUTS_NOT_CONFIGURED = "PAYOUTS_NOT_CONFIGURED"
    GATEWAY_NOT_AVAILABLE = "GATEWAY_NOT_AVAILABLE"
    GATEWAY_ERROR = "GATEWAY_ERROR"
    # designers' bank accounts (payments/bank_accounts.py)
    INVALID_BANK = "INVALID_BANK"
    BANK_ACCOUNTS_NOT_CONFIGURED = "BANK_ACCOUNTS_NOT_CONFIGURED"
