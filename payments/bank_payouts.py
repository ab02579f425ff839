"""Payouts to Vietnamese bank accounts through payOS: designers' weekly payout run, and refunds
owed to buyers of payOS purchases (payOS has no refund API).

Money rules (see payments/ledger.py):
- A designer's payout is the designer's payable amount (what the platform holds for it, net of its
  debts: ``ledger.payable_amount``) when it reaches ``PAYOUT_MINIMUM``. One payout per designer
  per run: the :class:`~payments.models.BankPayout` row (unique designer + run) is written, under
  the designer's row lock, together with the ledger entries that take the money from the balance
  (TRANSFER then PAYOUT), BEFORE payOS is called. The row's ``reference_id`` is payOS's
  ``referenceId`` and idempotency key, so a retried call (a task redelivered, two runs at once)
  never pays twice.
- payOS is called outside any transaction; its answer is applied in a second short one.
- A payout that fails gives the money back (TRANSFER_REVERSAL and PAYOUT_FAILED) and emails the
  designer, once. Payouts still processing are polled (``check_payouts``).
- A refund owed is sent by staff with the buyer's bank details given at that moment (never stored
  beyond the last four digits); the refund stays pending (``Refund.owed_sent_at`` empty) until
  payOS reports the transfer done.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from designers.models import Designer
from payments import ledger, tasks
from payments.bank_accounts import bank_account_for_payout, normalise_holder
from payments.errors import PaymentErrorCode
from payments.gateways import get_bank_payout_provider
from payments.gateways.base import GatewayError
from payments.models import BankAccount, BankPayout, LedgerEntry, Refund
from shop.accounts.models import User
from shop.core import money
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.orders.models import OrderEvent

logger = logging.getLogger(__name__)
K = LedgerEntry.Kind
S = BankPayout.Status
CURRENCY = "VND"


# --- where the money goes (designers' bank accounts: payments/bank_accounts.py) ------------------------


def designers_with_accounts() -> list[int]:
    return list(BankAccount.objects.order_by("designer_id").values_list("designer_id", flat=True))


def paid_by_bank(designer_id: int) -> bool:
    """Whether the designer is paid by bank payouts (payOS on, and the designer set up a bank
    account) rather than by Stripe Connect transfers: one provider per designer, so a share is
    never both transferred and paid out."""
    if get_bank_payout_provider() is None:
        return False
    return BankAccount.objects.filter(designer_id=designer_id).exists()


def payable(designer_id: int) -> int:
    return ledger.payable_amount(designer_id, CURRENCY)


# --- the weekly run ----------------------------------------------------------------------------


def run_name(now=None) -> str:
    """The ISO week: ``2026-W49``. Two runs in the same week are the same run."""
    year, week, _day = (now or timezone.now()).isocalendar()
    return f"{year}-W{week:02d}"


def _reference(designer_id: int, run: str) -> str:
    return f"payout-{run}-designer-{designer_id}"


def create_designer_payout(*, designer_id: int, run: str) -> BankPayout | None:
    """The designer's payout of this run, written once with the ledger entries that take the money
    from its balance; None when there is nothing (enough) to pay or no bank account."""
    account = bank_account_for_payout(designer_id)
    if account is None:
        return None
    try:
        with transaction.atomic():
            Designer.objects.select_for_update().filter(pk=designer_id).first()
            existing = BankPayout.objects.filter(
                kind=BankPayout.Kind.DESIGNER, designer_id=designer_id, run=run
            ).first()
            if existing is not None:
                return existing
            amount = payable(designer_id)
            if amount < settings.PAYOUT_MINIMUM:
                return None
            reference = _reference(designer_id, run)
            row = BankPayout.objects.create(
                kind=BankPayout.Kind.DESIGNER,
                designer_id=designer_id,
                run=run,
                amount=amount,
                currency=CURRENCY,
                reference_id=reference,
                to_bin=account.bank_bin,
                account_last4=account.account_number[-4:],
                account_holder=account.account_holder,
            )
            common = {"designer_id": designer_id, "amount": amount, "currency": CURRENCY, "description": reference}
            ledger.record(kind=K.TRANSFER, reference=f"payout-release:{reference}", **common)
            ledger.record(kind=K.PAYOUT, reference=f"payout:{reference}", **common)
            return row
    except IntegrityError:  # another run made it in the meantime
        return BankPayout.objects.filter(kind=BankPayout.Kind.DESIGNER, designer_id=designer_id, run=run).first()


def send(payout_id: int) -> BankPayout:
    """Ask payOS to make a PENDING payout (same reference id every time) and apply the answer. A
    provider that cannot be reached leaves it PENDING and raises GatewayError (the task retries)."""
    row = BankPayout.objects.get(pk=payout_id)
    if row.status != S.PENDING:
        return row
    provider = get_bank_payout_provider()
    if provider is None:
        raise GatewayError("no bank payout provider is configured", code="not_configured", retryable=True)
    if row.kind == BankPayout.Kind.DESIGNER:
        account = bank_account_for_payout(row.designer_id)
        if account is None or account.bank_bin != row.to_bin or account.account_number[-4:] != row.account_last4:
            return finish(payout_id=row.pk, state="FAILED", error="the bank account changed or was removed")
        number = account.account_number
    else:
        raise ValueError("a refund payout is sent with the buyer's account number: use send_refund")
    return _call(row, number)


def _call(row: BankPayout, account_number: str) -> BankPayout:
    BankPayout.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
    provider = get_bank_payout_provider()
    try:
        result = provider.create_payout(
            reference_id=row.reference_id,
            amount=row.amount,
            description=f"RETHINK {row.run or row.pk}",
            to_bin=row.to_bin,
            to_account_number=account_number,
        )
    except GatewayError as exc:
        if exc.retryable:
            raise
        return finish(payout_id=row.pk, state="FAILED", error=f"{exc.code}: {exc}")
    return finish(payout_id=row.pk, state=result.state, provider_id=result.id, error=result.error)


@transaction.atomic
def finish(*, payout_id: int, state: str, provider_id: str = "", error: str = "") -> BankPayout:
    """Apply payOS's word on a payout (idempotent): PROCESSING, SUCCEEDED, or FAILED (the money goes
    back to the designer's balance, or the refund stays owed)."""
    row = BankPayout.objects.select_for_update().get(pk=payout_id)
    if row.status in (S.SUCCEEDED, S.FAILED):
        return row
    if provider_id:
        row.provider_id = provider_id
    if state == "SUCCEEDED":
        row.status = S.SUCCEEDED
        row.error = ""
        if row.refund_id:
            Refund.objects.filter(pk=row.refund_id, owed_sent_at__isnull=True).update(owed_sent_at=timezone.now())
            refund = Refund.objects.get(pk=row.refund_id)
            OrderEvent.objects.create(
                order_id=refund.order_id,
                type="REFUND_SENT",
                data={"refund_id": refund.pk, "amount": str(refund.amount), "payout": row.reference_id},
            )
            enqueue(tasks.send_refund_email, refund.pk)
    elif state == "FAILED":
        row.status = S.FAILED
        row.error = (error or "failed")[:2000]
        if row.kind == BankPayout.Kind.DESIGNER:
            common = {"designer_id": row.designer_id, "currency": row.currency, "description": row.reference_id}
            ledger.record(
                kind=K.PAYOUT_FAILED, amount=-row.amount, reference=f"payout-failed:{row.reference_id}", **common
            )
            ledger.record(
                kind=K.TRANSFER_REVERSAL, amount=-row.amount, reference=f"payout-returned:{row.reference_id}", **common
            )
            enqueue(tasks.send_payout_failed_email, row.pk)
        logger.warning("payout %s failed: %s", row.reference_id, row.error)
    else:
        row.status = S.PROCESSING
    row.save(update_fields=["status", "provider_id", "error", "updated_at"])
    return row


def start_run(*, run: str | None = None) -> list[int]:
    """Write this run's payouts (one per designer with a bank account and enough money); returns the
    ids of the run's payouts still to send (also those a crashed earlier attempt left PENDING)."""
    if get_bank_payout_provider() is None:
        return []
    run = run or run_name()
    for designer_id in designers_with_accounts():
        create_designer_payout(designer_id=designer_id, run=run)
    return list(
        BankPayout.objects.filter(kind=BankPayout.Kind.DESIGNER, run=run, status=S.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def poll(payout_id: int) -> BankPayout:
    """Ask payOS how a PROCESSING payout is doing."""
    row = BankPayout.objects.get(pk=payout_id)
    if row.status != S.PROCESSING or not row.provider_id:
        return row
    result = get_bank_payout_provider().get_payout(payout_id=row.provider_id)
    return finish(payout_id=row.pk, state=result.state, error=result.error)


def due_for_check(now=None) -> tuple[list[int], list[int]]:
    """(payouts to poll, designer payouts left PENDING for a while: to send again)."""
    now = now or timezone.now()
    processing = list(BankPayout.objects.filter(status=S.PROCESSING).order_by("pk").values_list("pk", flat=True)[:500])
    stale = list(
        BankPayout.objects.filter(
            status=S.PENDING, kind=BankPayout.Kind.DESIGNER, updated_at__lte=now - timedelta(minutes=10)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    return processing, stale


# --- refunds owed to buyers (payOS purchases) --------------------------------------------------------


def send_refund(*, actor: User, refund_id: int, bank_bin: str, account_number: str, account_holder: str) -> BankPayout:
    """Staff send a refund owed to the buyer's bank account. Sending again after payOS could not be
    reached reuses the same payout (same reference id); after a failure, a new one is made."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only staff can send refunds."))
    bank_bin = (bank_bin or "").strip()
    account_number = (account_number or "").replace(" ", "")
    holder = normalise_holder(account_holder)  # as banks print it: NGUYEN VAN AN
    if not bank_bin.isdigit() or len(bank_bin) != 6:
        raise ServiceError(PaymentErrorCode.INVALID, _("Choose the buyer's bank."), "bank_bin")
    if not account_number.isdigit() or not 6 <= len(account_number) <= 19:
        raise ServiceError(PaymentErrorCode.INVALID, _("An account number has 6 to 19 digits."), "account_number")
    if not holder or len(holder) > 100:
        raise ServiceError(PaymentErrorCode.INVALID, _("Give the account holder's name."), "account_holder")
    if get_bank_payout_provider() is None:
        raise ServiceError(
            PaymentErrorCode.PAYOUTS_NOT_CONFIGURED, _("Payouts are not available on this server."), None
        )
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None:
            raise ServiceError(PaymentErrorCode.NOT_FOUND, _("Refund not found."), "refund_id")
        if not refund.owed:
            raise ServiceError(
                PaymentErrorCode.INVALID, _("This refund was made by the payment provider."), "refund_id"
            )
        if refund.owed_sent_at is not None:
            raise ServiceError(PaymentErrorCode.ALREADY_REFUNDED, _("This refund has already been sent."), "refund_id")
        row = refund.bank_payouts.exclude(status=S.FAILED).order_by("-pk").first()
        if row is not None and row.status != S.PENDING:
            raise ServiceError(PaymentErrorCode.INVALID, _("This refund is being sent."), "refund_id")
        if row is not None and (row.to_bin, row.account_last4) != (bank_bin, account_number[-4:]):
            raise ServiceError(
                PaymentErrorCode.INVALID,
                _("A payout of this refund to another account may be under way: use the same account."),
                "refund_id",
            )
        if row is None:
            n = refund.bank_payouts.count() + 1
            row = BankPayout.objects.create(
                kind=BankPayout.Kind.REFUND,
                refund=refund,
                amount=money.to_minor(refund.amount, refund.currency),
                currency=refund.currency,
                reference_id=f"refund-{refund.pk}-{n}",
                to_bin=bank_bin,
                account_last4=account_number[-4:],
                account_holder=holder,
            )
    try:
        return _call(row, account_number)
    except GatewayError as exc:
        logger.warning("refund payout %s: payOS unreachable: %s", row.reference_id, exc)
        raise ServiceError(
            PaymentErrorCode.GATEWAY_ERROR,
            _("The payout provider could not be reached; send it again with the same account."),
            None,
        )
