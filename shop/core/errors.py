"""Errors that services raise and the API maps.

A :class:`ServiceError` is a user mistake: the mutation turns it into a payload error with a code,
and because services run in a transaction, nothing is written. Its code is a member of an
:class:`ErrorCode` enum: each domain has one (``shop/catalog/errors.py``...), exposed as the
schema's ``<Domain>ErrorCode``; the shared helpers of core raise the codes below. :class:`PermissionDenied` becomes a
top-level GraphQL error with ``extensions.code = "PERMISSION_DENIED"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _


class ErrorCode(StrEnum):
    """The base of every error code enum. A member is its own name (a ``str``): the mutation maps
    it by value into its payload's ``<Domain>ErrorCode`` (tests/architecture/test_error_codes.py
    proves that every code a mutation's services can raise is in that enum)."""


class CommonErrorCode(ErrorCode):
    """What the shared helpers raise (shop.core.validation, ordering, ids, NotFound): every
    domain enum has these."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"


class ImageErrorCode(ErrorCode):
    """The image pipeline's refusals (shop.core.images)."""

    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    CORRUPT_IMAGE = "CORRUPT_IMAGE"
    TRAILING_DATA = "TRAILING_DATA"


class OrderedImageErrorCode(ErrorCode):
    """What the ordered-image service (shop.core.ordered_images) raises besides the common and
    image codes: an owner (product, portfolio item) has all the images it may have."""

    LIMIT_REACHED = "LIMIT_REACHED"


class SlugErrorCode(ErrorCode):
    """What the slug helper (shop.core.text.choose_slug) raises besides the common codes."""

    UNIQUE = "UNIQUE"


class FileErrorCode(ErrorCode):
    """The digital-file checks' refusals (shop.core.files)."""

    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"


@dataclass
class FieldError:
    code: ErrorCode
    message: str
    field: str | None = None


class ServiceError(Exception):
    """One or more user mistakes; carries coded field errors."""

    def __init__(
        self, code: ErrorCode, message: str, field: str | None = None, *, errors: list[FieldError] | None = None
    ):
        self.errors = errors or [FieldError(code=code, message=str(message), field=field)]
        super().__init__(self.errors[0].message)

    @classmethod
    def many(cls, errors: list[FieldError]) -> ServiceError:
        return cls(errors[0].code, errors[0].message, errors[0].field, errors=errors)


class PermissionDenied(Exception):
    code = "PERMISSION_DENIED"

    def __init__(self, message: str | None = None):
        super().__init__(message if message is not None else _("You do not have permission to perform this action."))


class NotFound(ServiceError):
    def __init__(self, message: str | None = None, field: str | None = "id"):
        super().__init__(CommonErrorCode.NOT_FOUND, message if message is not None else _("Not found."), field)
