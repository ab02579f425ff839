"""Global (Relay) IDs from clients, decoded into database ids for services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from graphql_relay import from_global_id

from shop.core.errors import ServiceError

# How "<type> not found." names each type in the client's language (English: the type's name).
TYPE_LABELS = {
    "Category": gettext_lazy("Category"),
    "CheckoutLine": gettext_lazy("CheckoutLine"),
    "Designer": gettext_lazy("Designer"),
    "Order": gettext_lazy("Order"),
    "PortfolioImage": gettext_lazy("PortfolioImage"),
    "PortfolioItem": gettext_lazy("PortfolioItem"),
    "Product": gettext_lazy("Product"),
    "ProductMedia": gettext_lazy("ProductMedia"),
    "ProductVariant": gettext_lazy("ProductVariant"),
    "ShippingMethod": gettext_lazy("ShippingMethod"),
}


def decode_id(global_id, type_name: str, *, field: str = "id", code: str = "NOT_FOUND") -> int:
    """The integer id inside a ``type_name`` global ID; anything else is a NOT_FOUND error on
    ``field`` (a malformed ID is answered exactly like an unknown one)."""
    try:
        kind, raw = from_global_id(str(global_id))
        if kind != type_name:
            raise ValueError
        pk = int(raw)
        if pk < 1 or pk > 2**63 - 1:
            raise ValueError
        return pk
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ServiceError(code, _("%(type)s not found.") % {"type": TYPE_LABELS.get(type_name, type_name)}, field)


def try_decode_id(global_id, type_name: str) -> int | None:
    try:
        return decode_id(global_id, type_name)
    except ServiceError:
        return None


def decode_ids(global_ids, type_name: str, *, field: str) -> list[int]:
    return [decode_id(g, type_name, field=field) for g in (global_ids or [])]
