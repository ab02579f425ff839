"""The floor: the storefront product list's JSON served the cheapest way we know.

A bare WSGI application (no Django): hand-written SQL through psycopg 3 (one connection per
thread, kept open), rows assembled into the exact response the API gives for the storefront
product list, encoded with orjson. The harness runs it under the same gunicorn settings as the API
and reports the API's latency and throughput as ratios to it.

It answers any POST with the product list for ``variables.first`` / ``variables.after`` of the
JSON body (the query text is ignored), so the harness drives it with the very request it sends to
the API. ``tests/bench/test_floor.py`` proves the two responses are byte-for-byte equal as JSON.
"""
from __future__ import annotations

import base64
import os
import threading
from decimal import Decimal

import orjson
import psycopg

DATABASE_URL = os.environ.get("FLOOR_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
THUMBNAIL_SIZE = 256
MAX_FIRST = 100

_local = threading.local()


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(DATABASE_URL, autocommit=True)
        _local.conn = conn
    return conn


def _gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _amount(value: Decimal) -> str:
    # VND has no minor unit: "150000", never "150000.00".
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value.normalize())


PRODUCTS_SQL = """
SELECT p.id, p.name, p.slug, p.product_type, p.currency, p.min_price, p.created_at,
       d.id, d.display_name, d.slug, c.id, c.name, c.slug
FROM catalog_product p
JOIN designers_designer d ON d.id = p.designer_id
LEFT JOIN catalog_category c ON c.id = p.category_id
WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED'
  {after}
ORDER BY p.created_at DESC, p.id DESC
LIMIT %s
"""

VARIANTS_SQL = """
SELECT v.product_id, v.id, v.name, v.sku, v.price_amount, v.currency, v.stock_quantity
FROM catalog_productvariant v
WHERE v.product_id = ANY(%s)
ORDER BY v.product_id, v.position, v.id
"""

MEDIA_SQL = """
SELECT DISTINCT ON (m.product_id) m.product_id, m.image, m.alt, m.thumbnails
FROM catalog_productmedia m
WHERE m.product_id = ANY(%s)
ORDER BY m.product_id, m.position, m.id
"""


def _cursor(created_at, pk: int) -> str:
    return base64.b64encode(f"{created_at.isoformat()}|{pk}".encode()).decode()


def _decode_cursor(value: str):
    created, _sep, pk = base64.b64decode(value.encode()).decode().partition("|")
    return created, int(pk)


def product_list(first: int, after: str | None = None, *, conn: psycopg.Connection | None = None) -> dict:
    first = max(1, min(int(first), MAX_FIRST))
    params: list = []
    after_sql = ""
    if after:
        created, pk = _decode_cursor(after)
        after_sql = "AND (p.created_at, p.id) < (%s::timestamptz, %s)"
        params += [created, pk]
    conn = conn or _connection()
    with conn.cursor() as cur:
        cur.execute(PRODUCTS_SQL.format(after=after_sql), params + [first + 1])
        rows = cur.fetchall()
        has_next = len(rows) > first
        rows = rows[:first]
        ids = [r[0] for r in rows]
        variants: dict[int, list] = {}
        media: dict[int, tuple] = {}
        if ids:
            cur.execute(VARIANTS_SQL, [ids])
            for product_id, vid, name, sku, price, currency, stock in cur.fetchall():
                variants.setdefault(product_id, []).append({
                    "id": _gid("ProductVariant", vid), "name": name, "sku": sku,
                    "price": {"amount": _amount(price), "currency": currency}, "inStock": stock > 0,
                })
            cur.execute(MEDIA_SQL, [ids])
            for product_id, image, alt, thumbnails in cur.fetchall():
                media[product_id] = (image, alt, thumbnails)
    edges = []
    for pid, name, slug, ptype, currency, min_price, created, did, dname, dslug, cid, cname, cslug in rows:
        thumb = None
        m = media.get(pid)
        if m is not None:
            image, alt, thumbnails = m
            name_ = _nearest(thumbnails, THUMBNAIL_SIZE) or image
            thumb = {"url": MEDIA_URL + name_, "alt": alt}
        edges.append({
            "cursor": _cursor(created, pid),
            "node": {
                "id": _gid("Product", pid), "name": name, "slug": slug, "productType": ptype,
                "minPrice": {"amount": _amount(min_price), "currency": currency} if min_price is not None else None,
                "thumbnail": thumb,
                "designer": {"id": _gid("Designer", did), "displayName": dname, "slug": dslug},
                "category": {"id": _gid("Category", cid), "name": cname, "slug": cslug} if cid else None,
                "variants": variants.get(pid, []),
            },
        })
    return {
        "data": {
            "products": {
                "pageInfo": {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None},
                "edges": edges,
            }
        }
    }


def _nearest(thumbnails: dict | str | None, size: int) -> str | None:
    if isinstance(thumbnails, str):  # Django's connection (tests) loads jsonb as text
        thumbnails = orjson.loads(thumbnails)
    ready = sorted((int(k), v) for k, v in (thumbnails or {}).items() if str(k).isdigit() and v)
    for ready_size, name in ready:
        if ready_size >= size:
            return name
    return ready[-1][1] if ready else None


def application(environ, start_response):
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = orjson.loads(environ["wsgi.input"].read(length)) if length else {}
        variables = body.get("variables") or {}
        payload = orjson.dumps(product_list(variables.get("first", MAX_FIRST), variables.get("after")))
        status = "200 OK"
    except (ValueError, TypeError, KeyError) as exc:
        payload = orjson.dumps({"errors": [{"message": str(exc)}]})
        status = "400 Bad Request"
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
