"""The floor: the storefront product list's JSON served the cheapest way we know.

A bare WSGI application (no Django): hand-written SQL through psycopg 3 (one connection per
thread, kept open), rows assembled into exactly the response the API gives for
``graphql/operations/storefront/Products.graphql`` (same data, same cursors, same thumbnail URLs,
same ``extensions``), encoded with orjson. The harness runs it under the same gunicorn settings as
the API and reports the API's latency and throughput as ratios to it.

It answers any POST with the product list for the JSON body's ``variables`` (``first``, ``after``,
``thumbnailSize``, ``withTotalCount``; the query text is ignored), so the harness drives it with the
very request it sends to the API. ``tests/bench/test_harness_parts.py`` proves that both answers
are the same JSON.

Only ``shop.core.money`` (pure Python) is shared with the project: amounts are formatted by the
same rules; everything else here is written for the floor.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from urllib.parse import quote

import orjson
import psycopg

from shop.core.money import quantize

DATABASE_URL = os.environ.get("FLOOR_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
COST_LIMIT = int(os.environ.get("GRAPHQL_MAX_COST", "1000"))
MAX_FIRST = 100
VARIANTS = 3  # the operation asks variants(first: 3)
COST_PER_PRODUCT = 8  # product 1 + designer 1 + category 1 + variants 2 + 3 x 1 (shop.core.query_limits)
SORT_SIGNATURE = "-created_at,-id"

_local = threading.local()


def _connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(DATABASE_URL, autocommit=True, options="-c TimeZone=UTC")
        _local.conn = conn
    return conn


def _gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _money(amount, currency: str) -> dict:
    return {"amount": str(quantize(amount, currency)), "currency": currency}


def _cursor(created_at, pk: int) -> str:
    raw = json.dumps([SORT_SIGNATURE, [created_at.isoformat(), pk]], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(b"k:" + raw.encode()).decode()


def _decode_cursor(value: str):
    raw = base64.urlsafe_b64decode(value.encode() + b"==")
    if not raw.startswith(b"k:"):
        raise ValueError("not a cursor of this list")
    signature, (created, pk) = json.loads(raw[2:])
    if signature != SORT_SIGNATURE:
        raise ValueError("not a cursor of this list")
    return created, int(pk)


ON_SALE = "p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED'"

PRODUCTS_SQL = f"""
SELECT p.id, p.slug, p.name, p.product_type, p.tags, p.currency, p.min_price, p.created_at,
       d.id, d.slug, d.display_name, c.id, c.slug, c.name
FROM catalog_product p
JOIN designers_designer d ON d.id = p.designer_id
LEFT JOIN catalog_category c ON c.id = p.category_id
WHERE {ON_SALE} {{after}}
ORDER BY p.created_at DESC, p.id DESC
LIMIT %s
"""

COUNT_SQL = f"SELECT count(*) FROM catalog_product p JOIN designers_designer d ON d.id = p.designer_id WHERE {ON_SALE}"

VARIANTS_SQL = """
SELECT v.product_id, v.id, v.sku, v.name, v.price_amount, v.currency, v.stock_quantity, v.digital_file, v.attributes
FROM unnest(%s::bigint[]) AS p(id)
CROSS JOIN LATERAL (
    SELECT * FROM catalog_productvariant v WHERE v.product_id = p.id ORDER BY v.position, v.id LIMIT %s
) v
"""

MEDIA_SQL = """
SELECT DISTINCT ON (m.product_id) m.product_id, m.image, m.thumbnails
FROM catalog_productmedia m
WHERE m.product_id = ANY(%s)
ORDER BY m.product_id, m.position, m.id
"""


def _nearest(thumbnails: dict | str | None, size: int) -> str | None:
    """The smallest ready thumbnail at least ``size`` large, else the largest (as the API)."""
    if isinstance(thumbnails, str):  # Django's connection (tests) loads jsonb as text
        thumbnails = orjson.loads(thumbnails)
    ready = sorted((int(k), v) for k, v in (thumbnails or {}).items() if str(k).isdigit() and v)
    for ready_size, name in ready:
        if ready_size >= size:
            return name
    return ready[-1][1] if ready else None


def _load(value):
    return orjson.loads(value) if isinstance(value, str) else value


def product_list(
    first: int,
    after: str | None = None,
    *,
    thumbnail_size: int = 512,
    with_total_count: bool = False,
    base_url: str = "http://127.0.0.1",
    conn: psycopg.Connection | None = None,
) -> dict:
    """The response to ``Products`` with these variables; ``base_url`` is the scheme and host the
    API builds absolute media URLs with (the request's)."""
    first = max(1, min(int(first), MAX_FIRST))
    params: list = []
    after_sql = ""
    if after:
        created, pk = _decode_cursor(after)
        after_sql = "AND (p.created_at, p.id) < (%s::timestamptz, %s)"
        params += [created, pk]
    conn = conn or _connection()
    media_prefix = base_url + MEDIA_URL
    with conn.cursor() as cur:
        cur.execute(PRODUCTS_SQL.format(after=after_sql), params + [first + 1])
        rows = cur.fetchall()
        has_next = len(rows) > first
        rows = rows[:first]
        ids = [r[0] for r in rows]
        variants: dict[int, list] = {}
        thumbnails: dict[int, str] = {}
        total = None
        if ids:
            kinds = {r[0]: r[3] for r in rows}
            cur.execute(VARIANTS_SQL, [ids, VARIANTS])
            for product_id, vid, sku, name, price, currency, stock, digital_file, attributes in cur.fetchall():
                digital = kinds[product_id] == "DIGITAL"
                variants.setdefault(product_id, []).append(
                    {
                        "node": {
                            "id": _gid("ProductVariant", vid),
                            "sku": sku,
                            "name": name,
                            "price": _money(price, currency),
                            "inStock": bool(digital_file) if digital else stock > 0,
                            "stockQuantity": None if digital else stock,
                            "attributes": [
                                {"name": a.get("name", ""), "value": a.get("value", "")}
                                for a in (_load(attributes) or [])
                            ],
                        }
                    }
                )
            cur.execute(MEDIA_SQL, [ids])
            for product_id, image, thumbs in cur.fetchall():
                name = _nearest(thumbs, thumbnail_size) or image
                thumbnails[product_id] = media_prefix + quote(name, safe="/~!*()'")
        if with_total_count:
            cur.execute(COUNT_SQL)
            total = cur.fetchone()[0]
    edges = []
    for pid, slug, name, ptype, tags, currency, min_price, _created, did, dslug, dname, cid, cslug, cname in rows:
        edges.append(
            {
                "node": {
                    "id": _gid("Product", pid),
                    "slug": slug,
                    "name": name,
                    "productType": ptype,
                    "tags": list(tags or []),
                    "minPrice": _money(min_price, currency) if min_price is not None else None,
                    "thumbnail": thumbnails.get(pid),
                    "designer": {"id": _gid("Designer", did), "slug": dslug, "displayName": dname},
                    "category": {"id": _gid("Category", cid), "slug": cslug, "name": cname} if cid else None,
                    "variants": {"edges": variants.get(pid, [])},
                }
            }
        )
    products: dict = {}
    if with_total_count:
        products["totalCount"] = total
    end_cursor = _cursor(rows[-1][7], rows[-1][0]) if rows else None
    products["pageInfo"] = {"hasNextPage": has_next, "endCursor": end_cursor}
    products["edges"] = edges
    return {
        "data": {"products": products},
        "extensions": {"cost": 2 + COST_PER_PRODUCT * first, "costLimit": COST_LIMIT},
    }


def _base_url(environ) -> str:
    scheme = "https" if environ.get("HTTP_X_FORWARDED_PROTO") == "https" else environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}"


def application(environ, start_response):
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = orjson.loads(environ["wsgi.input"].read(length)) if length else {}
        variables = body.get("variables") or {}
        payload = orjson.dumps(
            product_list(
                variables.get("first", MAX_FIRST),
                variables.get("after"),
                thumbnail_size=int(variables.get("thumbnailSize") or 512),
                with_total_count=bool(variables.get("withTotalCount")),
                base_url=_base_url(environ),
            )
        )
        status = "200 OK"
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        payload = orjson.dumps({"errors": [{"message": str(exc)}]})
        status = "400 Bad Request"
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
