"""The Vietnamese shipping address: recipient, phone, street, ward, district, province/city.

Since the 2025 administrative reform most provinces have no district level any more (province →
ward/commune), so ``district`` is optional; everything else is required. Phone numbers are
normalised to the national form couriers expect (``0912345678``) from ``+84 912 345 678``,
``84-912-345-678``, ``(028) 3822 1234`` and the like.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from shop.checkout.errors import CheckoutErrorCode
from shop.core.errors import FieldError, ServiceError

# Mobile: 0 + 3/5/7/8/9 + 8 digits (10 digits). Landline: 02 + 9 digits (11 digits, area code included).
_MOBILE = re.compile(r"^0[35789]\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")
_PHONE_NOISE = re.compile(r"[\s.\-()]")

FIELDS = {
    # name: (max length, required)
    "recipient_name": (100, True),
    "phone": (20, True),
    "street_address": (200, True),
    "ward": (100, True),
    "district": (100, False),
    "province": (100, True),
}


def normalize_phone(value: str) -> str | None:
    """``+84 912-345-678`` -> ``0912345678``; None when it is not a Vietnamese number."""
    digits = _PHONE_NOISE.sub("", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isdigit():
        return None
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return None


def clean_address(data: dict | None, *, prefix: str = "") -> dict:
    """A validated, normalised address dict (keys as in :data:`FIELDS`, plus ``country``), or a
    ServiceError listing every problem."""
    data = data or {}
    errors: list[FieldError] = []
    cleaned: dict[str, str] = {}
    for name, (max_length, required) in FIELDS.items():
        field = prefix + name
        value = " ".join(str(data.get(name) or "").split())  # trims and collapses whitespace
        if "\x00" in value:
            errors.append(FieldError(CheckoutErrorCode.INVALID, _("This value contains invalid characters."), field))
            continue
        if not value:
            if required:
                errors.append(FieldError(CheckoutErrorCode.REQUIRED, _("This field is required."), field))
            cleaned[name] = ""
            continue
        if len(value) > max_length:
            errors.append(
                FieldError(
                    CheckoutErrorCode.INVALID,
                    _("Ensure this value has at most %(n)d characters.") % {"n": max_length},
                    field,
                )
            )
            continue
        cleaned[name] = value
    if cleaned.get("phone"):
        phone = normalize_phone(cleaned["phone"])
        if phone is None:
            errors.append(
                FieldError(
                    CheckoutErrorCode.INVALID,
                    _("Enter a Vietnamese phone number, e.g. 0912345678 or +84912345678."),
                    prefix + "phone",
                )
            )
        else:
            cleaned["phone"] = phone
    if errors:
        raise ServiceError.many(errors)
    cleaned["country"] = "VN"
    return cleaned
