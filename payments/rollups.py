"""The sales rollups (designers/sales.py) fed from the money movements, and rebuilt from scratch.

The payments services call one function of this module per movement, in the movement's
transaction: :func:`orders_paid` (the SALE and COMMISSION of paid orders), :func:`refund_made`
(a refund and the commission it gives back), :func:`dispute_moved` (a dispute lost or won, per
order). :func:`rebuild` recomputes every rollup from orders, order lines, refunds and the
ledger's dispute and commission entries (``manage.py rebuild_sales``).

Day of each amount (the same here and in the rebuild, so the two always agree):
sale, commission on it, orders and units: the order's ``paid_at``; a refund: its ``created_at``;
a dispute and any commission given back or taken again: the ledger entry's ``created_at``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from designers import sales
from designers.models import BuyerDay, ProductSalesDay, SalesDay
from payments.models import LedgerEntry, Refund
from shop.core import money
from shop.orders.models import Order, OrderLine, Purchase

K = LedgerEntry.Kind


def _lines_by_order(orders: list[Order]) -> dict[int, list[sales.SaleLine]]:
    """Each order's lines with their product (one query)."""
    currency = {o.pk: o.currency for o in orders}
    lines: dict[int, list[sales.SaleLine]] = defaultdict(list)
    rows = (
        OrderLine.objects.filter(order_id__in=list(currency))
        .order_by()
        .values_list("order_id", "variant__product_id", "quantity", "total_amount")
    )
    for order_id, product_id, quantity, total in rows:
        lines[order_id].append(sales.SaleLine(product_id, quantity, money.to_minor(total, currency[order_id])))
    return lines


def _load_purchases(orders: list[Order]) -> None:
    """Orders whose purchase is not loaded get it (one query for all)."""
    missing = {o.purchase_id for o in orders if not Order.purchase.is_cached(o)}
    if missing:
        purchases = {p.pk: p for p in Purchase.objects.filter(pk__in=missing).only("pk", "user_id", "email")}
        for o in orders:
            if not Order.purchase.is_cached(o):
                o.purchase = purchases[o.purchase_id]


def _sale(order: Order, commission: int, lines: list[sales.SaleLine]) -> sales.Sale:
    purchase = order.purchase
    return sales.Sale(
        designer_id=order.designer_id,
        currency=order.currency,
        at=order.paid_at or timezone.now(),
        gross=money.to_minor(order.total_amount, order.currency),
        commission=commission,
        buyer=sales.buyer_key(user_id=purchase.user_id, email=purchase.email),
        lines=lines,
    )


def orders_paid(orders: list[Order], entries: list[LedgerEntry]) -> None:
    """Paid orders (their purchase loaded or loadable) and the SALE/COMMISSION entries just
    written for them enter the rollups. Call once per order (when it becomes paid)."""
    if not orders:
        return
    commission = defaultdict(int)
    for entry in entries:
        if entry.kind == K.COMMISSION:
            commission[entry.order_id] -= entry.amount
    _load_purchases(orders)
    lines = _lines_by_order(orders)
    sales.record_sales([_sale(o, commission[o.pk], lines.get(o.pk, [])) for o in orders])


def _commission_change(reference: str) -> tuple[int, object]:
    entry = LedgerEntry.objects.filter(reference=reference).only("amount", "created_at").first()
    return (entry.amount, entry.created_at) if entry is not None else (0, None)


def refund_made(order: Order, refund: Refund) -> None:
    """A refund of an order in the designer's ledger (after its REFUND and COMMISSION_REFUND
    entries are written): counted on the refund's day."""
    key = refund.idempotency_key
    given_back, given_back_at = _commission_change(f"commission-refund:{key}")
    product_refunds = _product_values(refund.lines, order.currency)
    sales.record_adjustment(
        designer_id=order.designer_id,
        currency=refund.currency,
        at=refund.created_at,
        refunds=money.to_minor(refund.amount, refund.currency),
        product_refunds=product_refunds,
    )
    if given_back:
        sales.record_adjustment(
            designer_id=order.designer_id, currency=refund.currency, at=given_back_at, commission=-given_back
        )


def _product_values(refund_lines: list[dict], currency: str) -> dict[int, int]:
    if not refund_lines:
        return {}
    quantities = {item["line_id"]: item["quantity"] for item in refund_lines}
    values: dict[int, int] = defaultdict(int)
    for line_id, product_id, unit in OrderLine.objects.filter(pk__in=quantities).values_list(
        "pk", "variant__product_id", "unit_price_amount"
    ):
        if product_id is not None:
            values[product_id] += money.to_minor(unit * quantities[line_id], currency)
    return dict(values)


def dispute_moved(references: Iterable[tuple[str, str]]) -> None:
    """Dispute entries just written: ``(dispute entry reference, commission entry reference)``
    per order. A loss counts like a refund, a win gives it back; each on its entry's day."""
    references = list(references)
    wanted = [r for pair in references for r in pair]
    if not wanted:
        return
    entries = {e.reference: e for e in LedgerEntry.objects.filter(reference__in=wanted)}
    for dispute_ref, commission_ref in references:
        entry = entries.get(dispute_ref)
        if entry is not None:
            sales.record_adjustment(
                designer_id=entry.designer_id, currency=entry.currency, at=entry.created_at, refunds=-entry.amount
            )
        change = entries.get(commission_ref)
        if change is not None:
            sales.record_adjustment(
                designer_id=change.designer_id,
                currency=change.currency,
                at=change.created_at,
                commission=-change.amount,
            )


# --- the rebuild -----------------------------------------------------------------------------------


def _in_ledger_orders() -> Iterable[Order]:
    sold = LedgerEntry.objects.filter(kind=K.SALE).values("order_id")
    return (
        Order.objects.filter(pk__in=sold)
        .select_related("purchase")
        .only(
            "pk",
            "designer_id",
            "currency",
            "total_amount",
            "paid_at",
            "created_at",
            "purchase__user_id",
            "purchase__email",
        )
        .order_by("pk")
    )


def recompute(progress: Callable[[int], None] | None = None, batch: int = 2000) -> dict:
    """Every rollup value recomputed from the source tables, in memory (the rebuild's data and
    the tests' oracle): {"days": {(designer, day, currency): [...]}, "products": {...},
    "buyers": {...}}."""
    days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    products: dict[tuple, list[int]] = {}
    buyers: set[tuple] = set()

    commission_on_sale = defaultdict(int)
    commission_changes = []
    disputes = []
    for entry in LedgerEntry.objects.filter(
        kind__in=[K.COMMISSION, K.COMMISSION_REFUND, K.DISPUTE, K.DISPUTE_REVERSAL]
    ).iterator(chunk_size=batch):
        if entry.kind == K.COMMISSION:
            commission_on_sale[entry.order_id] -= entry.amount
        elif entry.kind == K.COMMISSION_REFUND:
            commission_changes.append(entry)
        else:
            disputes.append(entry)

    orders = _in_ledger_orders()
    pending: list[Order] = []

    def flush():
        lines = _lines_by_order(pending)
        for o in pending:
            if o.paid_at is None:  # in the ledger, so its money was taken: when it was recorded
                o.paid_at = o.created_at
            sale = _sale(o, commission_on_sale[o.pk], lines.get(o.pk, []))
            sales.add_sale(sale, days=days, products=products, buyers=buyers)
        if progress:
            progress(len(pending))
        pending.clear()

    for order in orders.iterator(chunk_size=batch):
        pending.append(order)
        if len(pending) >= batch:
            flush()
    flush()

    in_ledger = LedgerEntry.objects.filter(kind=K.SALE).values("order_id")
    for refund in Refund.objects.filter(order_id__in=in_ledger).select_related("order").iterator(chunk_size=batch):
        order = refund.order
        day = sales.local_day(refund.created_at)
        days[(order.designer_id, day, refund.currency)][1] += money.to_minor(refund.amount, refund.currency)
        for product_id, value in _product_values(refund.lines, order.currency).items():
            prow = products.setdefault((product_id, day, refund.currency), [order.designer_id, 0, 0, 0, 0])
            prow[2] += value
    for entry in disputes:
        days[(entry.designer_id, sales.local_day(entry.created_at), entry.currency)][1] -= entry.amount
    for entry in commission_changes:
        days[(entry.designer_id, sales.local_day(entry.created_at), entry.currency)][2] -= entry.amount
    return {
        "days": {k: v for k, v in days.items() if any(v)},
        "products": {k: v for k, v in products.items() if any(v[1:])},
        "buyers": buyers,
    }


def order_count() -> int:
    return LedgerEntry.objects.filter(kind=K.SALE).count()


@transaction.atomic
def rebuild(progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Replace every sales rollup (not the page views) by a recomputation. The tables are locked
    meanwhile, so payments recorded during the rebuild wait and then add to the new rows."""
    with connection.cursor() as cursor:
        tables = ", ".join(f'"{m._meta.db_table}"' for m in (SalesDay, ProductSalesDay, BuyerDay))
        cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
    data = recompute(progress)
    SalesDay.objects.all().delete()
    ProductSalesDay.objects.all().delete()
    BuyerDay.objects.all().delete()
    statements = []
    chunk = 1000
    days, products = list(data["days"].items()), list(data["products"].items())
    buyers = sorted(data["buyers"])
    for i in range(0, len(days), chunk):
        statements.append(sales._designer_rows(dict(days[i : i + chunk])))
    for i in range(0, len(products), chunk):
        statements.append(sales._product_rows(dict(products[i : i + chunk])))
    for i in range(0, len(buyers), chunk):
        statements.append(sales._buyer_rows(set(buyers[i : i + chunk])))
    for statement in statements:
        sales._execute([statement])
    return {"days": len(days), "products": len(products), "buyers": len(buyers)}
