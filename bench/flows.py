"""Multi-request scenarios: a buyer's checkout from create to complete with the dummy gateway.

One purchase = ``CheckoutCreate`` (the line, the email and the address in one call) →
``CheckoutShippingMethodUpdate`` (one of the designer's methods) → ``CheckoutComplete``
(``gateway: "dummy"``), each the operation of ``graphql/operations/storefront/``, each over the
same keep-alive connection, the next one sent when the previous one has answered. A buyer that
cannot buy (the variant sold out under it) is *refused*: expected when stock runs out, and counted
apart from failures.

The stock check (``check_stock``) compares the database before and after a contended run: no
variant below zero, and every unit that left stock is on exactly one order line of the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psycopg

from bench.client import Connection, HTTPError, graphql_request

OPERATIONS = Path(__file__).resolve().parent.parent / "graphql" / "operations" / "storefront"
STEPS = ("CheckoutCreate", "CheckoutShippingMethodUpdate", "CheckoutComplete")
_documents: dict[str, str] = {}


def document(name: str) -> str:
    if name not in _documents:
        _documents[name] = (OPERATIONS / f"{name}.graphql").read_text()
    return _documents[name]


ADDRESS = {
    "recipientName": "Đỗ Mai Anh",
    "phone": "0912345678",
    "streetAddress": "12 Hàng Gai",
    "ward": "Phường Hoàn Kiếm",
    "province": "Hà Nội",
}


@dataclass
class Purchase:
    """What one buyer's attempt came to."""

    completed: bool = False
    refused: str | None = None  # the error code when the buyer could not buy (sold out)
    failed: str | None = None  # anything else: HTTP errors, unexpected GraphQL errors
    seconds: float = 0.0
    steps: dict[str, tuple[float, int | None, int]] = field(default_factory=dict)  # name -> (seconds, queries, bytes)
    order_number: str | None = None


REFUSALS = {"INSUFFICIENT_STOCK", "PRODUCT_UNAVAILABLE"}


async def _step(
    conn: Connection, purchase: Purchase, name: str, variables: dict, payload: str, *, close: bool
) -> dict | None:
    response = await conn.send(graphql_request("/graphql/", document(name), variables, name), close=close)
    queries = int(response.headers["x-query-count"]) if "x-query-count" in response.headers else None
    purchase.steps[name] = (response.seconds, queries, len(response.body))
    if response.status != 200:
        purchase.failed = f"{name}: HTTP {response.status} {response.body[:200]!r}"
        return None
    body = orjson.loads(response.body)
    if body.get("errors"):
        purchase.failed = f"{name}: {orjson.dumps(body['errors'])[:300].decode()}"
        return None
    result = body["data"][payload]
    errors = result.get("errors") or []
    if errors:
        codes = {e["code"] for e in errors}
        if codes & REFUSALS:
            purchase.refused = sorted(codes & REFUSALS)[0]
        else:
            purchase.failed = f"{name}: {orjson.dumps(errors)[:300].decode()}"
        return None
    return result


async def buy(
    conn: Connection, variant_id: str, method_id: str | None, buyer: int, *, close: bool = False, quantity: int = 1
) -> Purchase:
    """One buyer, one line: create → shipping method (physical goods) → complete."""
    purchase = Purchase()
    started = time.perf_counter()
    try:
        created = await _step(
            conn,
            purchase,
            "CheckoutCreate",
            {
                "input": {
                    "email": f"buyer{buyer}@bench.example",
                    "lines": [{"variantId": variant_id, "quantity": quantity}],
                    "shippingAddress": ADDRESS if method_id else None,
                }
            },
            "checkoutCreate",
            close=close,
        )
        if created is None:
            return purchase
        token = created["checkout"]["token"]
        if method_id:
            chosen = await _step(
                conn,
                purchase,
                "CheckoutShippingMethodUpdate",
                {"token": token, "input": {"shippingMethodId": method_id}},
                "checkoutShippingMethodUpdate",
                close=close,
            )
            if chosen is None:
                return purchase
        completed = await _step(
            conn,
            purchase,
            "CheckoutComplete",
            {"token": token, "input": {"gateway": "dummy"}},
            "checkoutComplete",
            close=close,
        )
        if completed is None:
            return purchase
        status = completed["purchase"]["status"]
        if status != "PAID":
            purchase.failed = f"CheckoutComplete: purchase {status}, expected PAID"
            return purchase
        purchase.completed = True
        purchase.order_number = completed["purchase"]["orders"][0]["number"]
        return purchase
    except HTTPError as exc:
        purchase.failed = str(exc)
        return purchase
    finally:
        purchase.seconds = time.perf_counter() - started


# --- the stock check ---------------------------------------------------------------------------


def set_stock(database_url: str, variant_pks: list[int], quantity: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE catalog_productvariant SET stock_quantity = %s WHERE id = ANY(%s)", [quantity, variant_pks]
        )


def stock_snapshot(database_url: str, variant_pks: list[int]) -> dict:
    with psycopg.connect(database_url, autocommit=True) as conn:
        stock = dict(
            conn.execute(
                "SELECT id, stock_quantity FROM catalog_productvariant WHERE id = ANY(%s)", [variant_pks]
            ).fetchall()
        )
        last_line = conn.execute("SELECT coalesce(max(id), 0) FROM orders_orderline").fetchone()[0]
    return {"stock": stock, "last_line": last_line}


def check_stock(database_url: str, variant_pks: list[int], before: dict, completed: int) -> dict:
    """Stock never below zero; every unit taken is on one order line placed during the run (of a
    purchase that is still live); the buyers' completions add up to the lines."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        after = dict(
            conn.execute(
                "SELECT id, stock_quantity FROM catalog_productvariant WHERE id = ANY(%s)", [variant_pks]
            ).fetchall()
        )
        sold = dict(
            conn.execute(
                "SELECT l.variant_id, sum(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
                "WHERE l.id > %s AND l.variant_id = ANY(%s) AND o.status <> 'CANCELLED' GROUP BY l.variant_id",
                [before["last_line"], variant_pks],
            ).fetchall()
        )
        purchases = conn.execute(
            "SELECT count(DISTINCT o.purchase_id) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "WHERE l.id > %s AND l.variant_id = ANY(%s) AND o.status = 'PAID'",
            [before["last_line"], variant_pks],
        ).fetchone()[0]
    negative = {pk: q for pk, q in after.items() if q < 0}
    mismatched = {
        pk: {"before": before["stock"][pk], "after": after[pk], "sold": int(sold.get(pk, 0))}
        for pk in variant_pks
        if before["stock"][pk] - after[pk] != int(sold.get(pk, 0))
    }
    oversold = {
        pk: int(sold.get(pk, 0)) - before["stock"][pk]
        for pk in variant_pks
        if int(sold.get(pk, 0)) > before["stock"][pk]
    }
    return {
        "variants": len(variant_pks),
        "stock_before": sum(before["stock"].values()),
        "stock_after": sum(after.values()),
        "units_sold": int(sum(sold.values())),
        "paid_purchases": purchases,
        "completed_by_buyers": completed,
        "negative_stock": negative,
        "oversold": oversold,
        "mismatched": mismatched,
        "ok": not negative and not oversold and not mismatched and purchases == completed,
    }
