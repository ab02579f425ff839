"""The HTTP endpoints of core: the GraphQL endpoint and the health check.

The GraphQL view is our own thin view on graphql-core (graphene-django's view answers some bad
requests with HTML and has no hook for multipart uploads): JSON or multipart in, JSON out, always.
Bad requests are 400 with a JSON error; an unexpected exception is a generic error carrying the
request id, never a trace; an unreachable database is a retryable 503.

Before anything executes: the per-address and per-user rate limits (429), the document's size and
token count, graphql-core's standard validation (cached per document), the rate limits of the
top-level fields the operation calls, then our static limits (shop/core/query_limits.py: depth,
aliases, mutations, cost, page sizes, introspection). A successful response reports its cost in
``extensions.cost``. See SECURITY.md.

Its parts: reading the request (shop/core/graphql_request.py), persisted queries
(shop/core/persisted_queries.py), the cached documents and their analyses (shop/core/documents.py),
the answers over HTTP (shop/core/graphql_responses.py) and the errors in them
(shop/core/graphql_errors.py).
"""

from __future__ import annotations

import logging

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from graphql.error import GraphQLSyntaxError

from graphql import OperationType, execute, get_operation_ast
from shop.core import hooks, ratelimit, readcache
from shop.core.documents import analyze_operation, document_hash, parse_and_validate, project_schema
from shop.core.execution import FastExecutionContext
from shop.core.graphql_errors import DATABASE_DOWN, format_error
from shop.core.graphql_request import BadRequest, bad_characters, has_bad_characters, loads_json, parse_body
from shop.core.graphql_responses import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    RETRY_AFTER_SECONDS,
    error_response,
    graphql_error_status,
    internal_error_response,
    negotiate,
    private,
    public_response,
    rate_limited_response,
    service_unavailable_response,
)
from shop.core.persisted_queries import persisted_query, register_persisted
from shop.core.request_id import get_request_id

logger = logging.getLogger("shop.graphql")


def health(_request):
    return JsonResponse({"status": "ok"})


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(View):
    http_method_names = ["get", "post", "options"]
    # A graphql-core schema; None serves the project's (shop/schema.py).
    schema = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.graphql_media = negotiate(request)
        response = self._dispatch(request, *args, **kwargs)
        if request.graphql_media == GRAPHQL_RESPONSE_JSON and response.get("Content-Type", "").startswith(JSON):
            response["Content-Type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        patch_vary_headers(response, ["Accept"])
        return response

    def _dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            if request.method == "GET" and self._wants_html(request):
                if settings.GRAPHIQL_ENABLED:
                    return self._graphiql(request)
                return error_response(_("GraphiQL is disabled."), "NOT_FOUND", 404)
            if request.method not in ("GET", "POST"):
                response = error_response(_("Use GET or POST."), "METHOD_NOT_ALLOWED", 405)
                response["Allow"] = "GET, POST"
                return response
            response = self._handle(request)
            if "Cache-Control" not in response:
                response["Cache-Control"] = "private, no-store"
            return response
        except BadRequest as exc:
            status = graphql_error_status(request, exc.status) if exc.graphql else exc.status
            response = error_response(str(exc), exc.code, status)
            if exc.status == 405:
                response["Allow"] = "POST"
            return response
        except ratelimit.RateLimited as exc:
            return rate_limited_response(exc)
        except DATABASE_DOWN as exc:
            logger.warning("database unavailable (request %s): %s", get_request_id(), exc)
            return service_unavailable_response()
        except Exception:
            logger.exception("unexpected error in GraphQL view (request %s)", get_request_id())
            return internal_error_response()

    # --- GraphiQL, for a browser ------------------------------------------------------------------

    @staticmethod
    def _wants_html(request) -> bool:
        accept = request.headers.get("Accept", "")
        return "text/html" in accept and "raw" not in request.GET

    def _graphiql(self, request):
        from graphene_django.views import GraphQLView as GrapheneView

        return GrapheneView.as_view(graphiql=True)(request)

    # --- execution ----------------------------------------------------------------------------

    def _authenticate(self, request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            from django.contrib.auth.models import AnonymousUser

            request.user = AnonymousUser()
            return
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BadRequest(_("Use `Authorization: Bearer <access token>`."), 401, "INVALID_TOKEN")
        user = hooks.bearer_user.one()(token.strip())
        if user is None:
            raise BadRequest(_("The access token is invalid or expired."), 401, "INVALID_TOKEN")
        request.user = user

    def _handle(self, request) -> HttpResponse:
        ratelimit.check_request(request)
        data = parse_body(request)
        query = data.get("query")
        variables = data.get("variables")
        operation_name = data.get("operationName")
        if operation_name == "":
            operation_name = None
        extensions = data.get("extensions")
        if isinstance(extensions, str):
            extensions = loads_json(extensions, _("`extensions` is not valid JSON.")) if extensions else None
        register = None
        if extensions is not None and not isinstance(extensions, dict):
            raise BadRequest(_("`extensions` must be an object."))
        if extensions is not None:
            query, answer, register = persisted_query(query, extensions)
            if answer is not None:
                return answer
        if not isinstance(query, str) or not query.strip():
            raise BadRequest(_("Provide a `query` string."), code="QUERY_REQUIRED")
        if (
            len(query) > settings.GRAPHQL_MAX_QUERY_BYTES
            or len(query.encode("utf-8", "surrogatepass")) > settings.GRAPHQL_MAX_QUERY_BYTES
        ):
            raise BadRequest(
                _("The query document is larger than %(n)d bytes.") % {"n": settings.GRAPHQL_MAX_QUERY_BYTES},
                code="QUERY_TOO_LARGE",
                graphql=True,
            )
        if isinstance(variables, str):
            variables = loads_json(variables, _("`variables` is not valid JSON.")) if variables else None
        if variables is not None and not isinstance(variables, dict):
            raise BadRequest(_("`variables` must be an object."))
        if operation_name is not None and not isinstance(operation_name, str):
            raise BadRequest(_("`operationName` must be a string."))
        # PostgreSQL cannot store U+0000 and nothing can encode a lone surrogate: refuse both in any
        # string up front (document, variables, operation name) rather than fail deep inside.
        if has_bad_characters(query) or has_bad_characters(operation_name) or has_bad_characters(variables):
            raise bad_characters()

        self._authenticate(request)
        if request.user.is_authenticated:
            ratelimit.hit("user", f"user:{request.user.pk}")

        schema = self.schema or project_schema()
        try:
            document, validation_errors, has_nul = parse_and_validate(query, self.schema, settings.GRAPHQL_MAX_TOKENS)
        except GraphQLSyntaxError as exc:
            return JsonResponse({"errors": [format_error(exc)]}, status=graphql_error_status(request))
        if validation_errors:
            return JsonResponse(
                {"errors": [format_error(e, "GRAPHQL_VALIDATION_FAILED", user_error=True) for e in validation_errors]},
                status=graphql_error_status(request),
            )

        if has_nul:
            raise bad_characters()

        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise BadRequest(_("Could not determine which operation to run; check `operationName`."), graphql=True)
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise BadRequest(_("Only queries may be sent with GET."), 405, "METHOD_NOT_ALLOWED")

        analysis = analyze_operation(schema, document, operation, variables)
        # Charged before the limits are judged: an abusive document still pays for what it asked.
        ratelimit.check_fields(request, analysis.root_fields, user=request.user)
        if analysis.errors:
            return JsonResponse(
                {"errors": [format_error(e) for e in analysis.errors]}, status=graphql_error_status(request)
            )
        if register is not None:
            register_persisted(register, query)

        # The anonymous-read cache (shop/core/readcache.py): public storefront reads only.
        found = None
        if (
            self.schema is None
            and readcache.enabled()
            and not request.user.is_authenticated
            and "HTTP_AUTHORIZATION" not in request.META
            and operation.operation == OperationType.QUERY
            and analysis.root_fields
            and readcache.cacheable_root_fields(analysis.root_fields)
        ):
            found = readcache.lookup(
                readcache.entry_key(
                    document_hash=document_hash(query),
                    variables=variables,
                    operation_name=operation.name.value if operation.name else None,
                    language=getattr(request, "LANGUAGE_CODE", ""),
                    base=request.build_absolute_uri("/"),
                )
            )
            if found is not None and found.hit is not None:
                return public_response(request, found.hit.body, found.hit.etag, "HIT")
            request._read_dependencies = readcache.Dependencies() if found is not None else None

        result = execute(
            schema,
            document,
            context_value=request,
            variable_values=variables,
            operation_name=operation_name,
            execution_context_class=FastExecutionContext,
        )
        response: dict = {}
        status = 200
        coercion = False
        if result.errors:
            coercion = result.data is None and all(not e.path for e in result.errors)
            response["errors"] = [format_error(e, user_error=coercion) for e in result.errors]
            if coercion:
                status = graphql_error_status(request)  # variables did not coerce, nothing executed
            if any(isinstance(e.original_error, DATABASE_DOWN) for e in result.errors):
                status = 503
        if not coercion:
            response["data"] = result.data
            if status == 200:
                response["extensions"] = {"cost": analysis.cost, "costLimit": settings.GRAPHQL_MAX_COST}
        body = orjson.dumps(response)
        dependencies = getattr(request, "_read_dependencies", None)
        if found is not None and dependencies is not None and status == 200 and not result.errors:
            # Lists and searches (as registered) and "not found" answers change whenever anything
            # is published.
            dependencies.keys.update(readcache.root_field_keys(analysis.root_fields))
            if None in (result.data or {}).values():
                dependencies.keys.add(readcache.LISTING)
            etag = readcache.store(found, body, dependencies)
            if etag is not None:
                return public_response(request, body, etag, "MISS")
        response = private(HttpResponse(body, status=status, content_type="application/json"))
        if status == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
