"""The GraphQL view's answers over HTTP: the media type negotiated from ``Accept`` (GraphQL over
HTTP), the status of a refused operation, public (cacheable) and private answers, and the JSON
errors of a request refused before anything ran (400s, 429, 503, 500)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from shop.core import ratelimit
from shop.core.graphql_errors import service_unavailable_error
from shop.core.request_id import get_request_id

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


# --- answers -----------------------------------------------------------------------------------


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def public_response(request, body: bytes, etag: str, cache_status: str) -> HttpResponse:
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


def error_response(message: str, code: str, status: int, **extensions) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}, status=status)


def rate_limited_response(exc: ratelimit.RateLimited) -> JsonResponse:
    response = error_response(
        _("Too many requests; try again in %(s)d seconds.") % {"s": exc.retry_after},
        "RATE_LIMITED",
        429,
        retryAfter=exc.retry_after,
        bucket=exc.bucket,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


RETRY_AFTER_SECONDS = 2  # what a 503 asks the client to wait (the database could not be reached)


def service_unavailable_response() -> HttpResponse:
    response = JsonResponse({"errors": [service_unavailable_error()]}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def internal_error_response() -> JsonResponse:
    return error_response(_("Internal server error."), "INTERNAL_ERROR", 500, requestId=get_request_id())
