"""The money invariants, checked read-only against the database (``manage.py check_money``).

For every purchase::

    captured - refunded == what its orders say

where *captured* is the sum of its SUCCEEDED payments (cash on delivery: the cash collected so far,
payments/cod.py), *refunded* the sum of the refunds of all its
orders, and *what its orders say* the sum of ``total - refunded_amount`` over the orders whose money
entered the ledger (their SALE entry exists). An order cancelled before it was paid never entered
the ledger: money taken for it late is shown as a difference until it is refunded.

For every order: ``refunded_amount`` equals the sum of its refunds; a paid order has its SALE in the
ledger; a ledger order's SALE equals its total and its REFUND entries its refunded amount.

For every designer and currency: the money the ledger says was moved to the designer's account
(TRANSFER + TRANSFER_REVERSAL) equals what the succeeded transfer rows and the bank payouts not
failed say, and the balance the
designer is shown (all from the ledger) never has less available than zero: more cannot have been
paid out of the account than was moved into it.

Every amount is compared in the currency's smallest unit (integers), so nothing is rounded away.
Each query streams its rows; the check holds no lock and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, Sum

from payments import ledger
from payments.models import BankPayout, LedgerEntry, Payment, Refund, Transfer
from shop.core import money
from shop.orders.models import Order, Purchase

K = LedgerEntry.Kind


@dataclass(frozen=True)
class Difference:
    kind: str  # "purchase", "order", "designer"
    object_id: int
    currency: str
    what: str
    expected: int
    found: int

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.object_id} ({self.currency}): {self.what}: "
            f"expected {self.expected}, found {self.found} (difference {self.found - self.expected})"
        )


def _minor(amount, currency: str) -> int:
    return money.to_minor(amount, currency)


def _ledger_by_order() -> dict[int, dict[str, int]]:
    sums: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        LedgerEntry.objects.filter(order_id__isnull=False, kind__in=(K.SALE, K.REFUND))
        .order_by()
        .values_list("order_id", "kind")
        .annotate(total=Sum("amount"))
    )
    for order_id, kind, total in rows.iterator(chunk_size=5000):
        sums[order_id][kind] = int(total)
    return sums


def _refunds_by_order() -> dict[int, int]:
    # a refund still being made at the provider (PENDING) is not in the order's refunded amount yet
    rows = (
        Refund.objects.filter(status=Refund.Status.SUCCEEDED)
        .order_by()
        .values_list("order_id", "currency")
        .annotate(total=Sum("amount"))
    )
    return {order_id: _minor(total, currency) for order_id, currency, total in rows.iterator(chunk_size=5000)}


def _captured_by_purchase() -> dict[int, int]:
    rows = (
        Payment.objects.filter(status=Payment.Status.SUCCEEDED)
        .order_by()
        .values_list("purchase_id", "currency")
        .annotate(total=Sum("amount"))
    )
    return {pid: _minor(total, currency) for pid, currency, total in rows.iterator(chunk_size=5000)}


def order_and_purchase_differences() -> list[Difference]:
    found: list[Difference] = []
    in_ledger = _ledger_by_order()
    refunds = _refunds_by_order()
    captured = _captured_by_purchase()
    purchase_currency = dict(Purchase.objects.values_list("id", "currency").iterator(chunk_size=5000))
    orders_say: dict[int, int] = defaultdict(int)
    refunded_by_purchase: dict[int, int] = defaultdict(int)
    orders = Order.objects.order_by("id").values_list(
        "id", "purchase_id", "status", "currency", "total_amount", "refunded_amount"
    )
    for order_id, purchase_id, status, currency, total, refunded in orders.iterator(chunk_size=5000):
        total_minor, refunded_minor = _minor(total, currency), _minor(refunded, currency)
        refunded_by_purchase[purchase_id] += refunds.get(order_id, 0)
        if refunds.get(order_id, 0) != refunded_minor:
            found.append(
                Difference(
                    "order",
                    order_id,
                    currency,
                    "refunded amount vs its refunds",
                    refunds.get(order_id, 0),
                    refunded_minor,
                )
            )
        entries = in_ledger.get(order_id)
        if entries is None or K.SALE not in entries:
            if status in ledger.SOLD_STATUSES:
                found.append(Difference("order", order_id, currency, "paid order's SALE in the ledger", total_minor, 0))
            continue
        orders_say[purchase_id] += total_minor - refunded_minor
        if entries[K.SALE] != total_minor:
            found.append(
                Difference("order", order_id, currency, "SALE entry vs order total", total_minor, entries[K.SALE])
            )
        if -entries.get(K.REFUND, 0) != refunded_minor:
            found.append(
                Difference(
                    "order",
                    order_id,
                    currency,
                    "REFUND entries vs refunded amount",
                    refunded_minor,
                    -entries.get(K.REFUND, 0),
                )
            )
    for purchase_id, currency in purchase_currency.items():
        left = captured.get(purchase_id, 0) - refunded_by_purchase.get(purchase_id, 0)
        right = orders_say.get(purchase_id, 0)
        if left != right:
            found.append(
                Difference("purchase", purchase_id, currency, "captured - refunded vs its orders", right, left)
            )
    return found


def designer_differences() -> list[Difference]:
    found: list[Difference] = []
    sums: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    rows = LedgerEntry.objects.order_by().values_list("designer_id", "currency", "kind").annotate(total=Sum("amount"))
    for designer_id, currency, kind, total in rows.iterator(chunk_size=5000):
        sums[(designer_id, currency)][kind] = int(total)
    moved: dict[tuple[int, str], int] = defaultdict(int)
    transfers = (
        Transfer.objects.filter(status=Transfer.Status.SUCCEEDED)
        .order_by()
        .values_list("designer_id", "currency", "kind")
        .annotate(total=Sum("amount"))
    )
    for designer_id, currency, kind, total in transfers.iterator(chunk_size=5000):
        moved[(designer_id, currency)] += int(total) if kind == Transfer.Kind.TRANSFER else -int(total)
    # A bank payout (payOS) is paid from what the platform holds: its TRANSFER entry releases the
    # money for it, a failed one's TRANSFER_REVERSAL gives it back (payments/bank_payouts.py).
    released = (
        BankPayout.objects.filter(kind=BankPayout.Kind.DESIGNER)
        .exclude(status=BankPayout.Status.FAILED)
        .order_by()
        .values_list("designer_id", "currency")
        .annotate(total=Sum("amount"))
    )
    for designer_id, currency, total in released.iterator(chunk_size=5000):
        moved[(designer_id, currency)] += int(total)
    for key in sorted(set(sums) | set(moved)):
        designer_id, currency = key
        by_kind = sums.get(key, {})
        in_ledger = sum(by_kind.get(k, 0) for k in ledger.TRANSFER_KINDS)
        if in_ledger != moved.get(key, 0):
            found.append(
                Difference(
                    "designer",
                    designer_id,
                    currency,
                    "transfers in the ledger vs transfer rows",
                    moved.get(key, 0),
                    in_ledger,
                )
            )
        balance = ledger.balance_from_sums(currency, {k: by_kind.get(k, 0) for k in K.values})
        if balance.available < 0:
            found.append(
                Difference(
                    "designer",
                    designer_id,
                    currency,
                    "available (transferred - paid out) below zero",
                    0,
                    balance.available,
                )
            )
    return found


def money_differences() -> list[Difference]:
    """Every difference, purchases and orders first, then designers."""
    return order_and_purchase_differences() + designer_differences()


def counts() -> dict[str, int]:
    return {
        "purchases": Purchase.objects.count(),
        "orders": Order.objects.count(),
        "payments succeeded": Payment.objects.filter(status=Payment.Status.SUCCEEDED).count(),
        "refunds": Refund.objects.count(),
        "ledger entries": LedgerEntry.objects.count(),
        "designers in the ledger": LedgerEntry.objects.values("designer_id").distinct().count(),
        "transfers succeeded": Transfer.objects.filter(Q(status=Transfer.Status.SUCCEEDED)).count(),
    }
