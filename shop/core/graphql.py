"""Shared GraphQL building blocks: error types, mutation base, connections, scalars, permissions."""
from __future__ import annotations

import base64
import logging
from decimal import Decimal

import graphene
from django.core.files.uploadedfile import UploadedFile
from graphql import GraphQLError
from graphene import relay

from shop.core.errors import PermissionDenied, ServiceError

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100


# --- permissions ------------------------------------------------------------------------------

def permission_denied(message: str = "You do not have permission to perform this action.") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "PERMISSION_DENIED"})


def current_user(info):
    user = getattr(info.context, "user", None)
    return user if user is not None and user.is_authenticated else None


def require_user(info):
    user = current_user(info)
    if user is None:
        raise permission_denied("You must be signed in.")
    return user


def require_staff(info):
    user = require_user(info)
    if not user.is_staff:
        raise permission_denied()
    return user


# --- global IDs -------------------------------------------------------------------------------

MAX_PK = 2**63 - 1


def parse_global_id(global_id, type_name: str | None = None) -> tuple[str, int] | None:
    """``(type name, primary key)`` of a well-formed global ID of ours, or None: not base64, no
    ``Type:pk``, a key that is not a positive 64-bit integer, or (with ``type_name``) another type."""
    from graphql_relay import from_global_id

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


# --- errors and mutations ---------------------------------------------------------------------

def error_type(name: str, codes_enum: type[graphene.Enum]) -> type[graphene.ObjectType]:
    """``<Domain>Error { field, message, code: <Domain>ErrorCode! }`` as API.md prescribes."""
    return type(
        name,
        (graphene.ObjectType,),
        {
            "field": graphene.String(description="The input field the error is about, if any."),
            "message": graphene.String(required=True),
            "code": graphene.Field(codes_enum, required=True),
            "__module__": __name__,
        },
    )


class BaseMutation(graphene.Mutation):
    """Thin mutations: subclasses implement ``perform`` (validate, call a service, return the
    payload). A ServiceError becomes payload errors (nothing was written: services are atomic);
    PermissionDenied becomes a top-level PERMISSION_DENIED error."""

    class Meta:
        abstract = True

    error_codes: type[graphene.Enum]

    @classmethod
    def __init_subclass_with_meta__(cls, name=None, abstract=False, **options):
        if not abstract and name is None:
            name = f"{cls.__name__}Payload"
        super().__init_subclass_with_meta__(name=name, abstract=abstract, **options)

    @classmethod
    def perform(cls, root, info, **kwargs):
        raise NotImplementedError

    @classmethod
    def mutate(cls, root, info, **kwargs):
        try:
            payload = cls.perform(root, info, **kwargs)
        except ServiceError as exc:
            return cls(errors=[cls._error(e) for e in exc.errors])
        except PermissionDenied as exc:
            raise permission_denied(str(exc))
        if getattr(payload, "errors", None) is None:
            payload.errors = []
        return payload

    @classmethod
    def _error(cls, err):
        codes = cls.error_codes
        code = err.code
        if code not in codes._meta.enum.__members__:
            logger.error("error code %s missing from %s", code, codes.__name__)
            code = "INVALID"
        return {"field": err.field, "message": err.message, "code": codes._meta.enum[code].value}


# --- scalars ----------------------------------------------------------------------------------

class Upload(graphene.Scalar):
    """A file part of a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)."""

    @staticmethod
    def serialize(value):
        return None

    @staticmethod
    def parse_literal(node, _variables=None):
        raise GraphQLError("Upload values must be sent as multipart file parts.")

    @staticmethod
    def parse_value(value):
        if isinstance(value, UploadedFile):
            return value
        raise GraphQLError("Upload values must be sent as multipart file parts.")


class Money(graphene.ObjectType):
    amount = graphene.Decimal(required=True, description="Exact amount, serialised as a string.")
    currency = graphene.String(required=True, description="ISO 4217 code; VND has no minor unit.")


# --- connections ------------------------------------------------------------------------------

class CountableConnection(relay.Connection):
    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    def resolve_total_count(root, info):
        return _count(root.iterable)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None, arg: str) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
        kind, _sep, value = raw.partition(":")
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError
        return offset
    except (ValueError, UnicodeError, TypeError):
        raise GraphQLError(f"Invalid cursor in `{arg}`.", extensions={"code": "INVALID_CURSOR"})


def check_page_args(first, last):
    if (first is None) == (last is None):
        raise GraphQLError(
            "Provide exactly one of `first` or `last` (1 to 100).", extensions={"code": "INVALID_PAGINATION"}
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and not (1 <= value <= MAX_PAGE_SIZE):
            raise GraphQLError(f"`{name}` must be between 1 and {MAX_PAGE_SIZE}.", extensions={"code": "INVALID_PAGINATION"})


def _count(items) -> int:
    return len(items) if isinstance(items, list) else items.count()


def paginate(queryset, connection_type, *, first=None, after=None, last=None, before=None):
    """Slice an ordered queryset (or list) into a Relay connection with offset cursors.
    Forward pages never count rows; ``totalCount`` counts only when it is asked for."""
    check_page_args(first, last)
    after_pos = _decode_cursor(after, "after")
    start = after_pos + 1 if after_pos is not None else 0
    end = _decode_cursor(before, "before")
    if first is not None:
        stop = start + first + 1 if end is None else min(start + first + 1, end)
        rows = list(queryset[start:stop])
        has_next = len(rows) > first or (end is not None and start + len(rows) < end and len(rows) == first)
        rows = rows[:first]
        has_previous = start > 0
        offset = start
    else:
        if end is None:
            end = _count(queryset)
        offset = max(start, end - last)
        rows = list(queryset[offset:end]) if end > offset else []
        has_previous = offset > start
        has_next = before is not None
    edge_type = connection_type.Edge
    edges = [edge_type(node=row, cursor=_encode_cursor(offset + i)) for i, row in enumerate(rows)]
    page_info = relay.PageInfo(
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=has_previous,
        has_next_page=has_next,
    )
    connection = connection_type(edges=edges, page_info=page_info)
    connection.iterable = queryset
    return connection


class SortDirection(graphene.Enum):
    ASC = "ASC"
    DESC = "DESC"


def connection_args() -> dict:
    return {
        "first": graphene.Int(description="1 to 100; `first` or `last` is required."),
        "after": graphene.String(),
        "last": graphene.Int(description="1 to 100; `first` or `last` is required."),
        "before": graphene.String(),
    }


def money(amount: Decimal | int, currency: str) -> Money:
    return Money(amount=Decimal(amount), currency=currency)
