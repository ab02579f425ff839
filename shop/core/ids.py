"""Global (Relay) IDs from clients, decoded into database ids for services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from graphql_relay import from_global_id

from shop.core.errors import CommonErrorCode, ErrorCode, ServiceError

# How "<type> not found." names each type in the client's language (English: the type's name),
# registered by the apps in AppConfig.ready() with :func:`register_type_labels`: core names none.
TYPE_LABELS: dict[str, str] = {}


def register_type_labels(**labels) -> None:
    """``TypeName=gettext_lazy("TypeName")``, for each GraphQL type whose ids clients send."""
    TYPE_LABELS.update(labels)


def decode_id(global_id, type_name: str, *, field: str = "id", code: ErrorCode = CommonErrorCode.NOT_FOUND) -> int:
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
