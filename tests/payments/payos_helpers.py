"""Small helpers of the payOS tests."""

from django.db import transaction

from payments.bank_accounts import set_bank_account
from tests.factories import make_purchase, start_payment

ACCOUNT = "0123456789012"


def paid(designer, price, gateway="dummy"):
    purchase = make_purchase((designer, [(price, 1)]), gateway=gateway)
    start_payment(purchase)
    return purchase


def with_account(designer, number=ACCOUNT, bank="970436"):
    """The designer sets its payout bank account (designerBankAccountSet's service)."""
    with transaction.atomic():
        set_bank_account(actor=designer.user, bank_bin=bank, account_number=number, account_holder="Nguyễn Thị Hà")
    return designer
