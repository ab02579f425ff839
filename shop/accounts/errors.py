"""Error codes of the app's services (shop/core/errors.py): each enum is exposed as the schema's
enum of the same name, and a service raises only its members."""

from __future__ import annotations

from shop.core.errors import ErrorCode


class AccountErrorCode(ErrorCode):
    # accountRegister, tokenCreate, passwords...
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    UNIQUE = "UNIQUE"
    NOT_FOUND = "NOT_FOUND"
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"
    INVALID_PASSWORD = "INVALID_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
