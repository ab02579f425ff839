"""Small helpers of the payOS tests."""

from django.db import transaction

from payments import bank_payouts
from tests.factories import make_purchase, start_payment

ACCOUNT = "0123456789012"


def paid(designer, price, gateway="dummy"):
    purchase = make_purchase((designer, [(price, 1)]), gateway=gateway)
    start_payment(purchase)
    return purchase


def with_account(designer, number=ACCOUNT, bank="970436"):
    """The designer sets its payout bank account (designerBankAccountSet's service when it is on
    this branch, else the local stand-in of payments/bank_payouts.py)."""
    try:
        from payments.bank_accounts import set_bank_account
    except ImportError:
        bank_payouts.set_local_bank_account(designer.pk, bank_payouts.Account(bank, number, "NGUYEN THI HA"))
    else:
        with transaction.atomic():
            set_bank_account(actor=designer.user, bank_bin=bank, account_number=number, account_holder="Nguyễn Thị Hà")
    return designer
