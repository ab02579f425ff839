"""Error codes of the app's services (shop/core/errors.py): each enum is exposed as the schema's
enum of the same name, and a service raises only its members."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from shop.core.errors import ErrorCode, ServiceError
from shop.core.request_id import get_request_id

logger = logging.getLogger(__name__)


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


def gateway_failure(action: str, detail, *, refund: bool = False) -> ServiceError:
    """What the client is told when the provider fails or refuses: a stable, translated message with
    the request id; the provider's own text (which names its host, paths and request ids) goes to
    the log under that id, never to the client (issue 13, finding 10)."""
    request_id = get_request_id() or "-"
    logger.warning(
        "payment provider failed during %s (request %s): %s %s",
        action,
        request_id,
        getattr(detail, "code", ""),
        detail,
    )
    if refund:
        message = _("The payment provider did not accept the refund. Try again later or contact us (request %(id)s).")
    else:
        message = _("The payment provider could not be reached. Try again later (request %(id)s).")
    return ServiceError(PaymentErrorCode.GATEWAY_ERROR, message % {"id": request_id}, None)
