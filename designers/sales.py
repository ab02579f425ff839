"""Sales tracking writes: the daily rollups (``SalesDay``, ``ProductSalesDay``, ``BuyerDay``).

The payments services (a higher layer) call these in the transaction that moves the money, with
plain values: integers in the currency's smallest unit and the moment the movement happened. The
rules of what counts (written once, here and in ``designers.sales_selectors``):

- only paid money counts: an order enters the rollups when it is paid, on the day it was paid
  (gross, commission, orders, units); an order cancelled before it was paid never does;
- a refund counts on the day it is made, not the day of the sale; a lost dispute counts like a
  refund on the day the loss is recorded, a won dispute gives it back on the day it is won; the
  commission given back with them is taken off the commission of that day;
- a paid order that staff cancel stays a sale until its money is refunded (the refund then counts
  on its own day, like any refund);
- days are calendar days in ``settings.MARKETPLACE_TIME_ZONE`` (an order paid at 23:30 in Hanoi
  belongs to that Hanoi day).

Each call is one SQL statement (upserts adding to the day's row), rows written in key order so
that concurrent payments of one designer wait for each other instead of deadlocking. Callers call
once per movement (the movements are recorded once: unique refund keys, the dispute's flags, the
purchase's status); ``manage.py rebuild_sales`` recomputes everything from the source tables.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from designers.models import BuyerDay, ProductSalesDay, SalesDay


def marketplace_zone() -> ZoneInfo:
    return ZoneInfo(settings.MARKETPLACE_TIME_ZONE)


def local_day(at: datetime) -> date:
    """The marketplace calendar day of a moment."""
    return at.astimezone(marketplace_zone()).date()


def buyer_key(*, user_id: int | None, email: str) -> str:
    """Who bought, for counting distinct buyers: the account, else the guest's email (hashed)."""
    if user_id:
        return f"u:{user_id}"
    return "e:" + hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class SaleLine:
    product_id: int | None  # None: the product is gone (the line still counts for the designer)
    units: int
    amount: int


@dataclass(frozen=True)
class Sale:
    """One paid order, as the rollups see it."""

    designer_id: int
    currency: str
    at: datetime
    gross: int
    commission: int
    buyer: str
    lines: list[SaleLine] = field(default_factory=list)


# --- SQL: additive upserts ------------------------------------------------------------------------


def _execute(statements: list[tuple[str, list]]) -> None:
    """Several upserts as one statement (data-modifying CTEs: one round trip)."""
    statements = [s for s in statements if s[0]]
    if not statements:
        return
    if len(statements) == 1:
        sql, params = statements[0]
    else:
        parts, params = [], []
        for i, (sql_i, params_i) in enumerate(statements):
            parts.append(f"s{i} AS ({sql_i} RETURNING 1)")
            params += params_i
        sql = "WITH " + ", ".join(parts) + " SELECT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _designer_rows(rows: dict[tuple, list[int]]):
    """Upsert of ``SalesDay`` rows: {(designer_id, day, currency): [gross, refunds, commission,
    orders, units]}, added to what the day already has, in key order."""
    rows = {k: v for k, v in rows.items() if any(v)}
    if not rows:
        return "", []
    table = SalesDay._meta.db_table
    params: list = []
    for key in sorted(rows):
        params += [*key, *rows[key]]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    added = ", ".join(
        f'{c} = "{table}".{c} + EXCLUDED.{c}' for c in ("gross", "refunds", "commission", "orders", "units")
    )
    sql = (
        f'INSERT INTO "{table}" (designer_id, day, currency, gross, refunds, commission, orders, units) '
        f"VALUES {values} ON CONFLICT (designer_id, day, currency) DO UPDATE SET {added}"
    )
    return sql, params


def _product_rows(rows: dict[tuple, list[int]]):
    rows = {k: v for k, v in rows.items() if any(v)}
    if not rows:
        return "", []
    # key: (product_id, day, currency); the designer rides along as the first added value
    table = ProductSalesDay._meta.db_table
    params: list = []
    for key in sorted(rows):
        params += [*key, *rows[key]]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    added = ", ".join(f'{c} = "{table}".{c} + EXCLUDED.{c}' for c in ("revenue", "refunds", "orders", "units"))
    sql = (
        f'INSERT INTO "{table}" (product_id, day, currency, designer_id, revenue, refunds, orders, units) '
        f"VALUES {values} ON CONFLICT (product_id, day, currency) DO UPDATE SET {added}"
    )
    return sql, params


def _buyer_rows(keys: set[tuple]):
    if not keys:
        return "", []
    table = BuyerDay._meta.db_table
    params = [value for key in sorted(keys) for value in key]
    values = ", ".join(["(%s, %s, %s)"] * len(keys))
    return f'INSERT INTO "{table}" (day, currency, buyer) VALUES {values} ON CONFLICT DO NOTHING', params


def add_sale(sale: Sale, *, days: dict[tuple, list[int]], products: dict[tuple, list[int]], buyers: set[tuple]) -> None:
    """What one paid order adds to the rollups, on the day it was paid, into the rows being built:
    ``days`` {(designer_id, day, currency): [gross, refunds, commission, orders, units]} (a
    defaultdict of zeros), ``products`` {(product_id, day, currency): [designer_id, revenue,
    refunds, orders, units]}, ``buyers`` {(day, currency, buyer)}. The writes below and the rebuild
    (payments/rollups.py) both count a sale through here."""
    day = local_day(sale.at)
    row = days[(sale.designer_id, day, sale.currency)]
    row[0] += sale.gross
    row[2] += sale.commission
    row[3] += 1
    row[4] += sum(line.units for line in sale.lines)
    buyers.add((day, sale.currency, sale.buyer))
    in_order: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in sale.lines:
        if line.product_id is not None:
            in_order[line.product_id][0] += line.amount
            in_order[line.product_id][1] += line.units
    for product_id, (amount, units) in in_order.items():
        prow = products.setdefault((product_id, day, sale.currency), [sale.designer_id, 0, 0, 0, 0])
        prow[1] += amount
        prow[3] += 1
        prow[4] += units


# --- the entry points ------------------------------------------------------------------------------


def record_sales(sales: list[Sale]) -> None:
    """Paid orders enter the rollups of the day each was paid (one statement)."""
    if not sales:
        return
    days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    products: dict[tuple, list[int]] = {}
    buyers: set[tuple] = set()
    for sale in sales:
        add_sale(sale, days=days, products=products, buyers=buyers)
    _execute([_designer_rows(dict(days)), _product_rows(products), _buyer_rows(buyers)])


def record_adjustment(
    *,
    designer_id: int,
    currency: str,
    at: datetime,
    refunds: int = 0,
    commission: int = 0,
    product_refunds: dict[int, int] | None = None,
) -> None:
    """Money given back (a refund, a dispute lost: ``refunds`` > 0) or recovered (a dispute won:
    ``refunds`` < 0), with the change of the commission it brings (``commission``, negative when
    commission is given back), on the day ``at``. ``product_refunds``: the value refunded per
    product when the refund named its lines."""
    day = local_day(at)
    products = {
        (product_id, day, currency): [designer_id, 0, amount, 0, 0]
        for product_id, amount in (product_refunds or {}).items()
        if product_id is not None and amount
    }
    _execute(
        [
            _designer_rows({(designer_id, day, currency): [0, refunds, commission, 0, 0]}),
            _product_rows(products),
        ]
    )
