"""Designers' Vietnamese bank accounts: a bank from the shipped list, the holder as banks print it,
the number encrypted at rest and never shown again beyond its last four digits (not in the GraphQL
answer, an email, a log line or the admin), every change audited and emailed; the payout provider
reads the number back through one function."""

from __future__ import annotations

import json
import logging

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from payments import bank_accounts
from payments.models import BankAccount, BankAccountChange
from tests.factories import make_designer, make_user
from tests.support import load_operation

SET = load_operation("designer/DesignerBankAccountSet.graphql")
BANKS = load_operation("designer/Banks.graphql")
MONEY = load_operation("designer/MyDesignerMoney.graphql")
NUMBER = "0071000123456"
SECOND = "19033388829011"


def set_account(gql, designer, **overrides):
    data = {"bankBin": "970436", "accountNumber": NUMBER, "accountHolder": "Nguyễn Thị Hà", **overrides}
    return gql(SET, {"input": data}, user=designer.user)


def everything_stored() -> str:
    """Every row of the bank-account tables, as text (to look for a number in clear)."""
    with connection.cursor() as cursor:
        out = []
        for table in (BankAccount._meta.db_table, BankAccountChange._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")
            out.append(repr(cursor.fetchall()))
    return "\n".join(out)


def test_the_shipped_bank_list_has_the_main_banks(gql):
    banks = {b["bin"]: b for b in gql(BANKS)["data"]["banks"]}
    assert len(banks) >= 20
    for bin_, short in {
        "970436": "Vietcombank",
        "970415": "VietinBank",
        "970418": "BIDV",
        "970405": "Agribank",
        "970407": "Techcombank",
        "970422": "MB",
        "970416": "ACB",
        "970432": "VPBank",
        "970423": "TPBank",
        "970403": "Sacombank",
    }.items():
        assert banks[bin_]["shortName"] == short and banks[bin_]["name"].startswith("Ngân hàng")


def test_set_change_and_read_back_without_ever_showing_the_number(gql, db, run_on_commit, caplog):
    designer = make_designer(display_name="Hà")
    caplog.set_level(logging.DEBUG)
    with run_on_commit(), CaptureQueriesContext(connection) as queries:
        result = set_account(gql, designer, accountHolder="  nguyễn   thị  hà ", accountNumber="0071 0001 23456")
    assert queries.captured_queries and not any(NUMBER in q["sql"] for q in queries.captured_queries)
    payload = result["data"]["designerBankAccountSet"]
    assert payload["errors"] == []
    bank = payload["bankAccount"]["bank"]
    assert (bank["bin"], bank["shortName"], bank["name"]) == (
        "970436",
        "Vietcombank",
        "Ngân hàng TMCP Ngoại thương Việt Nam",
    )
    assert payload["bankAccount"]["accountNumberLast4"] == "3456"
    assert payload["bankAccount"]["accountHolder"] == "NGUYEN THI HA"

    # at rest: encrypted; the payout provider gets it back
    account = BankAccount.objects.get(designer=designer)
    assert NUMBER not in everything_stored() and account.account_number_encrypted.startswith("gAAAA")
    assert bank_accounts.bank_account_for_payout(designer.pk).account_number == NUMBER
    assert NUMBER not in repr(bank_accounts.bank_account_for_payout(designer.pk))
    assert bank_accounts.bank_account_for_payout(make_designer(display_name="Other").pk) is None

    # audited and emailed (last four digits only)
    change = BankAccountChange.objects.get(designer=designer)
    assert (change.actor, change.bank_bin, change.account_last4, change.previous_last4) == (
        designer.user,
        "970436",
        "3456",
        "",
    )
    [email] = mail.outbox
    assert email.to == [designer.user.email] and "3456" in email.body and "Vietcombank" in email.body

    # a change: a second audit row naming the previous account, a second email
    with run_on_commit():
        changed = set_account(gql, designer, bankBin="970407", accountNumber=SECOND, accountHolder="Nguyen Thi Ha")
    assert changed["data"]["designerBankAccountSet"]["bankAccount"]["bank"]["shortName"] == "Techcombank"
    latest = BankAccountChange.objects.order_by("-id").first()
    assert (latest.previous_bank_bin, latest.previous_last4, latest.account_last4) == ("970436", "3456", "9011")
    assert len(mail.outbox) == 2 and "3456" in mail.outbox[1].body and "9011" in mail.outbox[1].body
    assert bank_accounts.bank_account_for_payout(designer.pk).account_number == SECOND

    # the designer's own view
    money = gql(MONEY, user=designer.user)
    assert money["data"]["myDesigner"]["bankAccount"]["accountNumberLast4"] == "9011"

    # nowhere in clear: answers, emails (text and HTML), logs, stored rows
    seen = json.dumps([result, changed, money], ensure_ascii=False)
    seen += "".join(m.body + m.subject + "".join(a[0] for a in m.alternatives) for m in mail.outbox)
    seen += caplog.text + everything_stored()
    for number in (NUMBER, SECOND, "0071 0001 23456"):
        assert number not in seen


def test_only_the_designer_and_staff_see_it(gql, db):
    designer = make_designer(display_name="Hà")
    assert set_account(gql, designer)["data"]["designerBankAccountSet"]["errors"] == []
    query = "query($slug: String!) { designer(slug: $slug) { bankAccount { accountNumberLast4 } } }"
    view = lambda user: gql(query, {"slug": designer.slug}, user=user)["data"]["designer"]["bankAccount"]  # noqa: E731
    assert view(designer.user) == {"accountNumberLast4": "3456"}
    assert view(make_user(staff=True)) == {"accountNumberLast4": "3456"}
    assert view(make_designer(display_name="Other").user) is None
    assert view(make_user()) is None
    assert view(None) is None


def test_the_admin_shows_the_last_four_digits_only(db, admin_user):
    designer = make_designer(display_name="Hà")
    bank_accounts.set_bank_account(
        actor=designer.user, bank_bin="970436", account_number=NUMBER, account_holder="Nguyễn Thị Hà"
    )
    client = Client()
    client.force_login(admin_user)
    account = BankAccount.objects.get()
    pages = [
        client.get("/admin/payments/bankaccount/"),
        client.get(f"/admin/payments/bankaccount/{account.pk}/change/"),
        client.get("/admin/payments/bankaccountchange/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert NUMBER not in html and account.account_number_encrypted not in html
    assert "3456" in pages[0].content.decode() and "NGUYEN THI HA" in pages[0].content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"bankBin": "999999"}, "bankBin", "INVALID_BANK"),
        ({"accountNumber": "12-34"}, "accountNumber", "INVALID"),
        ({"accountNumber": "12345678901234567890"}, "accountNumber", "INVALID"),
        ({"accountNumber": "00710001234ab"}, "accountNumber", "INVALID"),
        ({"accountNumber": " "}, "accountNumber", "REQUIRED"),
        ({"accountHolder": "Hà 123"}, "accountHolder", "INVALID"),
        ({"accountHolder": "  "}, "accountHolder", "REQUIRED"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_writes_nothing(gql, db_unchanged, overrides, field, code):
    designer = make_designer(display_name="Hà")
    result = set_account(gql, designer, **overrides)
    errors = result["data"]["designerBankAccountSet"]["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code)
    assert BankAccount.objects.count() == 0 and BankAccountChange.objects.count() == 0
    if field == "accountNumber" and code == "INVALID":  # never echoed back
        assert overrides["accountNumber"] not in json.dumps(result, ensure_ascii=False)


def test_without_an_encryption_key_nothing_is_saved(gql, db, settings):
    settings.BANK_ACCOUNT_ENCRYPTION_KEY = ""
    designer = make_designer(display_name="Hà")
    errors = set_account(gql, designer)["data"]["designerBankAccountSet"]["errors"]
    assert [e["code"] for e in errors] == ["BANK_ACCOUNTS_NOT_CONFIGURED"]
    assert BankAccount.objects.count() == 0


def test_keys_rotate_the_old_key_still_decrypts(gql, db, settings):
    from cryptography.fernet import Fernet

    old = settings.BANK_ACCOUNT_ENCRYPTION_KEY
    designer = make_designer(display_name="Hà")
    assert set_account(gql, designer)["data"]["designerBankAccountSet"]["errors"] == []
    settings.BANK_ACCOUNT_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"
    assert bank_accounts.bank_account_for_payout(designer.pk).account_number == NUMBER
    settings.BANK_ACCOUNT_ENCRYPTION_KEY = Fernet.generate_key().decode()  # the old key lost
    with pytest.raises(bank_accounts.InvalidToken):
        bank_accounts.bank_account_for_payout(designer.pk)


def test_holder_names_are_folded_as_banks_print_them():
    assert bank_accounts.normalise_holder("Nguyễn Thị Hà") == "NGUYEN THI HA"
    assert bank_accounts.normalise_holder("  Đặng   Văn  Lâm ") == "DANG VAN LAM"
