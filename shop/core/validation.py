"""Small input checks shared by services; each raises a coded ServiceError."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from shop.core.errors import CommonErrorCode, FieldError, ServiceError


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(CommonErrorCode.REQUIRED, _("This field is required."), field)
    if len(value) > max_length:
        raise ServiceError(
            CommonErrorCode.INVALID, _("Ensure this value has at most %(n)d characters.") % {"n": max_length}, field
        )
    if "\x00" in value:
        raise ServiceError(CommonErrorCode.INVALID, _("This value contains invalid characters."), field)
    return value


def canonical_email(value: str | None) -> str:
    """The one form of an email address that is stored, looked up, throttled and compared: trimmed,
    Unicode-normalised (NFKC: fullwidth letters, the Kelvin sign, ligatures...) and case-folded, so
    that two spellings of one address are one account and one lock key. Never compare emails with
    ``iexact`` (PostgreSQL's UPPER folds a dotless ı into I) or ``lower()``."""
    value = unicodedata.normalize("NFKC", (value or "").strip())
    return unicodedata.normalize("NFKC", value.casefold())


def clean_email(value: str | None, *, field: str = "email") -> str:
    value = canonical_email(value)
    if not value:
        raise ServiceError(CommonErrorCode.REQUIRED, _("This field is required."), field)
    if len(value) > 254:
        raise ServiceError(CommonErrorCode.INVALID, _("Enter a valid email address."), field)
    try:
        EmailValidator()(value)
    except ValidationError:
        raise ServiceError(CommonErrorCode.INVALID, _("Enter a valid email address."), field)
    return value


def clean_links(values: list[str] | None, *, field: str = "links", max_items: int = 10) -> list[str]:
    values = [v.strip() for v in (values or []) if v and v.strip()]
    if len(values) > max_items:
        raise ServiceError(CommonErrorCode.INVALID, _("At most %(n)d links.") % {"n": max_items}, field)
    errors = []
    for value in values:
        parsed = urlparse(value)
        if len(value) > 300 or parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors.append(FieldError(CommonErrorCode.INVALID, _("Enter valid http(s) links."), field))
            break
    if errors:
        raise ServiceError.many(errors)
    return values
