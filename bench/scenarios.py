"""What the harness drives: operations from ``graphql/operations/`` with their variables, plus the
floor and a bare Django endpoint for scale.

Variables come from pools read from the seeded database (slugs, search words, a designer with
orders), cycled deterministically, so a run sends the same requests every time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psycopg

from bench.client import Request, graphql_request

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "graphql" / "operations"


@dataclass
class Pools:
    product_slugs: list[str] = field(default_factory=list)
    designer_slugs: list[str] = field(default_factory=list)
    search_terms: list[str] = field(default_factory=list)
    seller_email: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)


# Diacritic-free searches a buyer types (the data has the accented words).
SEARCH_TERMS = ["ao dai lua", "gom bat trang", "poster pho co", "nhan bac", "tui da", "phong chu", "den long",
                "khan lua theu", "binh hoa men ran", "silk scarf", "tranh son mai", "coc gom"]


def load_pools(database_url: str) -> Pools:
    pools = Pools(search_terms=list(SEARCH_TERMS))
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT p.slug FROM catalog_product p JOIN designers_designer d ON d.id = p.designer_id "
            "WHERE p.status = 'PUBLISHED' AND p.hidden_at IS NULL AND d.status = 'APPROVED' ORDER BY md5(p.slug) LIMIT 500"
        )
        pools.product_slugs = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT slug FROM designers_designer WHERE status = 'APPROVED' ORDER BY md5(slug) LIMIT 200")
        pools.designer_slugs = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT u.email FROM designers_designer d JOIN accounts_user u ON u.id = d.user_id "
            "JOIN orders_order o ON o.designer_id = d.id WHERE d.status = 'APPROVED' "
            "GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1"
        )
        row = cur.fetchone()
        pools.seller_email = row[0] if row else None
    return pools


@dataclass
class Scenario:
    name: str
    description: str
    server: str = "api"                      # "api" or "floor"
    operation: str | None = None             # path under graphql/operations/
    variables: Callable[[Pools, int], dict] | None = None
    method: str = "POST"
    path: str = "/graphql/"
    auth: str | None = None                  # key into Pools.tokens
    floor_for: str | None = None             # the API scenario this one is the floor of
    needs: Callable[[Pools], bool] | None = None
    targets: dict = field(default_factory=dict)
    explain: str | None = None               # EXPLAIN the SQL statements containing this text ("" = all)

    def document(self) -> str:
        return (OPERATIONS / self.operation).read_text()

    def available(self, pools: Pools) -> tuple[bool, str]:
        if self.operation and not (OPERATIONS / self.operation).exists():
            return False, f"graphql/operations/{self.operation} does not exist yet"
        if self.needs and not self.needs(pools):
            return False, "the dataset has nothing for it"
        return True, ""

    def request_factory(self, pools: Pools) -> Callable[[int], Request]:
        if self.operation is None and self.server == "api":
            return lambda i: Request(self.method, self.path)
        document = self.document() if self.operation else ""
        name = Path(self.operation).stem if self.operation else None
        headers = {}
        if self.auth:
            headers["Authorization"] = f"Bearer {pools.tokens[self.auth]}"
        variables = self.variables or (lambda p, i: {})
        return lambda i: graphql_request(self.path, document, variables(pools, i), name, headers)


def _cycle(values: list, i: int):
    return values[i % len(values)]


PRODUCT_LIST = "storefront/Products.graphql"

SCENARIOS: list[Scenario] = [
    Scenario(
        "django-health", "GET /health/: Django with every middleware, no GraphQL, no SQL (scale)",
        method="GET", path="/health/",
    ),
    Scenario(
        "floor-products-100", "the floor: the product list (100) from hand-written SQL + orjson in bare WSGI",
        server="floor", variables=lambda p, i: {"first": 100}, floor_for="products-100",
    ),
    Scenario(
        "products-100", "storefront product list, first: 100 (variants, prices, thumbnail, designer, category)",
        operation=PRODUCT_LIST, variables=lambda p, i: {"first": 100},
        targets={"queries": 6, "p50_ms": 30, "p95_ms": 50, "rps": 50, "floor_ratio": 7},
    ),
    Scenario(
        "floor-products-32", "the floor: the product list (32)",
        server="floor", variables=lambda p, i: {"first": 32}, floor_for="products-32",
    ),
    Scenario(
        "products-32", "storefront product list, first: 32",
        operation=PRODUCT_LIST, variables=lambda p, i: {"first": 32}, targets={"queries": 6, "rps": 130},
    ),
    Scenario(
        "designers-24", "storefront designer list, first: 24",
        operation="storefront/Designers.graphql", variables=lambda p, i: {"first": 24},
    ),
    Scenario(
        "designer-by-slug", "designer profile by slug (200 designers, cycled)",
        operation="storefront/DesignerBySlug.graphql", variables=lambda p, i: {"slug": _cycle(p.designer_slugs, i)},
        needs=lambda p: bool(p.designer_slugs),
    ),
]
