"""Enabled gateways, from ``settings.PAYMENT_GATEWAYS`` (dotted class paths)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from payments.gateways.base import Gateway


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
