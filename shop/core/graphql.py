"""The GraphQL layer's shared pieces for mutations and permissions: ``BaseMutation`` (a service's
errors become payload errors), the ``<Domain>Error`` types and enums of error codes, ``api_field``,
and the permission checks of resolvers (``current_user``, ``require_user``, ``require_staff``).

Its neighbours: connections and cursors in shop/core/pagination.py, scalars in
shop/core/scalars.py, ``Money`` in shop/core/money_type.py, global IDs and ``node`` in
shop/core/ids.py, selected fields in shop/core/lookahead.py."""

from __future__ import annotations

import logging

import graphene
from django.utils.translation import gettext as _
from graphene.utils.str_converters import to_camel_case

from graphql import GraphQLError
from shop.core.errors import ErrorCode, PermissionDenied, ServiceError

logger = logging.getLogger(__name__)


# --- permissions ------------------------------------------------------------------------------


def permission_denied(message: str | None = None) -> GraphQLError:
    if message is None:
        message = _("You do not have permission to perform this action.")
    return GraphQLError(message, extensions={"code": "PERMISSION_DENIED"})


def current_user(info):
    user = getattr(info.context, "user", None)
    return user if user is not None and user.is_authenticated else None


def require_user(info):
    user = current_user(info)
    if user is None:
        raise permission_denied(_("You must be signed in."))
    return user


def require_staff(info):
    user = require_user(info)
    if not user.is_staff:
        raise permission_denied()
    return user


# --- errors and mutations ---------------------------------------------------------------------


def error_codes(enum: type[ErrorCode]) -> type[graphene.Enum]:
    """The schema's enum of a domain's error codes: the Python enum the services raise (one source,
    so a code the services use cannot be missing from the schema)."""
    return graphene.Enum.from_enum(enum, description=f"The codes of `{enum.__name__.removesuffix('Code')}`.")


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
        return {"field": api_field(err.field), "message": err.message, "code": codes._meta.enum[code].value}


def enum_value(value):
    """An enum argument's value (graphene hands over the enum member; a plain value stays as it is)."""
    return getattr(value, "value", value)


def api_field(field: str | None) -> str | None:
    """A service's error field (its argument's snake_case name, or a path such as
    ``lines.2.line_id``) as the API names it (``lines.2.lineId``): services speak Python names, this is
    the one place that turns them into the schema's."""
    if not field:
        return field
    return ".".join(to_camel_case(part) for part in field.split("."))


class RoleCheckedMutation(BaseMutation):
    """Role first (``check_role``: raises PermissionDenied), before any argument is decoded, so that
    a caller without the role gets PERMISSION_DENIED whatever IDs it sends. Ownership of the
    addressed objects is then checked by the services. For mutations that need a role (a designer, staff)."""

    class Meta:
        abstract = True

    @classmethod
    def check_role(cls, user) -> None:
        raise NotImplementedError

    @classmethod
    def mutate(cls, root, info, **kwargs):
        try:
            cls.check_role(current_user(info))
        except PermissionDenied as exc:
            raise permission_denied(str(exc))
        return super().mutate(root, info, **kwargs)
