"""Rate limits on a shared store (Redis through Django's cache framework).

Buckets are named in ``settings.RATE_LIMITS`` (``"name": "limit/seconds"``, overridable with the
``RATE_LIMITS`` environment variable, e.g. ``RATE_LIMITS=tokenCreate=5/60,ip=300/60``):

- ``ip`` and ``user``: every GraphQL request, per client address and per signed-in user;
- any other name is a top-level GraphQL field (``tokenCreate``, ``accountRegister``,
  ``requestPasswordReset``, ``setPassword``, ``checkoutCreate``, ``checkoutComplete``, ...): each
  call of that field is charged to the caller's address and, when signed in, to the user, so a
  login hidden in 50 aliases costs 50.

Windows are fixed (``limit`` hits per ``seconds``, aligned on the clock): a client may burst up to
twice the limit across a window boundary, never more. The counters live in the ``ratelimit``
cache alias (``RATE_LIMIT_CACHE_URL`` or ``CACHE_URL``, Redis in production, so every server
instance shares them); without either, local memory (per process: only for the zero-set-up demo,
and ``manage.py check --deploy`` warns). If the store is down the request is let through and the
failure is logged: an outage of Redis must not take the API down with it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

CACHE_ALIAS = "ratelimit"


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(value: str) -> Rate:
    """``"10/60"`` (10 per 60 seconds), or ``"10/m"``, ``"100/h"``, ``"1000/d"``."""
    limit, _sep, period = str(value).strip().partition("/")
    period = period.strip().lower()
    seconds = _UNITS[period] if period in _UNITS else int(period)
    if int(limit) < 0 or seconds <= 0:
        raise ValueError(f"invalid rate {value!r}")
    return Rate(int(limit), seconds)


_parsed: tuple = ((), {})


def rates() -> dict[str, Rate]:
    """``settings.RATE_LIMITS`` parsed (once per distinct setting: it is read on every request)."""
    global _parsed
    configured: Mapping[str, str] = getattr(settings, "RATE_LIMITS", {}) or {}
    key = tuple(configured.items())
    if _parsed[0] != key:
        _parsed = (key, {name: parse_rate(value) for name, value in configured.items()})
    return _parsed[1]


class RateLimited(Exception):
    def __init__(self, bucket: str, retry_after: int, limit: int, seconds: int):
        self.bucket = bucket
        self.retry_after = retry_after
        self.limit = limit
        self.seconds = seconds
        super().__init__(f"rate limit {bucket} exceeded")


def client_ip(request) -> str:
    """The caller's address. Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, the address the
    outermost trusted proxy saw (read from the right of X-Forwarded-For, which clients can prepend
    to but not append to)."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    return remote[:64]


def ip_key(ip: str) -> str:
    """IPv6 clients usually own a whole /64, so they are limited per /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(bucket: str, subject: str, window_start: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"rl:{bucket}:{digest}:{window_start}"


def hit(bucket: str, subject: str, *, amount: int = 1, rate: Rate | None = None, now: float | None = None) -> int:
    """Charge ``amount`` hits to ``subject`` in ``bucket``; raise :class:`RateLimited` when the
    window's total goes over the limit. Returns the window's total (0 when not limited)."""
    rate = rate or rates().get(bucket)
    if rate is None or amount <= 0:
        return 0
    return charge([(bucket, subject, amount, rate)], now=now)[0]


def charge(hits: list[tuple[str, str, int, Rate]], *, now: float | None = None) -> list[int]:
    """Charge several ``(bucket, subject, amount, rate)`` at once: one Redis round trip for all of
    them. Every counter is charged before any limit is judged; the first bucket over its limit
    raises :class:`RateLimited`. Returns each window's total (0 when not counted)."""
    hits = [h for h in hits if h[2] > 0]
    if not getattr(settings, "RATE_LIMIT_ENABLED", True) or not hits:
        return [0] * len(hits)
    now = time.time() if now is None else now
    windows = [int(now // rate.seconds) * rate.seconds for _b, _s, _a, rate in hits]
    keys = [_key(bucket, subject, start) for (bucket, subject, _a, _r), start in zip(hits, windows)]
    cache = caches[CACHE_ALIAS]
    try:
        client = _redis_client(cache)
        if client is not None:
            # One round trip: count, and give a new window's key its expiry. No MULTI: each pair
            # is idempotent enough (EXPIRE NX only ever sets the first expiry).
            pipe = client.pipeline(transaction=False)
            for key, (_b, _s, amount, rate) in zip(keys, hits):
                full = cache.make_key(key)
                pipe.incrby(full, amount)
                pipe.expire(full, rate.seconds + 1, nx=True)
            counts = pipe.execute()[::2]
        else:
            counts = [_local_incr(cache, key, amount, rate) for key, (_b, _s, amount, rate) in zip(keys, hits)]
    except Exception:
        logger.exception(
            "rate limit store unavailable; letting the request through (buckets %s)",
            ", ".join(sorted({h[0] for h in hits})),
        )
        return [0] * len(hits)
    for count, start, (bucket, _s, _a, rate) in zip(counts, windows, hits):
        if count is not None and count > rate.limit:
            retry_after = max(1, math.ceil(start + rate.seconds - now))
            raise RateLimited(bucket, retry_after, rate.limit, rate.seconds)
    return [count or 0 for count in counts]


def _local_incr(cache, key: str, amount: int, rate: Rate) -> int | None:
    for _attempt in range(2):
        cache.add(key, 0, timeout=rate.seconds + 1)
        try:
            return cache.incr(key, amount)
        except ValueError:  # expired between add and incr
            continue
    return None


def _redis_client(cache):
    """The redis client behind Django's RedisCache (None for other backends). Django builds a new
    client object on every ``get_client()`` call (its response-callback table included: a tenth of
    a request's rate-limit time); one per cache connection is kept instead. Clients are
    thread-safe, and Django's cache objects are per thread anyway."""
    if type(cache).__name__ != "RedisCache" or not hasattr(cache, "_cache"):
        return None
    backend = cache._cache
    client = backend.__dict__.get("_rethink_client")
    if client is None:
        client = backend.__dict__["_rethink_client"] = backend.get_client(write=True)
    return client


def shared_store():
    """The rate limits' cache and, when it is Redis, its client (else None): other short-lived
    counters (designers/page_views.py) share the store and its short timeouts."""
    cache = caches[CACHE_ALIAS]
    return cache, _redis_client(cache)


def check_request(request, *, user=None) -> None:
    """The per-request buckets: ``ip`` always, ``user`` when signed in."""
    hit("ip", ip_key(client_ip(request)))
    if user is not None and user.is_authenticated:
        hit("user", f"user:{user.pk}")


def check_fields(request, field_counts: Mapping[str, int], *, user=None) -> None:
    """Charge each top-level field that has a bucket of its own, per address and per user."""
    configured = rates()
    ip = ip_key(client_ip(request))
    hits = []
    for name, count in sorted(field_counts.items()):
        if name in ("ip", "user") or name not in configured:
            continue
        hits.append((name, f"ip:{ip}", count, configured[name]))
        if user is not None and user.is_authenticated:
            hits.append((name, f"user:{user.pk}", count, configured[name]))
    if hits:
        charge(hits)


def store_is_shared() -> bool:
    backend = settings.CACHES.get(CACHE_ALIAS, {}).get("BACKEND", "")
    return not backend.endswith(("locmem.LocMemCache", "dummy.DummyCache"))
