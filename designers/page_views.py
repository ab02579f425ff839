"""Product page views: counted at most once per visitor, product and day, buffered in Redis and
written to ``ProductViewDay`` in bulk by a periodic task (never one SQL write per view).

Redis is the rate limits' store (``shop.core.ratelimit``: the ``ratelimit`` cache alias, with its
short socket timeouts). One view is one round trip: a Lua script sets the visitor's "seen" key for
the product and day (``SET NX``, expiring after two days) and, only when it was new, adds one to
the day's hash ``{product id: views}`` and notes the hash in a set of pending hashes.
:func:`flush` (Celery beat, every ``PRODUCT_VIEWS_FLUSH_SECONDS``) takes each pending hash away
(``RENAME``), upserts its counts in one statement and deletes it; a view arriving meanwhile lands
in a new hash, flushed next time. A flush that dies before its commit loses that batch of views,
never counts one twice.

When Redis is down, a view is dropped with a log line and the request still succeeds. Without
Redis at all (the one-process demo on local memory) views are deduplicated in the local cache and
written at once.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from designers.errors import ProductViewErrorCode
from designers.models import ProductViewDay
from designers.sales import local_day
from shop.catalog.selectors.visibility import visible_products
from shop.core import ratelimit
from shop.core.errors import ServiceError

logger = logging.getLogger(__name__)

SEEN_SECONDS = 2 * 86400
PENDING = "views:pending"

_RECORD = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  redis.call('SADD', KEYS[3], KEYS[2])
  return 1
end
return 0
"""


def visitor_key(*, user_id: int | None, anonymous_id: str | None) -> str:
    """The visitor: the signed-in account, else the client's anonymous id (hashed: short keys)."""
    raw = f"u:{user_id}" if user_id else f"a:{anonymous_id}"
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def _script(client):
    script = client.__dict__.get("_rethink_view_script")
    if script is None:
        script = client.__dict__["_rethink_view_script"] = client.register_script(_RECORD)
    return script


def record_product_view(*, user, product_id: int, anonymous_id: str | None) -> bool:
    """A storefront's view of a product: the visitor is the signed-in ``user``, else the client's
    ``anonymous_id`` (8-100 characters, required then). A product the caller cannot see (or that
    does not exist) is NOT_FOUND. Returns whether the view was counted (see :func:`record_view`)."""
    signed_in = user is not None and user.is_authenticated
    if not signed_in:
        anonymous_id = (anonymous_id or "").strip()
        if not anonymous_id:
            raise ServiceError(ProductViewErrorCode.REQUIRED, _("Give an anonymous visitor id."), "anonymous_id")
        if not 8 <= len(anonymous_id) <= 100:
            raise ServiceError(
                ProductViewErrorCode.INVALID, _("The anonymous visitor id must be 8 to 100 characters."), "anonymous_id"
            )
    if not visible_products(user if signed_in else None).filter(pk=product_id).exists():
        raise ServiceError(ProductViewErrorCode.NOT_FOUND, _("Product not found."), "product_id")
    visitor = visitor_key(user_id=user.pk if signed_in else None, anonymous_id=anonymous_id)
    return record_view(product_id=product_id, visitor=visitor)


def record_view(*, product_id: int, visitor: str, now: datetime | None = None) -> bool:
    """Count a view of a product the caller may see (the caller checked). True when it was the
    visitor's first view of the product that day and was counted; False when already counted or
    dropped (Redis unavailable)."""
    day = local_day(now or timezone.now())
    cache, client = ratelimit.shared_store()
    seen = f"views:seen:{day.isoformat()}:{product_id}:{visitor}"
    try:
        if client is None:
            if not cache.add(seen, 1, timeout=SEEN_SECONDS):
                return False
            _write(day, {product_id: 1})
            return True
        keys = [cache.make_key(seen), cache.make_key(f"views:day:{day.isoformat()}"), cache.make_key(PENDING)]
        return bool(_script(client)(keys=keys, args=[SEEN_SECONDS, product_id]))
    except Exception as exc:  # the store is down: the view is dropped, the request goes on
        logger.warning("product view of %s dropped: the view store is unavailable (%s)", product_id, exc)
        return False


def _write(day: date, counts: dict[int, int]) -> int:
    """Add ``counts`` ({product id: views}) to the day's rows, in one statement; products that no
    longer exist are skipped."""
    counts = {int(k): int(v) for k, v in counts.items() if int(v) > 0}
    if not counts:
        return 0
    table = ProductViewDay._meta.db_table
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(counts))
    params: list = [day]
    for product_id in sorted(counts):
        params += [product_id, counts[product_id]]
    sql = (
        f'INSERT INTO "{table}" (product_id, designer_id, day, views) '
        f"SELECT p.id, p.designer_id, %s::date, v.n FROM (VALUES {values}) AS v(id, n) "
        "JOIN catalog_product p ON p.id = v.id ORDER BY p.id "
        f'ON CONFLICT (product_id, day) DO UPDATE SET views = "{table}".views + EXCLUDED.views'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def flush() -> int:
    """Write the buffered views to the database (the periodic task). Returns the rows written."""
    cache, client = ratelimit.shared_store()
    if client is None:
        return 0
    pending = cache.make_key(PENDING)
    written = 0
    for raw_key in sorted(client.smembers(pending)):
        key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
        client.srem(pending, key)  # first: a view arriving now re-adds it
        taken = f"{key}:flushing:{uuid.uuid4().hex}"
        try:
            client.rename(key, taken)
        except Exception:  # nothing there any more (flushed by a concurrent run)
            continue
        client.expire(taken, SEEN_SECONDS)  # an orphan after a crash does not stay forever
        counts = client.hgetall(taken)
        day = date.fromisoformat(key.rsplit(":", 1)[1])
        with transaction.atomic():
            written += _write(day, {k.decode() if isinstance(k, bytes) else k: v for k, v in counts.items()})
        client.delete(taken)
    return written
