"""Designers' transfers (Stripe Connect): settling each order's share with the designer's
connected account.

A designer's order is settled by comparing what the designer earned on it (ledger) with what was
moved to its connected account (Transfer rows): the difference is transferred, or reversed. So a
transfer never exceeds what was charged, refunds and disputes reverse in proportion, and a designer
not yet onboarded (payments/payout_accounts.py) simply accrues until ``account.updated`` enables
payouts. A designer paid to a Vietnamese bank account (payments/bank_payouts.py) gets no transfer.

Every movement is a Transfer row written PENDING under the order's lock before the provider is
called, with the deterministic idempotency key ``transfer-order-<id>-<n>`` /
``reversal-order-<id>-<n>`` (the n-th movement of that order), so a retry reuses key and amount.
Anything that changes what the designer earned on an order queues its settlement after commit
(:func:`settle_later`).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Sum

from designers.models import Designer
from payments import bank_payouts, ledger, tasks
from payments.gateways import get_payout_provider
from payments.gateways.base import GatewayError
from payments.models import LedgerEntry, Payment, PayoutAccount, Transfer
from shop.core.queueing import enqueue
from shop.core.transactions import assert_no_transaction
from shop.orders.models import Order

logger = logging.getLogger(__name__)
K = LedgerEntry.Kind


def settle_later(order_id: int) -> None:
    """The order's settlement, queued once the current transaction commits (through the outbox)."""
    enqueue(tasks.settle_order_task, order_id)


def settle_order(*, order_id: int) -> list[Transfer]:
    """Move the designer's share of one order to or from its connected account until the ledger
    and the provider agree. Safe to call any number of times."""
    provider = get_payout_provider()
    if provider is None:
        return []
    _find_charge(order_id, provider)
    done = []
    for _attempt in range(5):
        row = _next_movement(order_id, provider)
        if row is None:
            break
        _execute(row, provider)
        row.refresh_from_db()
        if row.status != Transfer.Status.SUCCEEDED:
            break
        done.append(row)
    return done


def orders_to_settle(designer_id: int) -> list[int]:
    """Every order the designer has sold (payouts were just enabled: each is settled)."""
    return list(
        LedgerEntry.objects.filter(designer_id=designer_id, kind=K.SALE, order__isnull=False)
        .order_by("order_id")
        .values_list("order_id", flat=True)
    )


def _moved(order_id: int) -> int:
    """Transferred minus reversed on the order, counting movements still being made."""
    rows = (
        Transfer.objects.filter(order_id=order_id)
        .exclude(status=Transfer.Status.FAILED)
        .order_by()
        .values("kind")
        .annotate(total=Sum("amount"))
    )
    totals = {row["kind"]: int(row["total"]) for row in rows}
    return totals.get(Transfer.Kind.TRANSFER, 0) - totals.get(Transfer.Kind.REVERSAL, 0)


def _reversed(parent: Transfer) -> int:
    """What of a transfer is reversed, or being reversed."""
    return parent.reversals.exclude(status=Transfer.Status.FAILED).aggregate(s=Sum("amount"))["s"] or 0


def _reversal(parent: Transfer, *, amount: int, idempotency_key: str) -> Transfer:
    """A PENDING reversal of part of a transfer, to the same account."""
    return Transfer.objects.create(
        order_id=parent.order_id,
        designer_id=parent.designer_id,
        kind=Transfer.Kind.REVERSAL,
        parent=parent,
        amount=amount,
        currency=parent.currency,
        destination=parent.destination,
        idempotency_key=idempotency_key,
    )


def _next_movement(order_id: int, provider) -> Transfer | None:
    """Under the order's lock: the movement still to make (an unfinished one first), or None."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            return None
        unfinished = order.payout_transfers.filter(status=Transfer.Status.PENDING).select_related("parent").first()
        if unfinished is not None:
            return unfinished
        payment = (
            Payment.objects.filter(purchase_id=order.purchase_id, status=Payment.Status.SUCCEEDED, gateway=provider.id)
            .exclude(charge_id="")
            .first()
        )
        account = PayoutAccount.objects.filter(designer_id=order.designer_id, payouts_enabled=True).first()
        if payment is None or account is None:
            return None  # paid another way, or not onboarded yet: the share accrues in the ledger
        if bank_payouts.paid_by_bank(order.designer_id):
            return None  # the designer is paid to its Vietnamese bank account by the payout run
        owed = ledger.order_owed(order.pk)
        moved = _moved(order.pk)
        n = order.payout_transfers.count() + 1
        if owed > moved:
            amount = min(owed - moved, _movable(order.designer_id, order.currency))
            if amount <= 0:
                return None  # the designer's debts (cash on delivery) take this share first
            return Transfer.objects.create(
                order=order,
                designer_id=order.designer_id,
                kind=Transfer.Kind.TRANSFER,
                amount=amount,
                currency=order.currency,
                destination=account.account_id,
                source_transaction=payment.charge_id,
                idempotency_key=f"transfer-order-{order.pk}-{n}",
            )
        if owed < moved:
            for parent in order.payout_transfers.filter(
                kind=Transfer.Kind.TRANSFER, status=Transfer.Status.SUCCEEDED
            ).order_by("-id"):
                remaining = parent.amount - _reversed(parent)
                if remaining > 0:
                    return _reversal(
                        parent, amount=min(moved - owed, remaining), idempotency_key=f"reversal-order-{order.pk}-{n}"
                    )
        return None


def _movable(designer_id: int, currency: str) -> int:
    """Under the designer's lock (taken here, after the order's): what may still be moved to the
    designer, i.e. what the platform holds for it net of its debts, minus the movements being made.
    This is where debts are netted against transfers."""
    Designer.objects.select_for_update().filter(pk=designer_id).first()
    rows = (
        Transfer.objects.filter(designer_id=designer_id, currency=currency, status=Transfer.Status.PENDING)
        .order_by()
        .values("kind")
        .annotate(total=Sum("amount"))
    )
    in_flight = {row["kind"]: int(row["total"]) for row in rows}
    moving = in_flight.get(Transfer.Kind.TRANSFER, 0) - in_flight.get(Transfer.Kind.REVERSAL, 0)
    return ledger.held(designer_id=designer_id, currency=currency) - moving


def _execute(row: Transfer, provider) -> None:
    """Make a recorded (PENDING) movement at the provider, outside any transaction."""
    assert_no_transaction("PayoutProvider transfer")
    metadata = {"order_id": row.order_id, "transfer_row": row.pk, "designer_id": row.designer_id}
    try:
        if row.kind == Transfer.Kind.TRANSFER:
            purchase_id = Order.objects.filter(pk=row.order_id).values_list("purchase_id", flat=True).first()
            provider_id = provider.create_transfer(
                amount=row.amount,
                currency=row.currency,
                destination=row.destination,
                source_transaction=row.source_transaction,
                transfer_group=f"purchase-{purchase_id}",
                idempotency_key=row.idempotency_key,
                metadata=metadata,
            )
        else:
            provider_id = provider.reverse_transfer(
                transfer_id=row.parent.provider_id,
                amount=row.amount,
                idempotency_key=row.idempotency_key,
                metadata=metadata,
            )
    except GatewayError as exc:
        if exc.retryable:
            raise  # the task retries: the PENDING row is resumed with the same key and amount
        with transaction.atomic():
            updated = Transfer.objects.filter(pk=row.pk, status=Transfer.Status.PENDING).update(
                status=Transfer.Status.FAILED, error=f"{exc.code}: {exc}"[:2000]
            )
        if updated:
            logger.error("transfer %s for order %s refused by the provider: %s", row.idempotency_key, row.order_id, exc)
        return
    complete_transfer(transfer_id=row.pk, provider_id=provider_id)


@transaction.atomic
def complete_transfer(*, transfer_id: int, provider_id: str) -> Transfer | None:
    """The provider made the movement: mark it and write it in the ledger (once)."""
    row = Transfer.objects.select_for_update().filter(pk=transfer_id).first()
    if row is None or row.status == Transfer.Status.SUCCEEDED:
        return row
    row.status = Transfer.Status.SUCCEEDED
    row.provider_id = provider_id
    row.error = ""
    row.save(update_fields=["status", "provider_id", "error", "updated_at"])
    is_transfer = row.kind == Transfer.Kind.TRANSFER
    ledger.record(
        designer_id=row.designer_id,
        order_id=row.order_id,
        kind=K.TRANSFER if is_transfer else K.TRANSFER_REVERSAL,
        amount=row.amount if is_transfer else -row.amount,
        currency=row.currency,
        reference=f"transfer:{row.idempotency_key}",
        description=provider_id,
    )
    return row


def _find_charge(order_id: int, provider) -> None:
    """A payment confirmed without its charge id (e.g. found succeeded by the expiry check rather
    than by the webhook): ask the provider, outside any transaction."""
    payment = (
        Payment.objects.filter(
            purchase__orders__pk=order_id, status=Payment.Status.SUCCEEDED, gateway=provider.id, charge_id=""
        )
        .exclude(psp_reference="")
        .first()
    )
    if payment is None:
        return
    assert_no_transaction("Gateway.status")
    charge_id = provider.status(psp_reference=payment.psp_reference).raw.get("latest_charge") or ""
    if charge_id:
        Payment.objects.filter(pk=payment.pk, charge_id="").update(charge_id=charge_id)


@transaction.atomic
def record_external_reversal(*, provider_transfer_id: str, amount_reversed: int) -> Transfer | None:
    """The provider says a transfer of ours has ``amount_reversed`` reversed in total; record what
    our own reversals do not explain (reversed in the dashboard)."""
    parent = (
        Transfer.objects.select_for_update()
        .filter(provider_id=provider_transfer_id, kind=Transfer.Kind.TRANSFER)
        .first()
    )
    if parent is None:
        return None
    missing = min(amount_reversed, parent.amount) - _reversed(parent)
    if missing <= 0:
        return None
    row = _reversal(
        parent, amount=missing, idempotency_key=f"external-reversal-{provider_transfer_id}-{amount_reversed}"
    )
    return complete_transfer(transfer_id=row.pk, provider_id=f"{provider_transfer_id}:external")
