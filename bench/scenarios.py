"""What the harness drives: operations from ``graphql/operations/`` with their variables, the floor,
a bare Django endpoint for scale, and the checkout flow (``bench/flows.py``).

Variables come from pools read from the seeded database (slugs, search words, a designer with
orders, variants to buy with their designers' shipping methods), cycled deterministically, so a
run sends the same requests every time.

Servers: ``api`` is the API as production runs it with the anonymous-read cache off (what every
read costs when it is computed); ``api-cached`` is the same with the cache on (Redis), driven with
the same requests, by POST and as persisted-query GETs, to measure cache hits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import orjson
import psycopg
from graphql_relay import to_global_id

from bench.client import Request, graphql_request

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "graphql" / "operations"


@dataclass
class Pools:
    product_slugs: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)  # global IDs of the same products
    designer_slugs: list[str] = field(default_factory=list)
    search_terms: list[str] = field(default_factory=list)
    seller_email: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    # (variant pk, variant global ID, shipping method global ID): physical goods of approved
    # designers, each with an active method; the harness gives them plenty of stock.
    buyable: list[tuple[int, str, str]] = field(default_factory=list)
    # A few variants many buyers fight over (the no-oversell check).
    hot: list[tuple[int, str, str]] = field(default_factory=list)


# Diacritic-free searches a buyer types (the data has the accented words); the last is a prefix.
SEARCH_TERMS = [
    "ao dai lua",
    "gom bat trang",
    "poster pho co",
    "nhan bac",
    "tui da",
    "phong chu",
    "den long",
    "khan lua theu",
    "binh hoa men ran",
    "silk scarf",
    "tranh son mai",
    "coc gom",
    "khan lu",
]

BUYABLE_SQL = """
SELECT v.id, m.id
FROM catalog_productvariant v
JOIN catalog_product p ON p.id = v.product_id
JOIN designers_designer d ON d.id = p.designer_id
JOIN LATERAL (SELECT id FROM checkout_shippingmethod s WHERE s.designer_id = d.id AND s.is_active AND s.currency = v.currency
              ORDER BY s.price_amount, s.id LIMIT 1) m ON true
WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED' AND p.product_type = 'PHYSICAL'
ORDER BY md5(v.id::text)
LIMIT %s
"""


def load_pools(database_url: str, *, buyable: int = 3000, hot: int = 3) -> Pools:
    pools = Pools(search_terms=list(SEARCH_TERMS))
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT p.id, p.slug FROM catalog_product p JOIN designers_designer d ON d.id = p.designer_id "
            "WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED' ORDER BY md5(p.slug) LIMIT 500"
        )
        products = cur.fetchall()
        pools.product_slugs = [slug for _id, slug in products]
        # the same products (a slug is unique per designer only: never looked up again by slug)
        pools.product_ids = [to_global_id("Product", pk) for pk, _slug in products]
        # Designer pages worth showing: approved, with products on sale and a portfolio.
        cur.execute(
            "SELECT d.slug FROM designers_designer d WHERE d.status = 'APPROVED' "
            "AND EXISTS (SELECT 1 FROM designers_portfolioitem i WHERE i.designer_id = d.id) "
            "AND EXISTS (SELECT 1 FROM catalog_product p WHERE p.designer_id = d.id AND p.status = 'PUBLISHED') "
            "ORDER BY md5(d.slug) LIMIT 200"
        )
        pools.designer_slugs = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT u.email FROM designers_designer d JOIN accounts_user u ON u.id = d.user_id "
            "JOIN orders_order o ON o.designer_id = d.id WHERE d.status = 'APPROVED' "
            "GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1"
        )
        row = cur.fetchone()
        pools.seller_email = row[0] if row else None
        cur.execute(BUYABLE_SQL, [buyable + hot])
        rows = [(v, to_global_id("ProductVariant", v), to_global_id("ShippingMethod", m)) for v, m in cur.fetchall()]
        pools.hot, pools.buyable = rows[:hot], rows[hot:]
    return pools


def persisted_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass
class Scenario:
    name: str
    description: str
    server: str = "api"  # "api", "api-cached" or "floor"
    operation: str | None = None  # path under graphql/operations/
    variables: Callable[[Pools, int], dict] | None = None
    method: str = "POST"
    path: str = "/graphql/"
    auth: str | None = None  # key into Pools.tokens
    floor_for: str | None = None  # the API scenario this one is the floor of
    floor: str | None = None  # the floor scenario to compare this one with (cached reads)
    needs: Callable[[Pools], bool] | None = None
    targets: dict = field(default_factory=dict)
    explain: str | None = None  # EXPLAIN the SQL statements containing this text ("" = all)
    persisted_get: bool = False  # GET with the document's sha256 instead of the document
    flow: str | None = None  # "checkout" or "checkout-contended" (bench/flows.py)
    quick: bool = True  # also in --quick runs
    breakdown: Callable[[Pools, int], str] | None = None  # label of request i: one-client latency per label

    def document(self) -> str:
        return (OPERATIONS / self.operation).read_text()

    def available(self, pools: Pools) -> tuple[bool, str]:
        if self.operation and not (OPERATIONS / self.operation).exists():
            return False, f"graphql/operations/{self.operation} does not exist yet"
        if self.needs and not self.needs(pools):
            return False, "the dataset has nothing for it"
        if self.auth and self.auth not in pools.tokens:
            return False, f"no {self.auth} to sign in as"
        return True, ""

    def request_factory(self, pools: Pools) -> Callable[[int], Request]:
        if self.operation is None and self.server != "floor":
            return lambda i: Request(self.method, self.path)
        document = self.document() if self.operation else ""
        name = Path(self.operation).stem if self.operation else None
        headers = {}
        if self.auth:
            headers["Authorization"] = f"Bearer {pools.tokens[self.auth]}"
        variables = self.variables or (lambda p, i: {})
        if self.persisted_get:
            extensions = orjson.dumps(
                {"persistedQuery": {"version": 1, "sha256Hash": persisted_hash(document)}}
            ).decode()

            def get(i: int) -> Request:
                query = urlencode(
                    {
                        "operationName": name,
                        "variables": orjson.dumps(variables(pools, i)).decode(),
                        "extensions": extensions,
                    }
                )
                return Request("GET", f"{self.path}?{query}", headers=dict(headers))

            return get
        return lambda i: graphql_request(self.path, document, variables(pools, i), name, headers)


def _last_12_months() -> dict:
    """The twelve months up to the data's today (its last day with orders; the seed's --until)."""
    from datetime import date, timedelta

    end = date.today()
    return {"from": (end - timedelta(days=364)).isoformat(), "to": end.isoformat()}


def _cycle(values: list, i: int):
    return values[i % len(values)]


PRODUCT_LIST = "storefront/Products.graphql"
PRODUCT = "storefront/ProductBySlug.graphql"
SEARCH = "storefront/ProductSearch.graphql"
DESIGNER_PAGE = "storefront/DesignerPage.graphql"


def _products(first):
    return lambda p, i: {"first": first}


def _product(p, i):
    return {"slug": _cycle(p.product_slugs, i)}


def _search(p, i):
    return {"search": _cycle(p.search_terms, i)}


def _designer(p, i):
    return {"slug": _cycle(p.designer_slugs, i)}


SCENARIOS: list[Scenario] = [
    Scenario(
        "django-health",
        "GET /health/: Django with every middleware, no GraphQL, no SQL (scale)",
        method="GET",
        path="/health/",
    ),
    # --- the product list against its floor -------------------------------------------------
    Scenario(
        "floor-products-100",
        "the floor: the product list (100) from hand-written SQL + orjson in bare WSGI",
        server="floor",
        variables=_products(100),
        floor_for="products-100",
    ),
    Scenario(
        "products-100",
        "storefront product list, first: 100 (variants, prices, thumbnail, designer, category)",
        operation=PRODUCT_LIST,
        variables=_products(100),
        targets={"queries": 6, "p50_ms": 30, "p95_ms": 50, "rps": 50, "floor_ratio": 7},
    ),
    Scenario(
        "floor-products-32",
        "the floor: the product list (32)",
        server="floor",
        variables=_products(32),
        floor_for="products-32",
    ),
    Scenario(
        "products-32",
        "storefront product list, first: 32",
        operation=PRODUCT_LIST,
        variables=_products(32),
        targets={"queries": 6, "rps": 130},
    ),
    # --- storefront reads -------------------------------------------------------------------
    Scenario(
        "product-by-slug",
        "product page by slug (500 products, cycled)",
        operation=PRODUCT,
        variables=_product,
        needs=lambda p: bool(p.product_slugs),
        targets={"p95_ms": 8},
    ),
    Scenario(
        "product-search",
        "diacritic-free search, first: 10, ranked (13 terms, cycled)",
        operation=SEARCH,
        variables=_search,
        targets={"p95_ms": 30},
        explain="catalog_productsearch",
        breakdown=lambda p, i: _search(p, i)["search"],
    ),
    Scenario(
        "designer-page",
        "designer page: profile, 24 products, portfolio (200 designers, cycled)",
        operation=DESIGNER_PAGE,
        variables=_designer,
        needs=lambda p: bool(p.designer_slugs),
    ),
    # --- signed in --------------------------------------------------------------------------
    Scenario(
        "designer-orders",
        "the designer's order list, first: 20 (the designer with the most orders)",
        operation="designer/MyDesignerOrders.graphql",
        variables=lambda p, i: {"first": 20},
        auth="seller",
    ),
    # --- sales tracking ---------------------------------------------------------------------
    Scenario(
        "designer-sales-12m",
        "the designer's sales, 12 months by DAY (365 buckets) with its top 10 products (the designer with the most orders)",
        operation="designer/MySales.graphql",
        variables=lambda p, i: {"period": _last_12_months(), "granularity": "DAY", "top": 10},
        auth="seller",
        targets={"p95_ms": 40},
        explain="designers_",
    ),
    Scenario(
        "marketplace-stats-12m",
        "staff marketplace stats, 12 months by DAY, top 10 designers (over every order line)",
        operation="staff/MarketplaceStats.graphql",
        variables=lambda p, i: {"period": _last_12_months(), "granularity": "DAY", "top": 10},
        auth="staff",
        targets={"p95_ms": 250},
        explain="designers_",
    ),
    Scenario(
        "product-view-record",
        "productViewRecord: a storefront counts a view (a new anonymous visitor each time: counted in Redis)",
        operation="storefront/ProductViewRecord.graphql",
        variables=lambda p, i: {"productId": _cycle(p.product_ids, i), "anonymousId": f"bench-visitor-{i:09d}"},
        needs=lambda p: bool(p.product_ids),
        targets={"rps": 500},
    ),
    # --- checkout ---------------------------------------------------------------------------
    Scenario(
        "checkout",
        "a purchase: CheckoutCreate (line, email, address) → CheckoutShippingMethodUpdate → "
        "CheckoutComplete (dummy gateway); 3,000 physical variants, cycled",
        flow="checkout",
        needs=lambda p: bool(p.buyable),
        targets={"purchases_per_s": 50, "completion_queries": 25},
    ),
    Scenario(
        "checkout-contended",
        "buyers fighting over 3 variants with little stock: no oversell",
        flow="checkout-contended",
        needs=lambda p: bool(p.hot),
        targets={"no_oversell": True},
    ),
    # --- the anonymous-read cache (api-cached: Redis) ---------------------------------------
    Scenario(
        "products-100-cached",
        "the product list (100), answered from the anonymous-read cache",
        server="api-cached",
        operation=PRODUCT_LIST,
        variables=_products(100),
        floor="floor-products-100",
        targets={"floor_ratio": 2},
    ),
    Scenario(
        "products-100-cached-get",
        "the same as a GET with the persisted query's hash (a CDN could serve it)",
        server="api-cached",
        operation=PRODUCT_LIST,
        variables=_products(100),
        floor="floor-products-100",
        persisted_get=True,
        targets={"floor_ratio": 2},
    ),
    Scenario(
        "products-32-cached",
        "the product list (32), cached",
        server="api-cached",
        operation=PRODUCT_LIST,
        variables=_products(32),
        floor="floor-products-32",
        targets={"floor_ratio": 2},
    ),
    Scenario(
        "product-by-slug-cached",
        "product page by slug, cached",
        server="api-cached",
        operation=PRODUCT,
        variables=_product,
        needs=lambda p: bool(p.product_slugs),
    ),
    Scenario(
        "product-search-cached",
        "search, cached",
        server="api-cached",
        operation=SEARCH,
        variables=_search,
    ),
    Scenario(
        "designer-page-cached",
        "designer page, cached",
        server="api-cached",
        operation=DESIGNER_PAGE,
        variables=_designer,
        needs=lambda p: bool(p.designer_slugs),
    ),
]
