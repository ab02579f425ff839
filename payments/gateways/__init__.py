"""Enabled gateways, from ``settings.PAYMENT_GATEWAYS`` (dotted class paths)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from payments.gateways.base import Gateway, UnavailableReason


@cache
def _load(path: str) -> Gateway:
    return import_string(path)()


def enabled_gateways() -> list[Gateway]:
    return [_load(path) for path in settings.PAYMENT_GATEWAYS]


def get_gateway(gateway_id: str) -> Gateway | None:
    for gateway in enabled_gateways():
        if gateway.id == gateway_id:
            return gateway
    return None


def get_payout_provider():
    """The provider that moves designers' shares (``settings.PAYOUT_PROVIDER``), or None."""
    from payments.gateways.base import PayoutProvider

    path = getattr(settings, "PAYOUT_PROVIDER", "")
    if not path:
        return None
    provider = _load(path)
    return provider if isinstance(provider, PayoutProvider) else None


def unavailable_message(reason: UnavailableReason) -> str:
    """The buyer's explanation of why a payment method is not offered for a purchase."""
    messages = {
        UnavailableReason.CURRENCY_NOT_SUPPORTED: _("This payment method does not take this currency."),
        UnavailableReason.AMOUNT_TOO_LARGE: _("This purchase is too large for this payment method."),
        UnavailableReason.NOT_SHIPPED: _("This payment method is only for purchases that are all shipped."),
        UnavailableReason.DESIGNER_REFUSES: _("A designer in this purchase does not accept this payment method."),
        UnavailableReason.EMPTY: _("The checkout is empty."),
    }
    return messages.get(UnavailableReason(reason), _("This payment method is not available."))
