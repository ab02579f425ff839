"""Designers' connected accounts (Stripe Connect): onboarding, the provider's view of each account,
and the payouts from it to the designer's bank.

The account is created once (the provider's idempotency key ``connect-account-designer-<id>`` and
the unique designer of PayoutAccount both guard it); enabling its payouts settles everything the
designer accrued (payments/transfers.py). A payout from the connected account to the bank enters
the ledger as PAYOUT, and a failed one as PAYOUT_FAILED.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from designers.models import Designer, DesignerStatus
from payments import ledger, tasks
from payments.errors import PaymentErrorCode, gateway_failure
from payments.gateways import get_payout_provider
from payments.gateways.base import GatewayError
from payments.models import LedgerEntry, PayoutAccount
from shop.accounts.models import User
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.core.transactions import assert_no_transaction

K = LedgerEntry.Kind


def onboard_designer(*, user: User):
    """Create the designer's connected account when it has none (once, whatever happens: the
    provider's idempotency key and the unique designer of PayoutAccount both guard it) and return
    a fresh onboarding link. Calling it again returns a new link for the same account and writes
    nothing. The provider is called outside any transaction (no lock held while it answers)."""
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
        raise gateway_failure("payout onboarding", exc)
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


@transaction.atomic
def record_payout(*, account_id: str, payout_id: str, amount: int, currency: str, failed: bool) -> LedgerEntry | None:
    """A payout from a connected account to the designer's bank was made (PAYOUT) or failed
    (PAYOUT_FAILED). None: not a designer's account, or a failed payout never counted as made."""
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
