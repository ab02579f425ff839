"""Stock moves: every change of a variant's stock, taken when a purchase is placed and returned
when an order is cancelled, a placed purchase discarded or a refund restocks.

Variants are row-locked in id order (the one order every stock change uses, after the checkout,
purchase and order locks: see :mod:`shop.orders.placement`), so that concurrent completions,
cancellations, refunds and expiries wait for each other instead of deadlocking. Each move is one
UPDATE whatever the number of variants, and tells the catalog's read cache what changed.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.catalog import cache as catalog_cache
from shop.catalog.models import ProductType, ProductVariant
from shop.core.errors import ServiceError
from shop.orders.errors import OrderErrorCode


def _lock_variants(ids) -> list[int]:
    """Row-lock variants in id order (the one order every stock change uses: no deadlocks)."""
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(
        ProductVariant.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
    )


def _adjust_stock(quantities: dict[int, int], *, sign: int, locked: bool = False) -> set[int]:
    """One UPDATE for all variants; taking is conditional (never below zero). Returns the ids
    actually changed. ``locked``: the caller already holds the variants' row locks (taken in id
    order), so they are not taken again."""
    quantities = {k: v for k, v in quantities.items() if v > 0}
    if not quantities:
        return set()
    if not locked:
        _lock_variants(quantities)
    table = ProductVariant._meta.db_table
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(quantities))
    params: list = [timezone.now()]
    for pk, qty in sorted(quantities.items()):
        params += [pk, qty]
    op, guard = ("-", " AND v.stock_quantity >= d.q") if sign < 0 else ("+", "")
    sql = (
        f"UPDATE {table} AS v SET stock_quantity = v.stock_quantity {op} d.q, updated_at = %s "
        f"FROM (VALUES {values}) AS d(id, q) WHERE v.id = d.id{guard} "
        "RETURNING v.id, v.product_id, v.designer_id, v.stock_quantity, d.q"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The storefront shows stock: the read cache forgets these products (and lists, when a variant
    # sold out or came back in stock: the inStock filter's answers change).
    crossed = any((stock == 0) if sign < 0 else (stock == q) for _id, _p, _d, stock, q in rows)
    catalog_cache.products_changed({(p, d) for _id, p, d, _s, _q in rows}, listing=crossed)
    return {row[0] for row in rows}


def take_stock(quantities: dict[int, int], *, locked: bool = False) -> None:
    taken = _adjust_stock(quantities, sign=-1, locked=locked)
    missing = {pk for pk, q in quantities.items() if q > 0} - taken
    if missing:
        # Callers validate against locked rows first, so this is a last line of defence.
        raise ServiceError(OrderErrorCode.INSUFFICIENT_STOCK, _("Some items are no longer in stock."), "lines")


def return_stock(lines) -> None:
    quantities: dict[int, int] = {}
    for line in lines:
        if line.product_type == ProductType.PHYSICAL and line.variant_id:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity - line.refunded_quantity
    _adjust_stock(quantities, sign=+1)


def restock(quantities: dict[int, int]) -> None:
    """Put units back in stock (``{variant_id: quantity}``; a refund with restock): the variants
    locked in id order like every stock change, one UPDATE."""
    _adjust_stock(quantities, sign=+1)
