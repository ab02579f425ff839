"""Shipping methods and the anonymous-read cache (shop/core/readcache.py): a designer page shows
its designer's active methods."""

from __future__ import annotations

from shop.checkout.models import ShippingMethod
from shop.core import readcache

readcache.register(ShippingMethod, lambda m: (f"designer:{m.designer_id}",))


def shipping_methods_changed(designer_id: int) -> None:
    readcache.bump(f"designer:{designer_id}")
