"""Global IDs in service input: a wrong type or garbage is NOT_FOUND on the field, never a crash."""
from __future__ import annotations

from django.utils.translation import gettext as _
from graphql_relay import from_global_id, to_global_id

from shop.core.errors import ServiceError


def parse_id(global_id, type_name: str, field: str = "id") -> int:
    try:
        kind, pk = from_global_id(str(global_id))
        if kind != type_name:
            raise ValueError
        value = int(pk)
        if value <= 0 or value > 2**63 - 1:
            raise ValueError
        return value
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        raise ServiceError("NOT_FOUND", _("Not found."), field)


def global_id(type_name: str, pk) -> str:
    return to_global_id(type_name, pk)
