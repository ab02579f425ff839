"""Persisted queries (Apollo's automatic persisted queries): a client names a document by its
sha256 (``extensions.persistedQuery``). The operations shipped in graphql/operations/ are always
known; with GRAPHQL_PERSISTED_QUERIES=apq a client may register others, kept a day in the read
cache's store once they have passed every check (the view calls :func:`register_persisted`)."""

from __future__ import annotations

import logging
import re
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from django.utils.translation import gettext as _

from shop.core.documents import document_hash
from shop.core.graphql_request import BadRequest
from shop.core.graphql_responses import error_response

logger = logging.getLogger("shop.graphql")

PERSISTED_PREFIX = "pq:"
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


@lru_cache(maxsize=1)
def known_operations() -> dict[str, str]:
    """The operations shipped in graphql/operations/, by the sha256 of their text: always known."""
    root = settings.BASE_DIR / "graphql" / "operations"
    return {document_hash(p.read_text()): p.read_text() for p in sorted(root.glob("*/*.graphql"))}


def register_persisted(digest: str, query: str) -> None:
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


def persisted_query(query, extensions) -> tuple[str | None, JsonResponse | None, str | None]:
    """The document a request names by its sha256 (``extensions.persistedQuery``). Returns
    (query, None, digest to register) or (None, an answer for the client, None); the digest is set
    when the request sends a new document with its hash in APQ mode (GRAPHQL_PERSISTED_QUERIES=known:
    only the shipped operations are known), and the view registers it once the document passed."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return query, None, None
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
        if document_hash(query) != digest:
            raise BadRequest(_("The query does not match its `sha256Hash`."), code="PERSISTED_QUERY_HASH_MISMATCH")
        # Registered only once the document has parsed, validated and passed every limit
        # (register_persisted, called by the view): never any text before it parses (issue 13,
        # finding 4).
        return query, None, (digest if mode == "apq" and digest not in known_operations() else None)
    found = known_operations().get(digest)
    if found is None and mode == "apq":
        try:
            found = caches[settings.GRAPHQL_READ_CACHE_ALIAS].get(PERSISTED_PREFIX + digest)
        except Exception:
            logger.warning("could not read a persisted query", exc_info=True)
    if found is None:
        # What Apollo clients expect (HTTP 200), so that they send the document with its hash.
        return None, error_response("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 200), None
    return found, None, None
