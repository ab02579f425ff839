"""``manage.py check_money``: silent and 0 on agreeing books, each difference named and exit 1 on
books that disagree (made to disagree behind the services' back, as a bug or a bad hand edit would)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments import ledger
from payments.models import LedgerEntry, Payment, Refund, Transfer
from shop.orders.models import Order, OrderStatus
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import order_gid
from tests.support import load_operation

REFUND = load_operation("staff/OrderRefund.graphql")


def check_money(capsys) -> tuple[int, str]:
    try:
        call_command("check_money")
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, capsys.readouterr().out


@pytest.fixture
def books(gql, db, run_on_commit):
    """Two designers; a paid two-designer purchase with a partial refund, a paid one, an unpaid one."""
    ha, minh = make_designer(), make_designer()
    staff = make_user(staff=True)
    both = make_purchase((ha, [(150000, 2)]), (minh, [(90000, 1)]), gateway="dummy", user=make_user())
    single = make_purchase((ha, [(50000, 1)]), gateway="dummy", user=make_user())
    unpaid = make_purchase((minh, [(70000, 1)]), gateway="dummy", user=make_user())
    with run_on_commit():
        start_payment(both)
        start_payment(single)
    order = both.orders.get(designer=ha)
    with run_on_commit():
        refunded = gql(REFUND, {"id": order_gid(order), "input": {"amount": "100000"}}, user=staff)
    assert refunded["data"]["orderRefund"]["errors"] == []
    return {"ha": ha, "minh": minh, "both": both, "single": single, "unpaid": unpaid, "order": order}


def test_agreeing_books_pass(books, capsys):
    code, out = check_money(capsys)
    assert code == 0, out
    assert "0 difference(s)" in out
    assert "3 purchases" in out and "4 orders" in out and "1 refunds" in out


def test_an_order_refunded_without_a_refund_row_is_named(books, capsys):
    order = books["order"]
    Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal(150000))
    code, out = check_money(capsys)
    assert code == 1
    assert f"order {order.pk} (VND): refunded amount vs its refunds: expected 100000, found 150000" in out
    assert f"purchase {books['both'].pk} (VND): captured - refunded vs its orders" in out


def test_a_payment_captured_for_more_than_the_orders_is_named(books, capsys):
    Payment.objects.filter(purchase=books["single"]).update(amount=Decimal(51000))
    code, out = check_money(capsys)
    assert code == 1
    assert f"purchase {books['single'].pk} (VND): captured - refunded vs its orders: expected 50000, found 51000" in out
    assert out.strip().endswith("1 difference(s)")


def test_a_paid_order_missing_from_the_ledger_is_named(books, capsys):
    order = books["single"].orders.get()
    LedgerEntry.objects.filter(order=order).delete()
    code, out = check_money(capsys)
    assert code == 1
    assert f"order {order.pk} (VND): paid order's SALE in the ledger" in out


def test_a_refund_missing_from_the_ledger_is_named(books, capsys):
    order = books["order"]
    LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).update(amount=-90000)
    code, out = check_money(capsys)
    assert code == 1
    assert f"order {order.pk} (VND): REFUND entries vs refunded amount: expected 100000, found 90000" in out


def test_a_late_payment_for_a_cancelled_order_shows_until_refunded(books, capsys):
    unpaid = books["unpaid"]
    Order.objects.filter(purchase=unpaid).update(status=OrderStatus.CANCELLED)
    Payment.objects.create(
        purchase=unpaid,
        gateway="dummy",
        amount=Decimal(70000),
        currency="VND",
        status=Payment.Status.SUCCEEDED,
        idempotency_key="late",
    )
    code, out = check_money(capsys)
    assert (
        code == 1 and f"purchase {unpaid.pk} (VND): captured - refunded vs its orders: expected 0, found 70000" in out
    )
    order = unpaid.orders.get()
    Refund.objects.create(order=order, amount=Decimal(70000), currency="VND", gateway="dummy", idempotency_key="late-r")
    Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal(70000))
    code, out = check_money(capsys)
    assert code == 0, out


def test_transfers_and_the_ledger_must_agree(books, capsys):
    ha, order = books["ha"], books["order"]
    row = Transfer.objects.create(
        order=order,
        designer=ha,
        kind=Transfer.Kind.TRANSFER,
        amount=100000,
        currency="VND",
        idempotency_key="t-1",
        status=Transfer.Status.SUCCEEDED,
    )
    code, out = check_money(capsys)
    assert code == 1
    assert f"designer {ha.pk} (VND): transfers in the ledger vs transfer rows: expected 100000, found 0" in out
    ledger.record(
        designer_id=ha.pk, order_id=order.pk, kind="TRANSFER", amount=100000, currency="VND", reference=f"t:{row.pk}"
    )
    assert check_money(capsys)[0] == 0
    ledger.record(designer_id=ha.pk, kind="PAYOUT", amount=120000, currency="VND", reference="po-1")
    code, out = check_money(capsys)
    assert code == 1
    assert f"designer {ha.pk} (VND): available (transferred - paid out) below zero: expected 0, found -20000" in out


def test_json_output(books, capsys):
    call_command("check_money", "--json")
    out = capsys.readouterr().out
    assert '"differences": []' in out and '"purchases": 3' in out


@pytest.mark.django_db(transaction=True)
def test_runs_outside_a_transaction_in_one_read_only_snapshot(capsys):
    """As in production: its own REPEATABLE READ, READ ONLY transaction (a write would fail)."""
    designer = make_designer()
    make_purchase((designer, [(10000, 1)]), gateway="dummy")
    code, out = check_money(capsys)
    assert code == 0 and "1 purchases" in out, out
