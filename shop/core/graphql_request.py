"""Reading a GraphQL request: the operation from GET parameters, a JSON body, an
``application/graphql`` body or a multipart upload (https://github.com/jaydenseric/graphql-multipart-request-spec,
files placed into the variables), the client's JSON limited in depth, and strings free of NUL and
lone surrogates. What cannot be read is a :class:`BadRequest` (shop/core/views.py answers it)."""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext as _

from graphql import BREAK, Visitor


class BadRequest(Exception):
    """``graphql``: a refusal of a well-formed request by GraphQL's rules or our query limits (not a
    malformed request): 200 when the client accepts application/json (the GraphQL-over-HTTP spec),
    ``status`` otherwise."""

    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST", *, graphql: bool = False):
        self.graphql = graphql
        super().__init__(message)
        self.status = status
        self.code = code


# --- the body ------------------------------------------------------------------------------------


def parse_body(request) -> dict:
    """The request's ``query``, ``variables``, ``operationName`` and ``extensions``, as sent."""
    if request.method == "GET":
        return {
            "query": request.GET.get("query"),
            "variables": request.GET.get("variables"),
            "operationName": request.GET.get("operationName"),
            "extensions": request.GET.get("extensions"),
        }
    content_type = (request.content_type or "").lower()
    if content_type == "multipart/form-data":
        return _parse_multipart(request)
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


def _parse_multipart(request) -> dict:
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
            _place_file(operations, path, upload)
    return operations


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


# --- the client's JSON -------------------------------------------------------------------------

# JSON nested deeper than this is refused (Python's parser overflows its stack at ~100,000 levels; no
# GraphQL input of ours is nested more than a few levels).
MAX_JSON_DEPTH = 64


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


# --- characters no string may hold -------------------------------------------------------------

# NUL (PostgreSQL cannot store it) and lone UTF-16 surrogates (not Unicode text: no encoder, orjson
# included, can write them back) are refused in every string a client sends.
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def has_bad_characters(value) -> bool:
    """NUL or a lone surrogate anywhere in ``value`` (a string, or JSON already limited in depth)."""
    if isinstance(value, str):
        return _BAD_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_characters(v) for v in value)
    return False


class NulFinder(Visitor):
    """Finds a string value of a document that holds a bad character (written as escapes)."""

    found = False

    def enter_string_value(self, node, *_args):
        if _BAD_CHARACTERS.search(node.value):  # written as escapes in the document
            self.found = True
            return BREAK
        return None


def bad_characters() -> BadRequest:
    return BadRequest(
        _("Strings may not contain the NUL character (U+0000) or unpaired surrogates."),
        code="INVALID_CHARACTERS",
        graphql=True,
    )
