"""Global (Relay) IDs: those from clients decoded into database ids for services
(:func:`decode_id`), parsed without an error (:func:`parse_global_id`), and the ``node(id:)`` field."""

from __future__ import annotations

import graphene
from django.utils.translation import gettext as _
from graphene import relay
from graphql_relay import from_global_id

from shop.core.errors import CommonErrorCode, ErrorCode, ServiceError

# How "<type> not found." names each type in the client's language (English: the type's name),
# registered by the apps in AppConfig.ready() with :func:`register_type_labels`: core names none.
TYPE_LABELS: dict[str, str] = {}

MAX_PK = 2**63 - 1


def register_type_labels(**labels) -> None:
    """``TypeName=gettext_lazy("TypeName")``, for each GraphQL type whose ids clients send."""
    TYPE_LABELS.update(labels)


def decode_id(global_id, type_name: str, *, field: str = "id", code: ErrorCode = CommonErrorCode.NOT_FOUND) -> int:
    """The integer id inside a ``type_name`` global ID (read by :func:`parse_global_id`, the one
    parser of our IDs); anything else is a NOT_FOUND error on ``field`` (a malformed ID is answered
    exactly like an unknown one)."""
    parsed = parse_global_id(global_id, type_name)
    if parsed is None:
        raise ServiceError(code, _("%(type)s not found.") % {"type": TYPE_LABELS.get(type_name, type_name)}, field)
    return parsed[1]


def try_decode_id(global_id, type_name: str) -> int | None:
    parsed = parse_global_id(global_id, type_name)
    return parsed[1] if parsed else None


def optional_id(input, name: str, type_name: str) -> int | None:
    """The database id in the optional ID field ``name`` of ``input``: None when it is absent or
    null (``if name in input`` tells the two apart where null means "clear it")."""
    return decode_id(input[name], type_name, field=name) if input.get(name) else None


def decode_ids(global_ids, type_name: str, *, field: str) -> list[int]:
    return [decode_id(g, type_name, field=field) for g in (global_ids or [])]


def parse_global_id(global_id, type_name: str | None = None) -> tuple[str, int] | None:
    """``(type name, primary key)`` of a well-formed global ID of ours, or None: not base64, no
    ``Type:pk``, a key that is not a positive 64-bit integer, or (with ``type_name``) another type."""
    if not isinstance(global_id, str) or not 0 < len(global_id) <= 200:
        return None
    try:
        name, pk = from_global_id(global_id)
    except Exception:  # graphql-relay raises assorted errors on garbage
        return None
    if not name or not pk.isascii() or not pk.isdigit() or not 0 < int(pk) <= MAX_PK:
        return None
    if type_name is not None and name != type_name:
        return None
    return name, int(pk)


def resolve_node(info, global_id, only_type=None):
    """``node(id:)`` that answers null (never an error, never a leak) for anything but an object the
    caller may see: malformed IDs, unknown types, types that are not nodes, another type than
    ``only_type``. Each type's permission-aware ``get_node`` decides visibility."""
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    name, pk = parsed
    schema_type = info.schema.get_type(name)
    graphene_type = getattr(schema_type, "graphene_type", None)
    if graphene_type is None or relay.Node not in getattr(graphene_type._meta, "interfaces", ()):
        return None
    if only_type is not None and graphene_type is not only_type:
        return None
    get_node = getattr(graphene_type, "get_node", None)
    return get_node(info, pk) if get_node else None


def node_field() -> graphene.Field:
    return graphene.Field(
        relay.Node,
        id=graphene.ID(required=True, description="The ID of the object"),
        resolver=lambda root, info, id: resolve_node(info, id),
    )
