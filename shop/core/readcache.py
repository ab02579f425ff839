"""The anonymous-read cache: storefront reads answered from a shared cache, invalidated precisely.

What is cached: the whole response to an anonymous query whose top-level fields are public
storefront reads (the root fields the apps registered with :func:`register_root_field`: the
product list and search, a product, a designer page, categories), keyed by the document's sha256, the variables, the operation name, the
language and the scheme and host (absolute media URLs depend on them). Never cached: anything
sent with ``Authorization``, mutations, any other top-level field, responses with errors, and any
response that shows an object of a model no catalog app registered (an order, a user...): the
execution context records every model object a response shows, and one of an unknown model makes
the response uncacheable. Nothing personal can be stored.

Invalidation is by *generations*: small keys (``g:product:12``, ``g:designer:3``, ``g:listing``,
``g:categories``...) holding a random token that writers replace. Each entry records the tokens of
the keys it depends on (the products, designers and categories it shows, plus ``listing`` for
lists, searches and "not found" answers, whose membership any publication changes); a read is a
hit only if every one is unchanged. The services replace the tokens after their transaction
commits (``bump``), so a change is visible on the very next read.

The race between a reader and a writer is closed by a global key, ``g:all``, that every bump
replaces together with the precise keys (atomically, in one Redis transaction): a reader notes
``g:all`` before executing and stores its answer only if ``g:all`` is still the same when it reads
the tokens of the keys it depends on. A writer that committed after the reader read its data
either bumped before that check (``g:all`` changed: nothing stored) or after it (the recorded
tokens are already old: the entry is never a hit). Missing keys are created with a fresh token
before they are recorded, so a generation key that Redis evicts only ever causes misses.

Configuration: ``GRAPHQL_READ_CACHE`` (on outside tests), ``GRAPHQL_READ_CACHE_TTL`` (seconds an
entry lives at most: 300; a safety net for writes that bypass the services),
``GRAPHQL_READ_CACHE_ALIAS`` (the Django cache: ``default``, i.e. ``CACHE_URL``; Redis in
production, local memory in the one-process demo). If the cache is unreachable, reads are computed
as if nothing were cached and nothing is stored; a bump that cannot reach it is logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import Model

logger = logging.getLogger(__name__)

ALL = "all"
LISTING = "listing"
CATEGORIES = "categories"


def enabled() -> bool:
    return bool(getattr(settings, "GRAPHQL_READ_CACHE", False))


# --- which top-level fields may be shared -------------------------------------------------------

# Top-level query fields whose answers to anonymous clients may be shared, each with the
# generations its answer always depends on (``LISTING`` for lists and searches). The apps register
# theirs in AppConfig.ready() (shop/catalog/cache.py, designers/cache.py): core names none.
_root_fields: dict[str, tuple[str, ...]] = {}


def register_root_field(name: str, *, depends_on: tuple[str, ...] = ()) -> None:
    """The top-level query field ``name`` is a public storefront read: an anonymous answer that
    uses only such fields may be cached, and depends on ``depends_on`` besides what it shows."""
    _root_fields[name] = tuple(depends_on)


def cacheable_root_fields(names) -> bool:
    """Whether an operation calling these top-level fields may be answered from the cache."""
    return all(name in _root_fields for name in names)


def root_field_keys(names) -> set[str]:
    """The generations that answers to these top-level fields always depend on."""
    return {key for name in names for key in _root_fields.get(name, ())}


# --- what a response depends on ------------------------------------------------------------------

_recorders: dict[type, Callable[[Model], Iterable[str]]] = {}


def register(model: type[Model], keys: Callable[[Model], Iterable[str]]) -> None:
    """Objects of ``model`` may appear in cached responses; ``keys(obj)`` names the generations
    whose bump must invalidate a response that shows ``obj``."""
    _recorders[model] = keys


def depends_on(info, *keys: str) -> None:
    """For resolvers whose answer depends on more than the objects it shows (a list's membership):
    a cached response must also be invalidated by ``keys``."""
    dependencies = getattr(info.context, "_read_dependencies", None)
    if dependencies is not None:
        dependencies.keys.update(keys)


def keys_of(obj) -> tuple[str, ...]:
    """The generations a response showing ``obj`` depends on (none for unregistered objects)."""
    recorder = _recorders.get(type(obj))
    return tuple(recorder(obj)) if recorder is not None else ()


@dataclass
class Dependencies:
    keys: set[str] = field(default_factory=set)
    cacheable: bool = True

    def record(self, obj) -> None:
        recorder = _recorders.get(type(obj))
        if recorder is not None:
            self.keys.update(recorder(obj))
        elif isinstance(obj, Model):
            self.cacheable = False  # not a public catalog object: never shared


# --- the store -----------------------------------------------------------------------------------


def _token() -> str:
    return secrets.token_hex(8)


class _DjangoCacheStore:
    """Any Django cache (local memory in the demo and tests). A lock makes a bump atomic within
    the process, which is all a local-memory cache is shared with."""

    _lock = threading.Lock()

    def __init__(self, cache):
        self.cache = cache

    def get_entry(self, key: str) -> tuple[bytes | None, str | None]:
        got = self.cache.get_many([key, _gen(ALL)])
        return got.get(key), got.get(_gen(ALL))

    def tokens(self, names: list[str], *, create: bool = False) -> dict[str, str | None]:
        keys = [_gen(n) for n in names]
        with self._lock:
            got = self.cache.get_many(keys)
            if create:
                missing = {k: _token() for k in keys if k not in got}
                if missing:
                    self.cache.set_many(missing, timeout=None)
                    got.update(missing)
        return {n: got.get(_gen(n)) for n in names}

    def set_entry(self, key: str, value: bytes, ttl: int) -> None:
        self.cache.set(key, value, timeout=ttl)

    def bump(self, names: set[str]) -> None:
        with self._lock:
            self.cache.set_many({_gen(n): _token() for n in names | {ALL}}, timeout=None)


class _RedisStore:
    """Django's RedisCache, through its redis client: MGET, pipelines and MULTI."""

    def __init__(self, cache):
        self.cache = cache

    def _client(self):
        return self.cache._cache.get_client(write=True)

    def _key(self, name: str) -> str:
        return self.cache.make_key(name)

    def get_entry(self, key: str) -> tuple[bytes | None, str | None]:
        entry, all_token = self._client().mget([self._key(key), self._key(_gen(ALL))])
        return entry, (all_token.decode() if all_token is not None else None)

    def tokens(self, names: list[str], *, create: bool = False) -> dict[str, str | None]:
        keys = [self._key(_gen(n)) for n in names]
        client = self._client()
        if create:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.set(key, _token(), nx=True)
            pipe.mget(keys)
            values = pipe.execute()[-1]
        else:
            values = client.mget(keys)
        return {n: (v.decode() if v is not None else None) for n, v in zip(names, values)}

    def set_entry(self, key: str, value: bytes, ttl: int) -> None:
        self._client().set(self._key(key), value, ex=ttl)

    def bump(self, names: set[str]) -> None:
        pipe = self._client().pipeline(transaction=True)
        for name in names | {ALL}:
            pipe.set(self._key(_gen(name)), _token())
        pipe.execute()


def _gen(name: str) -> str:
    return f"g:{name}"


_stores: dict[str, object] = {}


def _store():
    alias = getattr(settings, "GRAPHQL_READ_CACHE_ALIAS", "default")
    store = _stores.get(alias)
    if store is None:
        cache = caches[alias]
        if type(cache).__name__ == "RedisCache" and hasattr(cache, "_cache"):
            store = _RedisStore(cache)
        else:
            store = _DjangoCacheStore(cache)
        _stores[alias] = store
    return store


def reset_stores() -> None:
    """Forget the store objects (tests that change the cache settings)."""
    _stores.clear()


# --- writers ---------------------------------------------------------------------------------------


def bump(*names: str) -> None:
    """Invalidate everything that depends on ``names`` (and take part in the reader protocol),
    once the current transaction commits (at once outside a transaction). Called by services."""
    keys = {n for n in names if n}
    if not keys:
        return

    def run():
        try:
            _store().bump(keys)
        except Exception:
            logger.exception(
                "read cache: could not bump %s; cached reads may be stale for up to %s s",
                sorted(keys),
                settings.GRAPHQL_READ_CACHE_TTL,
            )

    transaction.on_commit(run)


# --- readers ---------------------------------------------------------------------------------------


@dataclass
class Hit:
    body: bytes
    etag: str


@dataclass
class Lookup:
    key: str
    hit: Hit | None
    all_token: str | None  # g:all when the miss was noticed (the store protocol)


def entry_key(
    *, document_hash: str, variables: dict | None, operation_name: str | None, language: str, base: str
) -> str:
    raw = orjson.dumps(
        [document_hash, variables or {}, operation_name or "", language, base], option=orjson.OPT_SORT_KEYS
    )
    return "rc:" + hashlib.sha256(raw).hexdigest()


def lookup(key: str) -> Lookup | None:
    """The cached answer if every generation it depends on is unchanged. None when the cache
    cannot be reached (then nothing is stored either)."""
    try:
        store = _store()
        raw, all_token = store.get_entry(key)
        if all_token is None:  # a fresh cache: give g:all a token, or nothing could be stored
            all_token = store.tokens([ALL], create=True)[ALL]
        if raw is not None:
            header, _sep, body = raw.partition(b"\n")
            meta = orjson.loads(header)
            names, tokens = meta["d"], meta["t"]
            if store.tokens(names) == dict(zip(names, tokens)):
                return Lookup(key, Hit(body, meta["e"]), all_token)
        return Lookup(key, None, all_token)
    except Exception:
        logger.warning("read cache unavailable; answering without it", exc_info=True)
        return None


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def store(found: Lookup, body: bytes, dependencies: Dependencies) -> str | None:
    """Keep ``body`` for ``found.key`` if no generation moved since the lookup (see the module
    docstring); returns its ETag either way (None if the response may not be cached)."""
    if not dependencies.cacheable:
        return None
    etag = etag_of(body)
    try:
        names = sorted(dependencies.keys)
        current = _store().tokens([*names, ALL], create=True)
        if found.all_token is None or current.pop(ALL) != found.all_token:
            return etag  # something was written meanwhile: serve this answer, keep nothing
        header = orjson.dumps({"d": names, "t": [current[n] for n in names], "e": etag})
        _store().set_entry(found.key, header + b"\n" + body, settings.GRAPHQL_READ_CACHE_TTL)
    except Exception:
        logger.warning("read cache unavailable; answer not stored", exc_info=True)
    return etag
