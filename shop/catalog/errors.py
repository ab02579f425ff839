"""Error codes of the app's services (shop/core/errors.py): each enum is exposed as the schema's
enum of the same name, and a service raises only its members."""

from __future__ import annotations

from shop.core.errors import ErrorCode


class CatalogErrorCode(ErrorCode):
    # products, variants, media, categories (with the image and file codes)
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    UNIQUE = "UNIQUE"
    NOT_FOUND = "NOT_FOUND"
    NOT_APPROVED = "NOT_APPROVED"
    NO_VARIANTS = "NO_VARIANTS"
    LAST_VARIANT = "LAST_VARIANT"
    HAS_ORDERS = "HAS_ORDERS"
    HAS_CHILDREN = "HAS_CHILDREN"
    LIMIT_REACHED = "LIMIT_REACHED"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    CORRUPT_IMAGE = "CORRUPT_IMAGE"
    TRAILING_DATA = "TRAILING_DATA"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
