"""How a GraphQL error is shown to the client (:func:`format_error`): GraphQL's own errors and ours
with their code, graphql-core's "Did you mean" suggestions stripped, an unreachable database as a
retryable SERVICE_UNAVAILABLE, anything unexpected as a generic INTERNAL_ERROR carrying the
request id (logged with its trace, never shown)."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.utils.translation import gettext as _
from graphql.error import GraphQLSyntaxError

from graphql import GraphQLError
from shop.core.errors import PermissionDenied
from shop.core.request_id import get_request_id

logger = logging.getLogger("shop.graphql")

# The database could not be reached (restarting, failing over, out of connections): the request is
# answered at once with a retryable 503, never a hang and never an INTERNAL_ERROR.
DATABASE_DOWN = (DatabaseOperationalError, DatabaseInterfaceError)

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?", re.DOTALL)
_SYNTAX_LIMITS = (
    (re.compile(r"Document contains more than \d+ (tokens|comments)"), "TOO_MANY_TOKENS"),
    (re.compile(r"Document is nested too deeply"), "QUERY_TOO_DEEP"),
)


def strip_suggestions(message: str) -> str:
    """graphql-core suggests names of fields, arguments, types and enum values that exist
    ("Did you mean …?"): a map of the schema for whoever probes it. Off unless DEBUG."""
    if settings.GRAPHQL_FIELD_SUGGESTIONS:
        return message
    return _SUGGESTION.sub("", message)


def service_unavailable_error() -> dict:
    return {
        "message": _("The service is briefly unavailable. Please try again in a moment."),
        "extensions": {"code": "SERVICE_UNAVAILABLE", "retryable": True, "requestId": get_request_id()},
    }


def format_error(error: GraphQLError, default_code: str = "GRAPHQL_ERROR", *, user_error: bool = False) -> dict:
    """``user_error``: the error is about what the client sent (validation, variable coercion), even
    when a scalar raised while reading it (a bad UUID literal): its message is shown, never masked."""
    original = error.original_error
    if isinstance(original, DATABASE_DOWN):
        logger.warning("database unavailable (request %s): %s", get_request_id(), original)
        return {**service_unavailable_error(), "locations": error.formatted.get("locations"), "path": error.path}
    if original is None or isinstance(original, GraphQLError) or user_error:
        formatted = error.formatted
        formatted["message"] = strip_suggestions(formatted["message"])
        extensions = formatted.setdefault("extensions", {})
        source_ext = (original.extensions if isinstance(original, GraphQLError) else None) or {}
        extensions.update(source_ext)
        if isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
            for pattern, limit_code in _SYNTAX_LIMITS:
                if pattern.search(error.message):
                    code = limit_code
            extensions["code"] = code
        extensions.setdefault("code", default_code)
        return formatted
    if isinstance(original, PermissionDenied):
        formatted = error.formatted
        formatted["message"] = str(original)
        formatted["extensions"] = {"code": "PERMISSION_DENIED"}
        return formatted
    logger.error(
        "unexpected error in GraphQL execution (request %s)",
        get_request_id(),
        exc_info=(type(original), original, original.__traceback__),
    )
    return {
        "message": _("Internal server error."),
        "locations": error.formatted.get("locations"),
        "path": error.path,
        "extensions": {"code": "INTERNAL_ERROR", "requestId": get_request_id()},
    }
