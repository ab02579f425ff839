"""The ledger we own: writing entries and the arithmetic on them.

Every amount here is an ``int`` in the currency's smallest unit (``money.to_minor``). An entry is
written once per movement: its ``reference`` is unique, so recording the same movement again (a
duplicated webhook, a retried task) returns the existing row and changes nothing.

Balances of a designer in one currency::

    earnings    = SALE + COMMISSION + COMMISSION_REFUND + REFUND + DISPUTE + DISPUTE_REVERSAL
    transferred = TRANSFER + TRANSFER_REVERSAL
    paid_out    = PAYOUT + PAYOUT_FAILED
    collected   = COD_COLLECTED              (cash the designer kept from buyers paying on delivery)
    held        = earnings - transferred - collected
    pending     = max(held, 0)               (earned, still held by the platform)
    owed        = max(-held, 0)              (the designer owes the platform: commission on cash
                                              collected on delivery, not yet netted)
    available   = transferred - paid_out     (in the designer's connected account)
    paidOut     = paid_out                   (sent to the designer's bank)

so ``pending - owed + available + paidOut + collected = earnings`` (what ``Balance.earned`` says).

Debts are netted, not collected: whatever the platform next holds for the designer (a new sale)
first pays the debt off, because ``held`` is one sum. The Stripe transfers never move more than
``held`` (payments/transfers.py ``_next_movement``), and a payout run pays :func:`payable_amount`.

An order enters the ledger when it is paid (:func:`sale_entries`: its SALE and the platform's
COMMISSION); from then on its money is the designer's (:func:`in_ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q, Sum

from payments.models import LedgerEntry
from shop.core import money
from shop.orders.models import Order, OrderStatus

K = LedgerEntry.Kind
EARNING_KINDS = (K.SALE, K.COMMISSION, K.COMMISSION_REFUND, K.REFUND, K.DISPUTE, K.DISPUTE_REVERSAL)
TRANSFER_KINDS = (K.TRANSFER, K.TRANSFER_REVERSAL)
PAYOUT_KINDS = (K.PAYOUT, K.PAYOUT_FAILED)
COLLECTED_KINDS = (K.COD_COLLECTED,)

# An order whose money was taken and may still be refunded; with REFUNDED, every order whose SALE
# is in the ledger.
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.DELIVERED, OrderStatus.PARTIALLY_REFUNDED)
SOLD_STATUSES = PAID_STATUSES + (OrderStatus.REFUNDED,)


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: int
    available: int
    paid_out: int
    owed: int = 0
    collected: int = 0

    @property
    def held(self) -> int:
        """What the platform holds for the designer, net of its debts (negative: owed)."""
        return self.pending - self.owed

    @property
    def earned(self) -> int:
        return self.pending - self.owed + self.available + self.paid_out + self.collected


def record(
    *,
    designer_id: int,
    kind: str,
    amount: int,
    currency: str,
    reference: str,
    order_id: int | None = None,
    description: str = "",
    data: dict | None = None,
) -> LedgerEntry | None:
    """Write one movement (idempotent by ``reference``). A zero amount writes nothing."""
    if not isinstance(amount, int):
        raise TypeError("ledger amounts are integers in the smallest currency unit")
    if amount == 0:
        return None
    entry, _created = LedgerEntry.objects.get_or_create(
        reference=reference,
        defaults={
            "designer_id": designer_id,
            "order_id": order_id,
            "kind": kind,
            "amount": amount,
            "currency": currency,
            "description": description[:255],
            "data": data or {},
        },
    )
    return entry


def sums_by_kind(**filters) -> dict[str, int]:
    rows = LedgerEntry.objects.filter(**filters).order_by().values("kind").annotate(total=Sum("amount"))
    totals = dict.fromkeys(K.values, 0)
    for row in rows:
        totals[row["kind"]] = int(row["total"] or 0)
    return totals


def balance_from_sums(currency: str, sums: dict[str, int]) -> Balance:
    earnings = sum(sums.get(k, 0) for k in EARNING_KINDS)
    transferred = sum(sums.get(k, 0) for k in TRANSFER_KINDS)
    paid_out = sum(sums.get(k, 0) for k in PAYOUT_KINDS)
    collected = sum(sums.get(k, 0) for k in COLLECTED_KINDS)
    held = earnings - transferred - collected
    return Balance(
        currency=currency,
        pending=max(held, 0),
        owed=max(-held, 0),
        available=transferred - paid_out,
        paid_out=paid_out,
        collected=collected,
    )


def balance(*, designer_id: int, currency: str) -> Balance:
    """One query."""
    return balance_from_sums(currency, sums_by_kind(designer_id=designer_id, currency=currency))


def held(*, designer_id: int, currency: str) -> int:
    """What the platform holds for the designer in ``currency``, net of what the designer owes
    (negative: the designer owes more than is held). One query."""
    return balance(designer_id=designer_id, currency=currency).held


def payable_amount(designer_id: int, currency: str) -> int:
    """What a payout run may pay the designer now, in the smallest unit: what the platform holds
    for it (earned, not yet transferred or collected in cash) minus what it owes (commission on
    cash collected on delivery), never below zero. A payout made from the platform's own balance
    must be written in the ledger as a movement that lowers ``held`` (a TRANSFER, then its PAYOUT),
    so that the next run does not pay it again."""
    return max(held(designer_id=designer_id, currency=currency), 0)


def designers_owing(currency: str | None = None):
    """(designer_id, currency, owed) for every designer whose debts exceed what is held for it,
    largest debt first. One query."""
    earning = Q(kind__in=EARNING_KINDS)
    moved = Q(kind__in=TRANSFER_KINDS + COLLECTED_KINDS)
    qs = LedgerEntry.objects.all()
    if currency:
        qs = qs.filter(currency=currency.upper())
    rows = (
        qs.order_by()
        .values("designer_id", "currency")
        .annotate(
            held=Sum("amount", filter=earning, default=0) - Sum("amount", filter=moved, default=0),
        )
        .filter(held__lt=0)
        .order_by("held", "designer_id")
    )
    return [(row["designer_id"], row["currency"], -int(row["held"])) for row in rows]


def order_owed(order_id: int) -> int:
    """What the designer has earned on the order so far (net of commission, refunds, disputes)."""
    sums = sums_by_kind(order_id=order_id, kind__in=EARNING_KINDS)
    return sum(sums.values())


def commission_amount(total: int, rate: Decimal) -> int:
    return int((Decimal(total) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sale_entries(order: Order) -> list[LedgerEntry]:
    """A paid order's SALE (its total) and the platform's COMMISSION (the designer's rate, or
    settings.PLATFORM_COMMISSION_RATE), unsaved; the order's designer is loaded."""
    total = money.to_minor(order.total_amount, order.currency)
    rate = order.designer.effective_commission_rate()
    commission = commission_amount(total, rate)
    entries = [
        LedgerEntry(
            designer_id=order.designer_id,
            order_id=order.pk,
            kind=K.SALE,
            amount=total,
            currency=order.currency,
            reference=f"sale:order-{order.pk}",
            description=f"Order {order.number}",
        )
    ]
    if commission:
        entries.append(
            LedgerEntry(
                designer_id=order.designer_id,
                order_id=order.pk,
                kind=K.COMMISSION,
                amount=-commission,
                currency=order.currency,
                reference=f"commission:order-{order.pk}",
                description=f"Commission {rate:%} on order {order.number}",
                data={"rate": str(rate)},
            )
        )
    return [e for e in entries if e.amount != 0]


def in_ledger(order: Order) -> bool:
    """Whether the order's money is the designer's (its SALE is in the ledger, written now if a
    paid order lacks it). An order cancelled before it was paid never was: money taken for it
    (a late payment) is the platform's to refund, and no designer entry is written for it."""
    if order.status in SOLD_STATUSES:
        LedgerEntry.objects.bulk_create(sale_entries(order), ignore_conflicts=True)  # idempotent
        return True
    return LedgerEntry.objects.filter(reference=f"sale:order-{order.pk}").exists()


def adjust_commission(*, order, currency: str, reference: str, description: str) -> LedgerEntry | None:
    """Bring the commission given back on an order in line with what the buyer lost (refunds and
    disputes), per ``settings.REFUND_COMMISSION_POLICY``: "proportional" gives the platform's share
    of the lost part back to the designer (rounded on the cumulative total, so a full refund gives
    back exactly the whole commission); "keep" never gives it back."""
    if settings.REFUND_COMMISSION_POLICY != "proportional":
        return None
    sums = sums_by_kind(order_id=order.pk)
    sale = sums[K.SALE]
    commission = -sums[K.COMMISSION]
    if sale <= 0 or commission <= 0:
        return None
    lost = -(sums[K.REFUND] + sums[K.DISPUTE] + sums[K.DISPUTE_REVERSAL])
    lost = min(max(lost, 0), sale)
    target = int((Decimal(commission) * lost / sale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    delta = target - sums[K.COMMISSION_REFUND]
    return record(
        designer_id=order.designer_id,
        order_id=order.pk,
        kind=K.COMMISSION_REFUND,
        amount=delta,
        currency=currency,
        reference=reference,
        description=description,
    )


def allocate(amount: int, weights: dict[int, int]) -> dict[int, int]:
    """Split ``amount`` across keys in proportion to ``weights`` (largest remainder), never giving
    a key more than its weight."""
    total = sum(w for w in weights.values() if w > 0)
    amount = min(amount, total)
    if amount <= 0 or total <= 0:
        return {}
    shares = {k: (amount * w) // total for k, w in weights.items() if w > 0}
    remainders = sorted(((amount * w) % total, k) for k, w in weights.items() if w > 0)
    left = amount - sum(shares.values())
    for _rem, key in reversed(remainders):
        if left <= 0:
            break
        if shares[key] < weights[key]:
            shares[key] += 1
            left -= 1
    return {k: v for k, v in shares.items() if v > 0}
