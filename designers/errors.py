"""Error codes of the app's services (shop/core/errors.py): each enum is exposed as the schema's
enum of the same name, and a service raises only its members."""

from __future__ import annotations

from shop.core.errors import ErrorCode


class DesignerErrorCode(ErrorCode):
    # applications, profiles, staff decisions
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    UNIQUE = "UNIQUE"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_APPLIED = "ALREADY_APPLIED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    SELF_DECISION = "SELF_DECISION"
    NOT_APPROVED = "NOT_APPROVED"


class PortfolioErrorCode(ErrorCode):
    # portfolio items and images (with the image codes)
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    LIMIT_REACHED = "LIMIT_REACHED"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    CORRUPT_IMAGE = "CORRUPT_IMAGE"
    TRAILING_DATA = "TRAILING_DATA"


class SalesErrorCode(ErrorCode):
    # periods of sales, stats and exports (designers.sales_selectors.check_period)
    INVALID_PERIOD = "INVALID_PERIOD"
    PERIOD_TOO_LONG = "PERIOD_TOO_LONG"


class ProductViewErrorCode(ErrorCode):
    # productViewRecord
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
