"""Designers' Vietnamese bank accounts (where payouts go).

- The bank is one of the shipped list ``payments/data/vn_banks.json`` (NAPAS / VietQR BIN, short
  name, full name), looked up by BIN.
- The holder is stored as banks print it: upper case, no diacritics, single spaces
  (``Nguyễn Thị Hà`` -> ``NGUYEN THI HA``, with the project's accent folding, shop/core/text.py).
- The account number is encrypted at rest with Fernet (``cryptography``; AES-128-CBC + HMAC-SHA256)
  under ``settings.BANK_ACCOUNT_ENCRYPTION_KEY`` (comma-separated keys: the first encrypts, all
  decrypt, so keys can be rotated). Only its last four digits are ever shown again (GraphQL, emails,
  the admin); it is never logged. :func:`bank_account_for_payout` is the only way to read it back,
  for the payout provider.
- Every change is a :class:`~payments.models.BankAccountChange` (who, when, bank, last four, holder,
  the previous bank and last four) and an email to the designer, after commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from designers.models import Designer
from payments import tasks
from payments.banks import Bank, bank_by_bin, banks
from payments.errors import PaymentErrorCode
from payments.models import BankAccount, BankAccountChange
from shop.accounts.models import User
from shop.core.errors import FieldError, PermissionDenied, ServiceError
from shop.core.queueing import enqueue
from shop.core.text import fold

ACCOUNT_NUMBER_RE = re.compile(r"^[0-9]{6,19}$")
HOLDER_RE = re.compile(r"^[A-Z][A-Z ]*$")
HOLDER_MAX_LENGTH = 100


# --- encryption ---------------------------------------------------------------------------------


class NotConfigured(Exception):
    pass


def encryption() -> MultiFernet:
    keys = [k.strip() for k in (settings.BANK_ACCOUNT_ENCRYPTION_KEY or "").split(",") if k.strip()]
    development = settings.DEBUG or getattr(settings, "TESTING", False)
    if not keys or (not development and keys[0] == getattr(settings, "_DEV_BANK_ACCOUNT_KEY", None)):
        raise NotConfigured("BANK_ACCOUNT_ENCRYPTION_KEY is not set")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:  # not 32 url-safe base64-encoded bytes
        raise NotConfigured("BANK_ACCOUNT_ENCRYPTION_KEY is not a Fernet key") from exc


def encrypt(number: str) -> str:
    return encryption().encrypt(number.encode()).decode()


def decrypt(token: str) -> str:
    return encryption().decrypt(token.encode()).decode()


# --- cleaning -----------------------------------------------------------------------------------


def normalise_holder(value: str) -> str:
    """``  Nguyễn  Thị Hà `` -> ``NGUYEN THI HA`` (as Vietnamese banks print names)."""
    return " ".join(fold(value or "").upper().split())


def _clean(bank_bin, account_number, account_holder) -> tuple[Bank, str, str]:
    errors: list[FieldError] = []
    bank = bank_by_bin(str(bank_bin or "").strip())
    if bank is None:
        errors.append(
            FieldError(PaymentErrorCode.INVALID_BANK, _("Choose a bank from the list of Vietnamese banks."), "bank_bin")
        )
    number = re.sub(r"[\s.-]", "", str(account_number or ""))
    if not number:
        errors.append(FieldError(PaymentErrorCode.REQUIRED, _("This field is required."), "account_number"))
    elif not ACCOUNT_NUMBER_RE.match(number):
        # never echo the number back
        errors.append(
            FieldError(PaymentErrorCode.INVALID, _("An account number has 6 to 19 digits."), "account_number")
        )
    holder = normalise_holder(account_holder)
    if not holder:
        errors.append(FieldError(PaymentErrorCode.REQUIRED, _("This field is required."), "account_holder"))
    elif len(holder) > HOLDER_MAX_LENGTH or not HOLDER_RE.match(holder):
        errors.append(
            FieldError(
                PaymentErrorCode.INVALID,
                _("Write the account holder's name as the bank shows it: letters and spaces only."),
                "account_holder",
            )
        )
    if errors:
        raise ServiceError.many(errors)
    return bank, number, holder


# --- writes and reads ---------------------------------------------------------------------------


@transaction.atomic
def set_bank_account(*, actor: User, bank_bin, account_number, account_holder) -> BankAccount:
    """The caller's designer profile gets (or changes) its payout bank account."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    designer = Designer.objects.select_for_update().filter(user_id=actor.pk).first()
    if designer is None:
        raise PermissionDenied(_("Only designers can set a payout bank account."))
    bank, number, holder = _clean(bank_bin, account_number, account_holder)
    try:
        encrypted = encrypt(number)
    except NotConfigured:
        raise ServiceError(
            PaymentErrorCode.BANK_ACCOUNTS_NOT_CONFIGURED, _("Bank accounts cannot be saved on this server yet."), None
        )
    account = BankAccount.objects.filter(designer=designer).first()
    previous_bin, previous_last4 = (account.bank_bin, account.account_last4) if account else ("", "")
    if account is None:
        account = BankAccount(designer=designer)
    account.bank_bin = bank.bin
    account.account_number_encrypted = encrypted
    account.account_last4 = number[-4:]
    account.account_holder = holder
    account.save()
    change = BankAccountChange.objects.create(
        designer=designer,
        actor=actor,
        bank_bin=bank.bin,
        account_last4=number[-4:],
        account_holder=holder,
        previous_bank_bin=previous_bin,
        previous_last4=previous_last4,
    )
    enqueue(tasks.send_bank_account_changed_email, change.pk)
    return account


def bank_account_of(user, designer: Designer) -> BankAccount | None:
    """The designer itself and staff see it (masked); nobody else."""
    if user is None or not user.is_authenticated or not (user.is_staff or designer.user_id == user.pk):
        return None
    return BankAccount.objects.filter(designer_id=designer.pk).first()


@dataclass(frozen=True)
class PayoutBankAccount:
    """Everything a payout provider needs; the number in clear. Never log or show it."""

    bank_bin: str
    account_number: str = ""
    account_holder: str = ""

    def __repr__(self) -> str:  # keeps the number out of tracebacks and logs
        return f"PayoutBankAccount(bank_bin={self.bank_bin!r}, account_number='****', account_holder=...)"

    __str__ = __repr__


def bank_account_for_payout(designer_id: int) -> PayoutBankAccount | None:
    """The designer's bank account with the number decrypted, for the payout provider (payOS), or
    None when it has none. Raises :class:`NotConfigured` when the key is missing and
    ``cryptography.fernet.InvalidToken`` when the key cannot decrypt it (a lost or wrong key)."""
    account = BankAccount.objects.filter(designer_id=designer_id).first()
    if account is None:
        return None
    return PayoutBankAccount(
        bank_bin=account.bank_bin,
        account_number=decrypt(account.account_number_encrypted),
        account_holder=account.account_holder,
    )


__all__ = [
    "Bank",
    "InvalidToken",
    "NotConfigured",
    "PayoutBankAccount",
    "bank_account_for_payout",
    "bank_account_of",
    "bank_by_bin",
    "banks",
    "normalise_holder",
    "set_bank_account",
]
