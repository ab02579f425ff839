"""Payment writes: the paid purchase entering the ledger, designers' transfers (Stripe Connect),
payout onboarding, refunds and disputes.

Money rules:
- Orders become paid only on the provider's word (a verified webhook or a server-side gateway
  answer), never on the client's.
- The ledger (payments/ledger.py) records every movement once, as integers in the smallest unit.
- A designer's order is settled by comparing what the designer earned on it (ledger) with what was
  moved to its connected account (Transfer rows): the difference is transferred, or reversed. So a
  transfer never exceeds what was charged, refunds reverse in proportion, and a designer not yet
  onboarded simply accrues until ``account.updated`` enables payouts.
- Every provider call has a deterministic idempotency key: ``purchase-<id>`` (checkout),
  ``transfer-order-<id>-<n>`` / ``reversal-order-<id>-<n>`` (the n-th movement of that order; the
  row is written before the call, so a retry reuses key and amount), ``refund-order-<id>-<n>``,
  ``connect-account-designer-<id>``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from designers.models import Designer, DesignerStatus
from payments import bank_payouts, ledger, rollups, tasks
from payments.errors import PaymentErrorCode
from payments.gateways import get_gateway, get_payout_provider
from payments.gateways.base import Gateway, GatewayError, PaymentRequest, PaymentStatus
from payments.models import Dispute, LedgerEntry, Payment, PayoutAccount, Refund, Transfer
from shop.accounts.models import User
from shop.catalog.models import ProductType
from shop.core import money
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.core.request_id import get_request_id
from shop.core.validation import clean_text
from shop.orders import hooks as order_hooks
from shop.orders import lifecycle as order_lifecycle
from shop.orders import payment as order_payment
from shop.orders import stock as order_stock
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus, Purchase

logger = logging.getLogger(__name__)
K = LedgerEntry.Kind

COD_GATEWAY = "cod"  # payments/gateways/cod.py
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.DELIVERED, OrderStatus.PARTIALLY_REFUNDED)
REFUNDABLE_STATUSES = PAID_STATUSES


def _minor(amount: Decimal, currency: str) -> int:
    return money.to_minor(amount, currency)


# --- the paid purchase ------------------------------------------------------------------------


def mark_purchase_paid(*, purchase_id: int, payment_id: int | None = None) -> None:
    """The provider confirmed the money: the orders' side (shop/orders/payment.py), which hands
    the paid purchase back (``orders.purchase_paid`` hook: :func:`purchase_paid`) for the ledger
    and the transfers. ``payment_id`` must be a payment of that purchase."""
    with transaction.atomic():
        if payment_id is not None and not Payment.objects.filter(pk=payment_id, purchase_id=purchase_id).exists():
            raise ServiceError(PaymentErrorCode.NOT_FOUND, _("Payment not found for this purchase."), "paymentId")
        order_payment.mark_purchase_paid(purchase_id=purchase_id, payment_id=payment_id)


def mark_purchase_payment_failed(*, purchase_id: int, reason: str) -> None:
    order_payment.mark_purchase_payment_failed(purchase_id=purchase_id, reason=reason)


def purchase_paid(*, purchase_id: int, payment_id: int | None, orders: list[Order], at_checkout: bool) -> None:
    """The ``orders.purchase_paid`` hook (shop/orders/hooks.py), in the orders' transaction. Paid
    at checkout, the orders are loaded with their designers and the payment is recorded as
    succeeded: one query, and the settlements go with the emails (:func:`queue_settlements`)."""
    if at_checkout:
        record_orders_paid(orders, settle=False)
    else:
        record_purchase_paid(purchase_id=purchase_id, payment_id=payment_id)


def paid_before_expiry(*, purchase: Purchase) -> int | None:
    """The ``orders.paid_before_expiry`` hook: before an unpaid purchase expires, ask the gateway
    about its still-pending payment (its confirmation may have been missed). Returns the payment
    id when it actually succeeded; raises ``PaymentStatusUnknown`` when the gateway cannot tell
    (then the purchase waits for the next run)."""
    payment = Payment.objects.filter(purchase=purchase, status=Payment.Status.PENDING).exclude(psp_reference="").first()
    if payment is None:
        return None
    gateway = get_gateway(payment.gateway)
    if gateway is None:
        return None
    from shop.core.transactions import assert_no_transaction

    assert_no_transaction("Gateway.status")
    try:
        result = gateway.status(psp_reference=payment.psp_reference)
        if PaymentStatus(result.status) == PaymentStatus.SUCCEEDED:
            return payment.pk
        cancel = getattr(gateway, "cancel", None)
        if cancel is not None and PaymentStatus(result.status) == PaymentStatus.PENDING:
            # A payment request the buyer could still pay into (a VietQR code): close it at the
            # provider first, so that no money arrives for a purchase we cancel. A transfer that
            # came in between makes the provider answer SUCCEEDED: then the purchase is paid.
            result = cancel(psp_reference=payment.psp_reference, reason="expired")
    except NotImplementedError:
        return None
    except GatewayError as exc:
        raise order_hooks.PaymentStatusUnknown(str(exc)) from exc
    if PaymentStatus(result.status) == PaymentStatus.SUCCEEDED:
        return payment.pk
    if getattr(gateway, "cancel", None) is not None:  # closed at the provider: the payment is over
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED, error=result.error or "cancelled at expiry", updated_at=timezone.now()
        )
    return None


@transaction.atomic
def record_purchase_paid(*, purchase_id: int, payment_id: int | None = None) -> int:
    """The hand-off from ``shop.orders.payment.mark_purchase_paid`` (whose callers only call it
    when the gateway itself confirmed the money): the payment is marked SUCCEEDED, and each paid
    order of the purchase enters the ledger: its SALE (the order total) and the platform's
    COMMISSION (the designer's rate, or settings.PLATFORM_COMMISSION_RATE); its designer's share
    is settled after commit. Idempotent, and three queries whatever the number of orders."""
    if payment_id is not None:
        Payment.objects.filter(pk=payment_id, purchase_id=purchase_id).exclude(status=Payment.Status.SUCCEEDED).update(
            status=Payment.Status.SUCCEEDED, error="", updated_at=timezone.now()
        )
    orders = list(
        Order.objects.filter(
            purchase_id=purchase_id, status__in=PAID_STATUSES + (OrderStatus.REFUNDED,)
        ).select_related("designer")
    )
    return record_orders_paid(orders)


def record_orders_paid(orders: list[Order], *, settle: bool = True) -> int:
    """The ledger part of :func:`record_purchase_paid` for paid orders the caller has loaded with
    their designers (checkout completion, in its own transaction): one query. Without ``settle``
    the caller queues each order's settlement itself (``settle_order_task``) after commit."""
    entries = [entry for order in orders for entry in _sale_entries(order)]
    LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)  # unique references: written once
    rollups.orders_paid(orders, entries)  # the sales rollups, in this transaction (payments/rollups.py)
    if settle:
        for order in orders:
            _settle_later(order.pk)
    return len(entries)


def _sale_entries(order: Order) -> list[LedgerEntry]:
    total = _minor(order.total_amount, order.currency)
    rate = order.designer.effective_commission_rate()
    commission = ledger.commission_amount(total, rate)
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


def record_order_sale(order: Order) -> None:
    """One order's SALE and COMMISSION (idempotent)."""
    LedgerEntry.objects.bulk_create(_sale_entries(order), ignore_conflicts=True)


def _in_ledger(order: Order) -> bool:
    """Whether the order's money is the designer's (its SALE is in the ledger, written now if a
    paid order lacks it). An order cancelled before it was paid never was: money taken for it
    (a late payment) is the platform's to refund, and no designer entry is written for it."""
    if order.status in PAID_STATUSES + (OrderStatus.REFUNDED,):
        record_order_sale(order)
        return True
    return LedgerEntry.objects.filter(reference=f"sale:order-{order.pk}").exists()


def _settle_later(order_id: int) -> None:
    """The order's settlement, queued once the current transaction commits (through the outbox)."""
    enqueue(tasks.settle_order_task, order_id)


# --- the payment request (checkout completion) ----------------------------------------------------------------


@dataclass
class PaymentOutcome:
    payment: Payment
    status: PaymentStatus
    error: str = ""
    # the gateway could not be reached or refused the call (no answer about the payment itself)
    unreachable: bool = False


@dataclass
class PaymentStart:
    """A payment attempt recorded before the gateway is called (see :func:`start_payment`)."""

    payment: Payment
    request: PaymentRequest


def start_payment(*, purchase: Purchase, gateway: Gateway, data: dict, order_numbers: list[str]) -> PaymentStart:
    """Record the attempt to pay ``purchase`` (a PENDING Payment without a provider reference,
    with its deterministic idempotency key ``purchase-<id>``: asking twice never charges twice) in
    the caller's transaction, and build the request that :func:`ask_gateway` sends once that
    transaction has committed. A process that dies before the answer is applied leaves an UNPAID
    purchase with this PENDING payment: the expiry closes both (:func:`purchase_expired`)."""
    key = f"purchase-{purchase.pk}"
    request = PaymentRequest(
        purchase_id=purchase.pk,
        amount=purchase.total_amount,
        currency=purchase.currency,
        email=purchase.email,
        idempotency_key=key,
        description="Rethink Market " + ", ".join(order_numbers),
        data=data,
        metadata={"purchase_id": str(purchase.pk), "orders": ",".join(order_numbers)},
    )
    payment = Payment.objects.create(
        purchase=purchase,
        gateway=gateway.id,
        amount=purchase.total_amount,
        currency=purchase.currency,
        status=Payment.Status.PENDING,
        idempotency_key=key,
    )
    return PaymentStart(payment=payment, request=request)


def ask_gateway(*, gateway: Gateway, start: PaymentStart) -> PaymentOutcome:
    """Send the recorded request to the gateway, outside any transaction (no lock is held while
    the provider answers). Writes nothing: :func:`apply_payment_answer` records the answer."""
    from shop.core.transactions import assert_no_transaction

    assert_no_transaction("Gateway.initialize")
    payment = start.payment
    try:
        result = gateway.initialize(start.request)
    except GatewayError as exc:
        logger.warning("gateway %s failed for purchase %s: %s", gateway.id, payment.purchase_id, exc)
        return PaymentOutcome(payment=payment, status=PaymentStatus.FAILED, error=str(exc), unreachable=True)
    status = PaymentStatus(result.status)
    payment.status = {
        PaymentStatus.SUCCEEDED: Payment.Status.SUCCEEDED,
        PaymentStatus.PENDING: Payment.Status.PENDING,
        PaymentStatus.FAILED: Payment.Status.FAILED,
    }[status]
    payment.psp_reference = result.psp_reference[:255]
    payment.client_secret = result.client_secret[:255]
    payment.checkout_url = str(result.raw.get("checkout_url") or "")[:500]  # bank-transfer gateways (payOS)
    payment.qr_code = str(result.raw.get("qr_code") or "")
    payment.error = result.error
    return PaymentOutcome(payment=payment, status=status, error=result.error)


def apply_payment_answer(*, placed, outcome: PaymentOutcome) -> bool:
    """The gateway's answer about a purchase placed (and committed) by checkout completion
    (``placed``: ``shop.orders.placement.Placed``), applied in the caller's short transaction; the
    caller holds the checkout's lock. The purchase, then its orders (then variants, when stock
    returns) are locked, as every writer of a purchase does.

    - SUCCEEDED: the payment recorded; the purchase and its orders PAID (reusing what ``placed``
      holds when nothing moved it on meanwhile).
    - PENDING: the payment's reference and client secret recorded; the purchase stays UNPAID.
    - FAILED or unreachable: the attempt is undone: stock back, and the purchase, its orders and
      the payment deleted — as if never placed — so the checkout can be paid another way. A purchase
      that something else moved on meanwhile (cancelled) is kept, its payment FAILED.

    Returns True when the purchase was undone."""
    payment = outcome.payment
    untouched = order_payment.lock_placed_purchase(placed)
    if outcome.status == PaymentStatus.FAILED:
        if untouched:
            Payment.objects.filter(purchase_id=placed.purchase.pk).delete()
            order_payment.discard_placed_purchase(placed)
            return True
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, error=outcome.error[:2000], updated_at=timezone.now()
        )
        return False
    Payment.objects.filter(pk=payment.pk).update(
        status=payment.status,
        psp_reference=payment.psp_reference,
        client_secret=payment.client_secret,
        checkout_url=payment.checkout_url,
        qr_code=payment.qr_code,
        error=payment.error,
        updated_at=timezone.now(),
    )
    if outcome.status == PaymentStatus.SUCCEEDED:
        if untouched:
            order_payment.mark_placed_purchase_paid(placed=placed, payment_id=payment.pk)
        else:  # cancelled meanwhile: recorded as a payment after cancellation, a refund is due
            mark_purchase_paid(purchase_id=placed.purchase.pk, payment_id=payment.pk)
    return False


def purchase_expired(*, purchase_id: int, now) -> None:
    """The ``orders.purchase_expired`` hook, in the expiry's transaction: an attempt the gateway
    never answered (no provider reference: the process died between recording it and applying
    the answer) is closed."""
    Payment.objects.filter(purchase_id=purchase_id, status=Payment.Status.PENDING, psp_reference="").update(
        status=Payment.Status.CANCELLED, error="interrupted before the provider answered", updated_at=now
    )


# --- transfers to designers (Stripe Connect) ------------------------------------------------


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
                reversed_ = parent.reversals.exclude(status=Transfer.Status.FAILED).aggregate(s=Sum("amount"))["s"] or 0
                remaining = parent.amount - reversed_
                if remaining > 0:
                    return Transfer.objects.create(
                        order=order,
                        designer_id=order.designer_id,
                        kind=Transfer.Kind.REVERSAL,
                        parent=parent,
                        amount=min(moved - owed, remaining),
                        currency=order.currency,
                        destination=parent.destination,
                        idempotency_key=f"reversal-order-{order.pk}-{n}",
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
    from shop.core.transactions import assert_no_transaction

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
    from shop.core.transactions import assert_no_transaction

    assert_no_transaction("Gateway.status")
    charge_id = provider.status(psp_reference=payment.psp_reference).raw.get("latest_charge") or ""
    if charge_id:
        Payment.objects.filter(pk=payment.pk, charge_id="").update(charge_id=charge_id)


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
    return list(
        LedgerEntry.objects.filter(designer_id=designer_id, kind=K.SALE, order__isnull=False)
        .order_by("order_id")
        .values_list("order_id", flat=True)
    )


# --- payout onboarding ------------------------------------------------------------------------


def onboard_designer(*, user: User):
    """Create the designer's connected account when it has none (once, whatever happens: the
    provider's idempotency key and the unique designer of PayoutAccount both guard it) and return
    a fresh onboarding link. Calling it again returns a new link for the same account and writes
    nothing. The provider is called outside any transaction (no lock held while it answers)."""
    from shop.core.transactions import assert_no_transaction

    designer = Designer.objects.filter(user_id=user.pk).first()
    if designer is None:
        raise PermissionDenied(_("Only designers can set up payouts."))
    if designer.status != DesignerStatus.APPROVED:
        raise ServiceError(
            PaymentErrorCode.NOT_APPROVED, _("Your designer profile must be approved before you set up payouts."), None
        )
    provider = get_payout_provider()
    if provider is None:
        raise ServiceError(
            PaymentErrorCode.PAYOUTS_NOT_CONFIGURED, _("Payouts are not available on this server."), None
        )
    account = PayoutAccount.objects.filter(designer=designer).first()
    if account is not None and account.payouts_enabled:
        raise ServiceError(PaymentErrorCode.ALREADY_ONBOARDED, _("Payouts are already set up for your account."), None)
    assert_no_transaction("PayoutProvider.create_connected_account")
    try:
        if account is None:
            connected = provider.create_connected_account(
                email=user.email, designer_id=designer.pk, idempotency_key=f"connect-account-designer-{designer.pk}"
            )
            with transaction.atomic():
                # a parallel call got the same account (same key): the first row written wins
                account, _created = PayoutAccount.objects.get_or_create(
                    designer=designer,
                    defaults={
                        "provider": provider.id,
                        "account_id": connected.id,
                        "payouts_enabled": connected.payouts_enabled,
                        "details_submitted": connected.details_submitted,
                        "charges_enabled": connected.charges_enabled,
                    },
                )
        # A link is single-use and expires within minutes: each call gets a new one.
        link = provider.create_account_link(
            account_id=account.account_id,
            refresh_url=settings.PAYOUT_ONBOARDING_REFRESH_URL,
            return_url=settings.PAYOUT_ONBOARDING_RETURN_URL,
            idempotency_key=f"account-link-{account.account_id}-{secrets.token_hex(8)}",
        )
    except GatewayError as exc:
        raise _gateway_failure("payout onboarding", exc)
    return account, link


@transaction.atomic
def sync_payout_account(
    *, account_id: str, payouts_enabled: bool, details_submitted: bool, charges_enabled: bool, event_created: int
) -> PayoutAccount | None:
    """Apply the provider's view of a connected account; an event older than the last one applied
    changes nothing. Enabling payouts settles everything the designer accrued."""
    account = PayoutAccount.objects.select_for_update().filter(account_id=account_id).first()
    if account is None or event_created < account.synced_event_created:
        return account
    was_enabled = account.payouts_enabled
    account.payouts_enabled = payouts_enabled
    account.details_submitted = details_submitted
    account.charges_enabled = charges_enabled
    account.synced_event_created = event_created
    account.save()
    if payouts_enabled and not was_enabled:
        enqueue(tasks.settle_designer_task, account.designer_id)
    return account


# --- refunds ----------------------------------------------------------------------------------


def _refund_lines(order: Order, lines: list[dict], in_flight: dict[int, int]) -> tuple[Decimal, list[dict]]:
    """``in_flight``: quantities per line of refunds still being made at the provider."""
    by_id = {line.pk: line for line in order.lines.all()}
    wanted: dict[int, int] = {}
    for index, item in enumerate(lines):
        line_id, quantity = item.get("line_id"), item.get("quantity")
        line = by_id.get(line_id)
        if line is None:
            raise ServiceError(
                PaymentErrorCode.INVALID_LINE, _("This line is not part of the order."), f"lines.{index}.lineId"
            )
        if not isinstance(quantity, int) or quantity < 1:
            raise ServiceError(PaymentErrorCode.INVALID, _("Quantity must be at least 1."), f"lines.{index}.quantity")
        wanted[line_id] = wanted.get(line_id, 0) + quantity
        left = line.quantity - line.refunded_quantity - in_flight.get(line_id, 0)
        if wanted[line_id] > left:
            raise ServiceError(
                PaymentErrorCode.AMOUNT_TOO_LARGE,
                _("At most %(n)s of this line can still be refunded.") % {"n": left},
                f"lines.{index}.quantity",
            )
    amount = sum((by_id[i].unit_price_amount * q for i, q in wanted.items()), Decimal(0))
    return money.quantize(amount, order.currency), [{"line_id": i, "quantity": q} for i, q in wanted.items()]


def can_refund(user: User | None, order: Order) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff or Designer.objects.filter(pk=order.designer_id, user_id=user.pk).exists()


def refund_order(
    *, actor: User, order_id: int, amount=None, lines: list[dict] | None = None, reason: str = "", restock: bool = False
) -> Refund:
    """Refund part or all of one order through the purchase's gateway: staff for any order, a
    designer for its own. By ``lines`` (their unit prices; ``restock`` puts physical goods back in
    stock) or by ``amount``. Never more than is left of what was paid (refunds still being made
    count); nothing is written when the gateway refuses. The designer's transfer is reversed in
    proportion and the buyer is emailed, both after commit.

    Three steps, so that no lock is held while the provider answers: a short transaction checks
    everything under the purchase's and the order's locks and records the refund PENDING with its
    idempotency key (which reserves its amount); the provider is called outside any transaction;
    a second short transaction applies the answer (:func:`_finish_refund`). When the provider
    does not answer (timeout, 5xx) or the process dies in between, the PENDING refund is finished
    by the periodic :func:`resume_pending_refunds`, with the same key and amount."""
    refund = _start_refund(actor=actor, order_id=order_id, amount=amount, lines=lines, reason=reason, restock=restock)
    if refund.status != Refund.Status.PENDING:
        return refund  # a gateway without a refund API: recorded as owed, sent by bank payout
    result, error = _ask_refund(refund)
    return _finish_refund(refund_id=refund.pk, result=result, error=error, actor=actor)


@transaction.atomic
def _start_refund(*, actor, order_id, amount, lines, reason, restock) -> Refund:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    if not actor.is_staff and not Designer.objects.filter(user_id=actor.pk).exists():
        raise PermissionDenied(_("Only staff and the order's designer can refund it."))
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not can_refund(actor, order):
        raise ServiceError(PaymentErrorCode.NOT_FOUND, _("Order not found."), "id")
    # Lock order: the purchase, then the order (as every money movement on a purchase does).
    Purchase.objects.select_for_update().get(pk=order.purchase_id)
    order = Order.objects.select_for_update(of=("self",)).select_related("designer", "purchase").get(pk=order_id)

    payment = Payment.objects.filter(purchase_id=order.purchase_id, status=Payment.Status.SUCCEEDED).first()
    if order.status == OrderStatus.REFUNDED or (payment is not None and order.refunded_amount >= order.total_amount):
        raise ServiceError(PaymentErrorCode.ALREADY_REFUNDED, _("This order has already been refunded in full."), "id")
    # A cancelled order is refundable when its money was taken (cancelled by staff after payment,
    # or paid after it expired: the order then has a "refund due" event).
    if payment is None or not (order.status in REFUNDABLE_STATUSES or order.status == OrderStatus.CANCELLED):
        raise ServiceError(PaymentErrorCode.NOT_PAID, _("Only a paid order can be refunded."), "id")
    if payment.gateway == COD_GATEWAY and order.paid_at is None:
        # cash on delivery: only an order whose cash was collected was paid (a refused one never was)
        raise ServiceError(PaymentErrorCode.NOT_PAID, _("Only a paid order can be refunded."), "id")
    if order.is_disputed:
        raise ServiceError(
            PaymentErrorCode.DISPUTED,
            _("This order's payment is disputed; it cannot be refunded until the dispute closes."),
            "id",
        )
    reason = clean_text(reason, field="reason", max_length=1000)
    if lines and amount is not None:
        raise ServiceError(PaymentErrorCode.INVALID, _("Give either lines or an amount, not both."), "amount")
    if lines:
        if restock and order.status == OrderStatus.CANCELLED:
            raise ServiceError(
                PaymentErrorCode.INVALID, _("This order was cancelled: its stock is already back."), "restock"
            )
        value, clean_lines = _refund_lines(order, lines, _lines_in_flight(order))
    elif amount is not None:
        if restock:
            raise ServiceError(PaymentErrorCode.INVALID, _("Restocking needs the lines being returned."), "restock")
        try:
            value = money.parse_amount(amount, order.currency)
        except money.MoneyError as exc:
            raise ServiceError(PaymentErrorCode.INVALID, str(exc), "amount")
        clean_lines = []
    else:
        raise ServiceError(PaymentErrorCode.REQUIRED, _("Give the lines or the amount to refund."), "amount")
    if value <= 0:
        raise ServiceError(PaymentErrorCode.INVALID, _("The amount to refund must be more than zero."), "amount")
    in_flight = Refund.objects.filter(order=order, status=Refund.Status.PENDING).aggregate(s=Sum("amount"))["s"] or 0
    remaining = order.total_amount - order.refunded_amount - in_flight
    if value > remaining:
        raise ServiceError(
            PaymentErrorCode.AMOUNT_TOO_LARGE,
            _("At most %(amount)s %(currency)s of this order can still be refunded.")
            % {"amount": money.quantize(remaining, order.currency), "currency": order.currency},
            "lines" if lines else "amount",
        )
    gateway = get_gateway(payment.gateway)
    if gateway is None:
        raise ServiceError(
            PaymentErrorCode.GATEWAY_NOT_AVAILABLE, _("The payment's gateway is not enabled on this server."), "id"
        )

    key = f"refund-order-{order.pk}-{order.refunds.count() + 1}"
    if getattr(gateway, "manual_refunds", False):
        return _record_owed_refund(order, payment, value, reason, restock, lines, clean_lines, key, actor)
    return Refund.objects.create(
        order=order,
        payment=payment,
        amount=value,
        currency=order.currency,
        reason=reason,
        restock=bool(restock and lines),
        lines=clean_lines,
        source=Refund.Source.API,
        gateway=payment.gateway,
        status=Refund.Status.PENDING,
        idempotency_key=key,
        actor=actor,
    )


def _lines_in_flight(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for refund_lines in Refund.objects.filter(order=order, status=Refund.Status.PENDING).values_list(
        "lines", flat=True
    ):
        for item in refund_lines:
            quantities[item["line_id"]] = quantities.get(item["line_id"], 0) + item["quantity"]
    return quantities


def _ask_refund(refund: Refund):
    """The provider asked to make a recorded refund, outside any transaction: (result, None), or
    (None, GatewayError)."""
    from shop.core.transactions import assert_no_transaction

    assert_no_transaction("Gateway.refund")
    gateway = get_gateway(refund.gateway)
    if gateway is None:
        return None, GatewayError("the payment's gateway is not enabled on this server", retryable=True)
    psp_reference = Payment.objects.filter(pk=refund.payment_id).values_list("psp_reference", flat=True).first()
    try:
        result = gateway.refund(
            psp_reference=psp_reference or "",
            amount=refund.amount,
            currency=refund.currency,
            idempotency_key=refund.idempotency_key,
            reason=refund.reason,
        )
    except GatewayError as exc:
        logger.warning("refund %s: the provider failed (retryable=%s): %s", refund.idempotency_key, exc.retryable, exc)
        return None, exc
    return result, None


def _finish_refund(*, refund_id: int, result, error: GatewayError | None, actor: User | None) -> Refund:
    """Apply the provider's answer to a PENDING refund, under the purchase's and the order's locks:
    made → the order, its lines, the stock, the ledger and the email; refused → the refund is
    deleted (nothing was written) and GATEWAY_ERROR raised; no answer (retryable) → it stays
    PENDING for :func:`resume_pending_refunds` and GATEWAY_ERROR is raised. A refund already
    finished (by the other path) is returned as it is."""
    refused = None
    with transaction.atomic():
        row = Refund.objects.filter(pk=refund_id).values("order_id", "order__purchase_id").first()
        if row is None:
            refused = error.args[0] if error is not None else (result.error if result else "")
        else:
            Purchase.objects.select_for_update().get(pk=row["order__purchase_id"])
            order = (
                Order.objects.select_for_update(of=("self",))
                .select_related("designer", "purchase")
                .get(pk=row["order_id"])
            )
            refund = Refund.objects.select_for_update().get(pk=refund_id)
            if refund.status != Refund.Status.PENDING:
                return refund
            if error is not None and error.retryable:
                refused = None
            elif error is not None or not result.succeeded:
                refused = str(error) if error is not None else result.error
                refund.delete()
            else:
                refund.status = Refund.Status.SUCCEEDED
                refund.psp_reference = (result.psp_reference or refund.idempotency_key)[:255]
                refund.save(update_fields=["status", "psp_reference"])
                for item in refund.lines:
                    OrderLine.objects.filter(pk=item["line_id"]).update(
                        refunded_quantity=F("refunded_quantity") + item["quantity"]
                    )
                if refund.restock:
                    _restock(order, refund.lines)
                _apply_refund(order, refund, actor=actor)
                return refund
    if refused is None:
        raise ServiceError(
            PaymentErrorCode.GATEWAY_ERROR,
            _("The payment provider did not answer; the refund will be completed as soon as it does."),
            None,
        )
    raise _gateway_failure("refund", refused, refund=True)


def resume_pending_refunds(*, older_than_seconds: int | None = None, now=None) -> int:
    """Finish the refunds left PENDING (the provider did not answer, or the process died between
    recording a refund and applying the answer): ask the provider again with the same idempotency
    key and amount (a refund it already made is not made twice) and apply its answer. Refunds
    younger than ``REFUND_RESUME_AFTER_SECONDS`` are left to the request still making them.
    Returns how many were finished (made or refused)."""
    now = now or timezone.now()
    age = settings.REFUND_RESUME_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    pending = list(
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lte=now - timedelta(seconds=age))
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    finished = 0
    for refund_id in pending:
        refund = Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).first()
        if refund is None:
            continue
        result, error = _ask_refund(refund)
        try:
            _finish_refund(refund_id=refund_id, result=result, error=error, actor=refund.actor)
        except ServiceError:
            if error is not None and error.retryable:
                continue  # still no answer: next run
        finished += 1
    return finished


def _record_owed_refund(order, payment, value, reason, restock, lines, clean_lines, key, actor) -> Refund:
    """A gateway without a refund API (payOS): the refund is recorded as owed to the buyer, in the
    order and the ledger at once, and stays pending until staff send it by bank payout
    (payments/bank_payouts.py ``send_refund``); the buyer's email goes out when it is sent."""
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=value,
        currency=order.currency,
        reason=reason,
        restock=bool(restock and lines),
        lines=clean_lines,
        source=Refund.Source.API,
        gateway=payment.gateway,
        idempotency_key=key,
        actor=actor,
        owed=True,
    )
    for item in clean_lines:
        OrderLine.objects.filter(pk=item["line_id"]).update(refunded_quantity=F("refunded_quantity") + item["quantity"])
    if refund.restock:
        _restock(order, clean_lines)
    _apply_refund(order, refund, actor=actor)
    OrderEvent.objects.create(
        order=order,
        type="REFUND_OWED",
        actor=actor,
        data={"refund_id": refund.pk, "amount": str(refund.amount), "currency": refund.currency},
    )
    return refund


def _restock(order: Order, lines: list[dict]) -> None:
    """The physical goods of refunded lines back in stock, through the orders app's one stock
    path (variants locked in id order: no deadlock with a checkout taking the same variants)."""
    by_id = {line.pk: line for line in order.lines.all()}
    quantities: dict[int, int] = {}
    for item in lines:
        line = by_id[item["line_id"]]
        if line.variant_id and line.product_type == ProductType.PHYSICAL:
            quantities[line.variant_id] = quantities.get(line.variant_id, 0) + item["quantity"]
    order_stock.restock(quantities)


def _apply_refund(order: Order, refund: Refund, *, actor: User | None) -> None:
    """The order, the ledger and the follow-ups of a refund that the provider made."""
    order.refunded_amount = money.quantize(order.refunded_amount + refund.amount, order.currency)
    if order.status != OrderStatus.CANCELLED:  # a cancelled order stays cancelled; refunded_amount tells the rest
        order.status = (
            OrderStatus.REFUNDED if order.refunded_amount >= order.total_amount else OrderStatus.PARTIALLY_REFUNDED
        )
    order.save(update_fields=["refunded_amount", "status"])
    OrderEvent.objects.create(
        order=order,
        type="REFUNDED",
        actor=actor,
        data={
            "refund_id": refund.pk,
            "amount": str(refund.amount),
            "currency": refund.currency,
            "reason": refund.reason,
            "source": refund.source,
            "lines": refund.lines,
            "restock": refund.restock,
        },
    )
    enqueue(tasks.send_refund_email, refund.pk)
    if not _in_ledger(order):
        return
    ledger.record(
        designer_id=order.designer_id,
        order_id=order.pk,
        kind=K.REFUND,
        amount=-_minor(refund.amount, refund.currency),
        currency=refund.currency,
        reference=f"refund:{refund.idempotency_key}",
        description=f"Refund on order {order.number}",
    )
    if refund.gateway == COD_GATEWAY:
        # Cash on delivery: the designer, who kept the cash, gives it back to the buyer.
        ledger.record(
            designer_id=order.designer_id,
            order_id=order.pk,
            kind=K.COD_COLLECTED,
            amount=-_minor(refund.amount, refund.currency),
            currency=refund.currency,
            reference=f"cod-refund:{refund.idempotency_key}",
            description=f"Cash given back on order {order.number}",
        )
    ledger.adjust_commission(
        order=order,
        currency=refund.currency,
        reference=f"commission-refund:{refund.idempotency_key}",
        description=f"Commission given back on the refund of order {order.number}",
    )
    rollups.refund_made(order, refund)
    _settle_later(order.pk)


@transaction.atomic
def record_provider_refunds(*, payment_id: int, amount_refunded: int, charge_id: str) -> list[Refund]:
    """The provider says ``amount_refunded`` (smallest unit) has been refunded on the charge in
    total. Whatever our own refunds do not explain (a refund made in the Stripe dashboard) is
    recorded, spread over the purchase's orders in proportion to what is left of each."""
    payment = Payment.objects.get(pk=payment_id)
    Purchase.objects.select_for_update().get(pk=payment.purchase_id)
    orders = list(
        Order.objects.select_for_update(of=("self",))
        .filter(purchase_id=payment.purchase_id)
        .select_related("designer")
        .order_by("pk")
    )
    known = sum(_minor(r.amount, r.currency) for r in Refund.objects.filter(payment=payment))
    missing = amount_refunded - known
    if missing <= 0:
        return []
    weights = {
        o.pk: _minor(o.total_amount - o.refunded_amount, o.currency)
        for o in orders
        if o.status in REFUNDABLE_STATUSES or o.status == OrderStatus.CANCELLED
    }
    refunds = []
    for order in orders:
        share = ledger.allocate(missing, weights).get(order.pk)
        if not share:
            continue
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount=money.from_minor(share, order.currency),
            currency=order.currency,
            reason="Refunded at the payment provider",
            source=Refund.Source.PROVIDER,
            gateway=payment.gateway,
            idempotency_key=f"charge-refunded-{charge_id}-{amount_refunded}-order-{order.pk}",
        )
        _apply_refund(order, refund, actor=None)
        refunds.append(refund)
    return refunds


def _gateway_failure(action: str, detail, *, refund: bool = False) -> ServiceError:
    """What the client is told when the provider fails or refuses: a stable, translated message with
    the request id; the provider's own text (which names its host, paths and request ids) goes to
    the log under that id, never to the client (issue 13, finding 10)."""
    request_id = get_request_id() or "-"
    logger.warning(
        "payment provider failed during %s (request %s): %s %s",
        action,
        request_id,
        getattr(detail, "code", ""),
        detail,
    )
    if refund:
        message = _("The payment provider did not accept the refund. Try again later or contact us (request %(id)s).")
    else:
        message = _("The payment provider could not be reached. Try again later (request %(id)s).")
    return ServiceError(PaymentErrorCode.GATEWAY_ERROR, message % {"id": request_id}, None)


# --- disputes ---------------------------------------------------------------------------------


def _dispute_orders(dispute: Dispute) -> list[Order]:
    return list(
        Order.objects.select_for_update(of=("self",))
        .filter(purchase_id=dispute.payment.purchase_id)
        .select_related("designer")
        .order_by("pk")
    )


def _record_dispute_loss(dispute: Dispute, orders: list[Order]) -> None:
    if dispute.loss_recorded:
        return
    weights = {o.pk: _minor(o.total_amount - o.refunded_amount, o.currency) for o in orders}
    dispute.allocations = {str(k): v for k, v in ledger.allocate(dispute.amount, weights).items()}
    dispute.loss_recorded = True
    for order in orders:
        share = dispute.allocations.get(str(order.pk))
        if not share or not _in_ledger(order):
            continue
        ledger.record(
            designer_id=order.designer_id,
            order_id=order.pk,
            kind=K.DISPUTE,
            amount=-share,
            currency=order.currency,
            reference=f"dispute:{dispute.dispute_id}:order-{order.pk}",
            description=f"Dispute on order {order.number}",
        )
        ledger.adjust_commission(
            order=order,
            currency=order.currency,
            reference=f"commission-dispute:{dispute.dispute_id}:order-{order.pk}",
            description=f"Commission given back on the dispute of order {order.number}",
        )
        _settle_later(order.pk)
    rollups.dispute_moved(
        (f"dispute:{dispute.dispute_id}:order-{o.pk}", f"commission-dispute:{dispute.dispute_id}:order-{o.pk}")
        for o in orders
    )


def _reverse_dispute_loss(dispute: Dispute, orders: list[Order]) -> None:
    for order in orders:
        share = dispute.allocations.get(str(order.pk))
        if not share or not _in_ledger(order):
            continue
        ledger.record(
            designer_id=order.designer_id,
            order_id=order.pk,
            kind=K.DISPUTE_REVERSAL,
            amount=share,
            currency=order.currency,
            reference=f"dispute-won:{dispute.dispute_id}:order-{order.pk}",
            description=f"Dispute won on order {order.number}",
        )
        ledger.adjust_commission(
            order=order,
            currency=order.currency,
            reference=f"commission-dispute-won:{dispute.dispute_id}:order-{order.pk}",
            description=f"Commission due again on order {order.number}",
        )
        _settle_later(order.pk)
    rollups.dispute_moved(
        (f"dispute-won:{dispute.dispute_id}:order-{o.pk}", f"commission-dispute-won:{dispute.dispute_id}:order-{o.pk}")
        for o in orders
    )


@transaction.atomic
def record_dispute(
    *, payment_id: int, dispute_id: str, amount: int, currency: str, reason: str, status: str, closed: bool
) -> Dispute:
    """A chargeback opened (``closed=False``) or closed. Opening marks the purchase's orders
    disputed, records the loss in the ledger (shared over the orders) and emails staff; closing as
    won gives the loss back, as lost keeps it. Duplicated or reordered events change nothing more
    (a late "created" after "closed" is ignored)."""
    payment = Payment.objects.get(pk=payment_id)
    Purchase.objects.select_for_update().get(pk=payment.purchase_id)
    dispute, _created = Dispute.objects.get_or_create(
        dispute_id=dispute_id,
        defaults={
            "payment": payment,
            "amount": amount,
            "currency": currency.upper(),
            "reason": reason[:100],
            "status": status,
        },
    )
    dispute = Dispute.objects.select_for_update(of=("self",)).select_related("payment").get(pk=dispute.pk)
    orders = _dispute_orders(dispute)
    if not closed:
        if dispute.closed:
            return dispute  # a late "created" after "closed"
        _record_dispute_loss(dispute, orders)
        dispute.status = status
    else:
        dispute.status = status
        if not dispute.closed:
            dispute.closed = True
            if status == "lost":
                _record_dispute_loss(dispute, orders)
                order_lifecycle.void_downloads(order_ids=[o.pk for o in orders])
            elif dispute.loss_recorded:
                _reverse_dispute_loss(dispute, orders)
    dispute.save()
    open_disputes = Dispute.objects.filter(payment__purchase_id=payment.purchase_id, closed=False).exists()
    for order in orders:
        if order.is_disputed != open_disputes:
            order.is_disputed = open_disputes
            order.save(update_fields=["is_disputed"])
            OrderEvent.objects.create(
                order=order,
                type="DISPUTE_OPENED" if open_disputes else "DISPUTE_CLOSED",
                data={
                    "dispute_id": dispute.dispute_id,
                    "status": status,
                    "amount": dispute.amount,
                    "currency": dispute.currency,
                },
            )
    if dispute.loss_recorded and dispute.staff_notified_at is None:
        enqueue(tasks.send_dispute_email, dispute.pk)
    return dispute


# --- payouts to the designer's bank -----------------------------------------------------------


@transaction.atomic
def record_payout(*, account_id: str, payout_id: str, amount: int, currency: str, failed: bool) -> LedgerEntry | None:
    account = PayoutAccount.objects.filter(account_id=account_id).first()
    if account is None:
        return None
    currency = currency.upper()
    if not failed:
        return ledger.record(
            designer_id=account.designer_id,
            kind=K.PAYOUT,
            amount=amount,
            currency=currency,
            reference=f"payout:{payout_id}",
            description=payout_id,
        )
    if not LedgerEntry.objects.filter(reference=f"payout:{payout_id}").exists():
        return None  # never counted as paid: nothing to undo
    return ledger.record(
        designer_id=account.designer_id,
        kind=K.PAYOUT_FAILED,
        amount=-amount,
        currency=currency,
        reference=f"payout-failed:{payout_id}",
        description=payout_id,
    )


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
    ours = parent.reversals.exclude(status=Transfer.Status.FAILED).aggregate(s=Sum("amount"))["s"] or 0
    missing = min(amount_reversed, parent.amount) - ours
    if missing <= 0:
        return None
    row = Transfer.objects.create(
        order_id=parent.order_id,
        designer_id=parent.designer_id,
        kind=Transfer.Kind.REVERSAL,
        parent=parent,
        amount=missing,
        currency=parent.currency,
        destination=parent.destination,
        idempotency_key=f"external-reversal-{provider_transfer_id}-{amount_reversed}",
    )
    return complete_transfer(transfer_id=row.pk, provider_id=f"{provider_transfer_id}:external")
