"""The GraphQL endpoint.

Our own thin view on graphql-core (graphene-django's view answers some bad requests with HTML and
has no hook for multipart uploads): JSON or multipart in, JSON out, always. Bad requests are 400 with
a JSON error; an unexpected exception is a generic error carrying the request id, never a trace.

Before anything executes: the per-address and per-user rate limits (429), the document's size and
token count, graphql-core's standard validation (cached per document), the rate limits of the
top-level fields the operation calls, then our static limits (shop/core/query_limits.py: depth,
aliases, mutations, cost, page sizes, introspection). A successful response reports its cost in
``extensions.cost``. See SECURITY.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from functools import lru_cache

import orjson
from django.conf import settings
from django.core.cache import caches
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphql.error import GraphQLSyntaxError

from graphql import BREAK, GraphQLError, OperationType, Visitor, execute, get_operation_ast, parse, validate, visit
from shop.core import hooks, ratelimit, readcache
from shop.core.errors import PermissionDenied
from shop.core.execution import FastExecutionContext
from shop.core.query_limits import Limits, analyze
from shop.core.request_id import get_request_id

logger = logging.getLogger("shop.graphql")

MAX_BODY_BYTES = 2 * 1024 * 1024


class BadRequest(Exception):
    """``graphql``: a refusal of a well-formed request by GraphQL's rules or our query limits (not a
    malformed request): 200 when the client accepts application/json (the GraphQL-over-HTTP spec),
    ``status`` otherwise."""

    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST", *, graphql: bool = False):
        self.graphql = graphql
        super().__init__(message)
        self.status = status
        self.code = code


# --- the response's media type (GraphQL over HTTP) -----------------------------------------------

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def negotiate(request) -> str | None:
    """The media type of the answer, from ``Accept``: ``application/graphql-response+json`` when the
    client ranks it at least as high as ``application/json`` (and ``*/*``), else ``application/json``.
    None without an ``Accept`` header: the legacy answer (application/json with 4xx statuses)."""
    accept = request.headers.get("Accept", "").strip()
    if not accept:
        return None
    ranks = {GRAPHQL_RESPONSE_JSON: 0.0, JSON: 0.0, "*": 0.0}
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        key = media if media in (GRAPHQL_RESPONSE_JSON, JSON) else "*" if media in ("*/*", "application/*") else None
        if key is not None:
            ranks[key] = max(ranks[key], q)
    if ranks[GRAPHQL_RESPONSE_JSON] > 0 and ranks[GRAPHQL_RESPONSE_JSON] >= max(ranks[JSON], ranks["*"]):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def graphql_error_status(request, status: int = 400) -> int:
    """The status of a well-formed request that GraphQL (parse, validation, variable coercion) or our
    query limits refused: 200 for application/json, as the spec says; ``status`` otherwise."""
    return 200 if getattr(request, "graphql_media", None) == JSON else status


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _public_response(request, body: bytes, etag: str, cache_status: str) -> HttpResponse:
    """A shareable answer (anonymous, public storefront data): with its ETag, a CDN or browser
    may keep it (GRAPHQL_CDN_MAX_AGE seconds, 0 by default: revalidate every time, answered with
    304 when nothing changed). ``Vary: Authorization``: never served to a signed-in request."""
    if request.method == "GET" and etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    max_age = settings.GRAPHQL_CDN_MAX_AGE
    response["Cache-Control"] = f"public, max-age={max_age}" + (", must-revalidate" if max_age == 0 else "")
    response["X-Cache"] = cache_status
    patch_vary_headers(response, ["Authorization"])
    return response


def json_response(data: dict, status: int = 200) -> HttpResponse:
    """JSON with orjson: several times faster than ``json`` on a large result (everything in a
    GraphQL result is already serialised to JSON types by the scalars)."""
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def _error_response(message: str, code: str, status: int, **extensions) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}, status=status)


def _rate_limited_response(exc: ratelimit.RateLimited) -> JsonResponse:
    response = _error_response(
        _("Too many requests; try again in %(s)d seconds.") % {"s": exc.retry_after},
        "RATE_LIMITED",
        429,
        retryAfter=exc.retry_after,
        bucket=exc.bucket,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@lru_cache(maxsize=1)
def _project_schema():
    # The project's schema, named by settings (GRAPHENE["SCHEMA"]): core imports no app's types.
    return graphene_settings.SCHEMA.graphql_schema


def _schema():
    return _project_schema()


@lru_cache(maxsize=512)
def _parse_and_validate(query: str, schema=None, max_tokens: int = 1000):
    """Parsed document and its standard validation errors, cached by the document text."""
    document = parse(query, max_lexical_tokens=max_tokens, max_comments=max_tokens)
    errors = validate(schema or _schema(), document)
    finder = _NulFinder()
    visit(document, finder)
    return document, tuple(errors), finder.found


@lru_cache(maxsize=1024)
def _document_hash(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


_analyses: OrderedDict = OrderedDict()
_analyses_lock = threading.Lock()


def _analyze(schema, document, operation, variables: dict | None):
    """The static limits of an operation (shop.core.query_limits), computed once per document,
    operation, set of Int variables and limits: Ints are the only variables the analysis reads
    (page sizes), so a product page asked for 500 slugs is analysed once. Its error messages are
    in the request's language, which is part of the key."""
    ints = tuple(sorted((k, v) for k, v in (variables or {}).items() if type(v) is int))
    limits = Limits.from_settings()
    key = (id(document), id(operation), ints, id(schema), limits, translation.get_language())
    with _analyses_lock:
        cached = _analyses.get(key)
        if cached is not None and cached[0] is document:
            _analyses.move_to_end(key)
            return cached[1]
    analysis = analyze(schema, document, operation, variables, limits)
    with _analyses_lock:
        _analyses[key] = (document, analysis)  # the document is kept so that its id stays unique
        while len(_analyses) > 2048:
            _analyses.popitem(last=False)
    return analysis


# --- persisted queries (Apollo's automatic persisted queries) -------------------------------------

PERSISTED_PREFIX = "pq:"
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


@lru_cache(maxsize=1)
def known_operations() -> dict[str, str]:
    """The operations shipped in graphql/operations/, by the sha256 of their text: always known."""
    root = settings.BASE_DIR / "graphql" / "operations"
    return {_document_hash(p.read_text()): p.read_text() for p in sorted(root.glob("*/*.graphql"))}


def _wants_registration(query, extensions) -> str | None:
    """The sha256 under which a sent document asks to be registered (APQ), if any."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if not isinstance(persisted, dict) or not isinstance(query, str) or not query:
        return None
    digest = str(persisted.get("sha256Hash", ""))
    if settings.GRAPHQL_PERSISTED_QUERIES != "apq" or digest in known_operations():
        return None
    return digest


def _register_persisted(digest: str, query: str) -> None:
    """Keep a checked document for a day under its hash. The store is capped: at most
    GRAPHQL_PERSISTED_QUERIES_MAX new documents a day (counted in the same cache); past that a
    document is answered but not kept, and the client keeps sending it in full."""
    cache = caches[settings.GRAPHQL_READ_CACHE_ALIAS]
    try:
        if cache.get(PERSISTED_PREFIX + digest) is not None:
            return
        day_key = f"{PERSISTED_PREFIX}count:{int(time.time() // 86400)}"
        cache.add(day_key, 0, timeout=86400)
        if cache.incr(day_key) > settings.GRAPHQL_PERSISTED_QUERIES_MAX:
            logger.warning("persisted query store full for today: %s not kept", digest)
            return
        cache.set(PERSISTED_PREFIX + digest, query, timeout=86400)
    except Exception:
        logger.warning("could not register a persisted query", exc_info=True)


def _persisted_query(query, extensions) -> tuple[str | None, JsonResponse | None]:
    """The document a request names by its sha256 (``extensions.persistedQuery``), registering a
    new one when the request also sends it (unless GRAPHQL_PERSISTED_QUERIES=known: then only the
    shipped operations are known). Returns (query, None) or (None, an answer for the client)."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return query, None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not _HASH_RE.match(str(persisted.get("sha256Hash", "")))
    ):
        raise BadRequest(
            _("`extensions.persistedQuery` needs `version: 1` and a `sha256Hash` (64 hex digits)."),
            code="PERSISTED_QUERY_INVALID",
        )
    digest = persisted["sha256Hash"]
    mode = settings.GRAPHQL_PERSISTED_QUERIES
    if isinstance(query, str) and query:
        if _document_hash(query) != digest:
            raise BadRequest(_("The query does not match its `sha256Hash`."), code="PERSISTED_QUERY_HASH_MISMATCH")
        # Registered only once the document has parsed, validated and passed every limit
        # (_register_persisted, called by the view): never any text before it parses (issue 13,
        # finding 4).
        return query, None
    found = known_operations().get(digest)
    if found is None and mode == "apq":
        try:
            found = caches[settings.GRAPHQL_READ_CACHE_ALIAS].get(PERSISTED_PREFIX + digest)
        except Exception:
            logger.warning("could not read a persisted query", exc_info=True)
    if found is None:
        # What Apollo clients expect (HTTP 200), so that they send the document with its hash.
        return None, _error_response("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200)
    return found, None


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node, *_args):
        if _BAD_CHARACTERS.search(node.value):  # written as escapes in the document
            self.found = True
            return BREAK
        return None


# JSON nested deeper than this is refused (Python's parser overflows its stack at ~100,000 levels; no
# GraphQL input of ours is nested more than a few levels).
MAX_JSON_DEPTH = 64
# NUL (PostgreSQL cannot store it) and lone UTF-16 surrogates (not Unicode text: no encoder, orjson
# included, can write them back) are refused in every string a client sends.
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def loads_json(text: str | bytes, invalid: str):
    """Parse a client's JSON (a body, `variables`, `extensions`, a multipart field): invalid or too
    deeply nested JSON is a 400 BAD_REQUEST (``invalid``: the message), never a RecursionError (issue 13, finding 9)."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest(invalid)
    if _too_deep(value, 0):
        raise BadRequest(_("The JSON of the request is nested too deeply."))
    return value


def _too_deep(value, depth: int) -> bool:
    if depth > MAX_JSON_DEPTH:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, depth + 1) for v in value)
    return False


def _has_bad_characters(value) -> bool:
    """NUL or a lone surrogate anywhere in ``value`` (a string, or JSON already limited in depth)."""
    if isinstance(value, str):
        return _BAD_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(_has_bad_characters(k) or _has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bad_characters(v) for v in value)
    return False


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


# The database could not be reached (restarting, failing over, out of connections): the request is
# answered at once with a retryable 503, never a hang and never an INTERNAL_ERROR.
DATABASE_DOWN = (DatabaseOperationalError, DatabaseInterfaceError)
RETRY_AFTER_SECONDS = 2


def _service_unavailable_error() -> dict:
    return {
        "message": _("The service is briefly unavailable. Please try again in a moment."),
        "extensions": {"code": "SERVICE_UNAVAILABLE", "retryable": True, "requestId": get_request_id()},
    }


def _service_unavailable_response() -> HttpResponse:
    response = JsonResponse({"errors": [_service_unavailable_error()]}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def format_error(error: GraphQLError, default_code: str = "GRAPHQL_ERROR", *, user_error: bool = False) -> dict:
    """``user_error``: the error is about what the client sent (validation, variable coercion), even
    when a scalar raised while reading it (a bad UUID literal): its message is shown, never masked."""
    original = error.original_error
    if isinstance(original, DATABASE_DOWN):
        logger.warning("database unavailable (request %s): %s", get_request_id(), original)
        return {**_service_unavailable_error(), "locations": error.formatted.get("locations"), "path": error.path}
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
                return _error_response(_("GraphiQL is disabled."), "NOT_FOUND", 404)
            if request.method not in ("GET", "POST"):
                response = _error_response(_("Use GET or POST."), "METHOD_NOT_ALLOWED", 405)
                response["Allow"] = "GET, POST"
                return response
            response = self._handle(request)
            if "Cache-Control" not in response:
                response["Cache-Control"] = "private, no-store"
            return response
        except BadRequest as exc:
            status = graphql_error_status(request, exc.status) if exc.graphql else exc.status
            response = _error_response(str(exc), exc.code, status)
            if exc.status == 405:
                response["Allow"] = "POST"
            return response
        except ratelimit.RateLimited as exc:
            return _rate_limited_response(exc)
        except DATABASE_DOWN as exc:
            logger.warning("database unavailable (request %s): %s", get_request_id(), exc)
            return _service_unavailable_response()
        except Exception:
            logger.exception("unexpected error in GraphQL view (request %s)", get_request_id())
            return JsonResponse(
                {
                    "errors": [
                        {
                            "message": _("Internal server error."),
                            "extensions": {"code": "INTERNAL_ERROR", "requestId": get_request_id()},
                        }
                    ]
                },
                status=500,
            )

    # --- request parsing ----------------------------------------------------------------------

    @staticmethod
    def _wants_html(request) -> bool:
        accept = request.headers.get("Accept", "")
        return "text/html" in accept and "raw" not in request.GET

    def _graphiql(self, request):
        from graphene_django.views import GraphQLView as GrapheneView

        return GrapheneView.as_view(graphiql=True)(request)

    def _parse_body(self, request) -> dict:
        if request.method == "GET":
            return {
                "query": request.GET.get("query"),
                "variables": request.GET.get("variables"),
                "operationName": request.GET.get("operationName"),
                "extensions": request.GET.get("extensions"),
            }
        content_type = (request.content_type or "").lower()
        if content_type == "multipart/form-data":
            return self._parse_multipart(request)
        if content_type in ("application/json", "application/graphql-response+json", ""):
            try:
                body = request.body
            except Exception:
                raise BadRequest(_("The request body is too large."), 413, "REQUEST_TOO_LARGE")
            data = loads_json(body, _("The request body is not valid JSON."))
            if isinstance(data, list):
                raise BadRequest(
                    _("Batched operations are not supported; send one operation per request."),
                    code="BATCH_NOT_SUPPORTED",
                )
            if not isinstance(data, dict):
                raise BadRequest(_("The request body must be a JSON object."))
            return data
        if content_type == "application/graphql":
            return {"query": request.body.decode("utf-8", errors="replace")}
        raise BadRequest(_("Unsupported content type."), 415, "UNSUPPORTED_MEDIA_TYPE")

    def _parse_multipart(self, request) -> dict:
        try:
            operations = json.loads(request.POST.get("operations", ""))
            file_map = json.loads(request.POST.get("map", "{}"))
            if _too_deep(operations, 0) or _too_deep(file_map, 0):
                raise ValueError("nested too deeply")
        except (ValueError, RecursionError):
            raise BadRequest(
                _("Multipart requests need `operations` and `map` fields holding JSON."), code="INVALID_MULTIPART"
            )
        except Exception:
            raise BadRequest(_("The multipart request could not be read."), code="INVALID_MULTIPART")
        if isinstance(operations, list):
            raise BadRequest(
                _("Batched operations are not supported; send one operation per request."), code="BATCH_NOT_SUPPORTED"
            )
        if not isinstance(operations, dict) or not isinstance(file_map, dict):
            raise BadRequest(_("`operations` must be an object and `map` an object."), code="INVALID_MULTIPART")
        if len(file_map) > 10:
            raise BadRequest(_("At most 10 files per request."), code="INVALID_MULTIPART")
        for key, paths in file_map.items():
            upload = request.FILES.get(key)
            if upload is None:
                raise BadRequest(
                    _("File part `%(key)s` named in `map` is missing.") % {"key": key}, code="INVALID_MULTIPART"
                )
            if not isinstance(paths, list) or not paths:
                raise BadRequest(_("Each `map` entry must be a non-empty list of paths."), code="INVALID_MULTIPART")
            for path in paths:
                self._place_file(operations, path, upload)
        return operations

    @staticmethod
    def _place_file(operations: dict, path, upload) -> None:
        if not isinstance(path, str) or not path.startswith("variables."):
            raise BadRequest(_("File paths in `map` must start with `variables.`."), code="INVALID_MULTIPART")
        parts = path.split(".")
        target = operations
        try:
            for part in parts[:-1]:
                target = target[int(part)] if isinstance(target, list) else target[part]
            last = parts[-1]
            if isinstance(target, list):
                target[int(last)] = upload
            elif isinstance(target, dict) and last in target:
                target[last] = upload
            else:
                raise KeyError(last)
        except (KeyError, IndexError, ValueError, TypeError):
            raise BadRequest(
                _("`map` path `%(path)s` does not match a variable.") % {"path": path}, code="INVALID_MULTIPART"
            )

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
        data = self._parse_body(request)
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
            register = _wants_registration(query, extensions)
            query, answer = _persisted_query(query, extensions)
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
        if _BAD_CHARACTERS.search(query) or _has_bad_characters(operation_name) or _has_bad_characters(variables):
            raise BadRequest(
                _("Strings may not contain the NUL character (U+0000) or unpaired surrogates."),
                code="INVALID_CHARACTERS",
                graphql=True,
            )

        self._authenticate(request)
        if request.user.is_authenticated:
            ratelimit.hit("user", f"user:{request.user.pk}")

        schema = self.schema or _schema()
        try:
            document, validation_errors, has_nul = _parse_and_validate(query, self.schema, settings.GRAPHQL_MAX_TOKENS)
        except GraphQLSyntaxError as exc:
            return JsonResponse({"errors": [format_error(exc)]}, status=graphql_error_status(request))
        if validation_errors:
            return JsonResponse(
                {"errors": [format_error(e, "GRAPHQL_VALIDATION_FAILED", user_error=True) for e in validation_errors]},
                status=graphql_error_status(request),
            )

        if has_nul:
            raise BadRequest(
                _("Strings may not contain the NUL character (U+0000) or unpaired surrogates."),
                code="INVALID_CHARACTERS",
                graphql=True,
            )

        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise BadRequest(_("Could not determine which operation to run; check `operationName`."), graphql=True)
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise BadRequest(_("Only queries may be sent with GET."), 405, "METHOD_NOT_ALLOWED")

        analysis = _analyze(schema, document, operation, variables)
        # Charged before the limits are judged: an abusive document still pays for what it asked.
        ratelimit.check_fields(request, analysis.root_fields, user=request.user)
        if analysis.errors:
            return JsonResponse(
                {"errors": [format_error(e) for e in analysis.errors]}, status=graphql_error_status(request)
            )
        if register is not None:
            _register_persisted(register, query)

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
                    document_hash=_document_hash(query),
                    variables=variables,
                    operation_name=operation.name.value if operation.name else None,
                    language=getattr(request, "LANGUAGE_CODE", ""),
                    base=request.build_absolute_uri("/"),
                )
            )
            if found is not None and found.hit is not None:
                return _public_response(request, found.hit.body, found.hit.etag, "HIT")
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
                return _public_response(request, body, etag, "MISS")
        response = _private(HttpResponse(body, status=status, content_type="application/json"))
        if status == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
