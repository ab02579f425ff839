"""Error codes of the app's services (shop/core/errors.py): each enum is exposed as the schema's
enum of the same name, and a service raises only its members."""

from __future__ import annotations

from shop.core.errors import ErrorCode


class OrderErrorCode(ErrorCode):
    # the order lifecycle (INSUFFICIENT_STOCK: stock taken when a purchase is placed)
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    NOT_SHIPPED = "NOT_SHIPPED"  # cash on delivery: collected or refused before it was shipped


class ExportErrorCode(ErrorCode):
    # ordersExport, salesExport (with the period codes of designers.errors.SalesErrorCode)
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    INVALID_PERIOD = "INVALID_PERIOD"
    PERIOD_TOO_LONG = "PERIOD_TOO_LONG"
