"""Enabled gateways, from ``settings.PAYMENT_GATEWAYS`` (dotted class paths), and payout providers,
from ``settings.PAYOUT_PROVIDER`` (``stripe``, ``payos``, both comma-separated, ``none``, or dotted
class paths)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from payments.gateways.base import Gateway, PayoutProvider, UnavailableReason


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


def payout_providers() -> list:
    """Every configured payout provider (a marketplace may pay some designers through Stripe
    Connect and others through payOS)."""
    aliases = getattr(settings, "PAYOUT_PROVIDER_ALIASES", {})
    providers = []
    for name in str(getattr(settings, "PAYOUT_PROVIDER", "") or "").split(","):
        path = aliases.get(name.strip().lower(), name.strip())
        if path:
            provider = _load(path)
            if isinstance(provider, PayoutProvider):
                providers.append(provider)
    return providers


def get_payout_provider():
    """The provider that moves designers' shares to connected accounts (Stripe Connect), or None."""
    for provider in payout_providers():
        if getattr(provider, "connected_accounts", True):
            return provider
    return None


def get_bank_payout_provider():
    """The provider that pays designers straight to their bank accounts (payOS), or None."""
    for provider in payout_providers():
        if getattr(provider, "bank_payouts", False):
            return provider
    return None


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
