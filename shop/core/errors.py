"""Errors that services raise and the API maps.

A :class:`ServiceError` is a user mistake: the mutation turns it into a payload error with a code,
and because services run in a transaction, nothing is written. :class:`PermissionDenied` becomes a
top-level GraphQL error with ``extensions.code = "PERMISSION_DENIED"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass
class FieldError:
    code: str
    message: str
    field: str | None = None


class ServiceError(Exception):
    """One or more user mistakes; carries coded field errors."""

    def __init__(self, code: str, message: str, field: str | None = None, *, errors: list[FieldError] | None = None):
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
        super().__init__("NOT_FOUND", message if message is not None else _("Not found."), field)
