"""Bank payouts through payOS (real SDK, local stand-in): refunds of payOS purchases owed to the
buyer and sent by staff; the weekly payout run paying each designer its payable balance once,
even when run twice (also concurrently), a failed payout giving the money back with an email."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from payments import bank_payouts, ledger
from payments.gateways.base import GatewayError
from payments.models import BankPayout, LedgerEntry, Refund
from payments.reconcile import money_differences
from payments.tasks import check_payouts, run_payouts
from shop.orders.models import OrderEvent
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import order_gid
from tests.payments.payos_helpers import ACCOUNT, paid, with_account
from tests.support import load_operation

REFUND = load_operation("staff/OrderRefund.graphql")
SEND = load_operation("staff/RefundSend.graphql")
ORDER = "query($id: ID!) { node(id: $id) { ... on Order { refundPending { amount } refunds { status sentAt } } } }"
RUN = "2026-W49"


def everything_stored() -> str:
    """Every row we own, as text: no full account number may be in it."""
    from tests.support import database_snapshot

    return repr(database_snapshot())


def test_a_payos_refund_is_owed_until_staff_send_it_by_payout(gql, payos_inline, run_on_commit):
    designer = make_designer(display_name="Hà")
    purchase = make_purchase((designer, [(300000, 1)]), gateway="payos")
    payment = start_payment(purchase)
    with run_on_commit():
        payos_inline.pay(int(payment.psp_reference))
    order = purchase.orders.get()
    order.refresh_from_db()
    assert order.status == "PAID"
    staff = make_user(staff=True)
    mail.outbox.clear()

    with run_on_commit():
        done = gql(REFUND, {"id": order_gid(order), "input": {"amount": "100000"}}, user=staff)["data"]["orderRefund"]
    assert done["errors"] == []
    assert done["refund"]["status"] == "OWED" and done["refund"]["sentAt"] is None
    assert done["order"]["status"] == "PARTIALLY_REFUNDED"
    assert done["order"]["refundPending"]["amount"] == "100000"
    assert ("REFUND", -100000) in LedgerEntry.objects.values_list("kind", "amount")
    assert OrderEvent.objects.filter(order=order, type="REFUND_OWED").exists()
    assert mail.outbox == []  # the buyer hears when the money is sent
    refund = Refund.objects.get()

    variables = {
        "id": done["refund"]["id"],
        "input": {"bankBin": "970436", "accountNumber": ACCOUNT, "accountHolder": "Nguyễn Văn An"},
    }
    assert gql(SEND, variables, user=designer.user)["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    bad_bank = {**variables, "input": {**variables["input"], "bankBin": "97"}}
    refused = gql(SEND, bad_bank, user=staff)["data"]["refundSend"]["errors"]
    assert [(e["code"], e["field"]) for e in refused] == [("INVALID", "bankBin")]  # the service's bank_bin
    with run_on_commit():
        sent = gql(SEND, variables, user=staff)["data"]["refundSend"]
    assert sent["errors"] == [] and sent["payoutStatus"] == "PROCESSING"
    assert sent["refund"]["status"] == "OWED"  # pending until payOS reports the transfer done
    [call] = payos_inline.calls_to("POST", "/v1/payouts")
    assert call.body["toAccountNumber"] == ACCOUNT and call.body["amount"] == 100000
    assert call.headers["x-idempotency-key"] == call.body["referenceId"] == f"refund-{refund.pk}-1"
    again = gql(SEND, variables, user=staff)["data"]["refundSend"]
    # already being sent: no second payout (the service's refund_id is the API's id)
    assert (again["errors"][0]["code"], again["errors"][0]["field"]) == ("INVALID", "id")
    assert len(payos_inline.payouts) == 1

    [payout_id] = payos_inline.payouts
    payos_inline.finish_payout(payout_id, succeeded=True)
    with run_on_commit():
        check_payouts.delay()
    refund.refresh_from_db()
    assert refund.owed_sent_at is not None
    seen = gql(ORDER, {"id": order_gid(order)}, user=staff)["data"]["node"]
    assert seen["refundPending"]["amount"] == "0" and [r["status"] for r in seen["refunds"]] == ["SENT"]
    assert OrderEvent.objects.filter(order=order, type="REFUND_SENT").count() == 1
    [email] = mail.outbox
    assert email.to == ["buyer@example.com"] and "chuyển khoản" in email.body
    assert ACCOUNT not in everything_stored() and ACCOUNT not in email.body
    # The money invariant of the purchase: captured - refunded = what its orders say.
    captured = sum(p.amount for p in purchase.payments.filter(status="SUCCEEDED"))
    refunded = sum(r.amount for r in Refund.objects.filter(order__purchase=purchase))
    order.refresh_from_db()
    assert captured - refunded == order.total_amount - order.refunded_amount == 200000
    assert money_differences() == []
    assert BankPayout.objects.get().account_last4 == ACCOUNT[-4:]


def test_weekly_run_pays_each_designer_once_and_a_failed_payout_returns_the_money(db, payos_inline, run_on_commit):
    ha = with_account(make_designer(display_name="Hà"))
    minh = with_account(make_designer(display_name="Minh", commission_rate=Decimal("0.10")), number="9988776655")
    small = with_account(make_designer(display_name="Lan"), number="5544332211")
    no_account = make_designer(display_name="Tú")
    paid(ha, 300000)  # 15 %: 255,000 payable
    paid(minh, 200000)  # 10 %: 180,000 payable
    paid(small, 100000)  # 85,000: under the 100,000 minimum, waits
    paid(no_account, 500000)

    with run_on_commit():
        assert run_payouts.delay(run=RUN).get() == 2
    with run_on_commit():
        assert run_payouts.delay(run=RUN).get() == 0  # the same run again: nothing new
    calls = payos_inline.calls_to("POST", "/v1/payouts")
    assert sorted((c.body["toAccountNumber"], c.body["amount"]) for c in calls) == [
        (ACCOUNT, 255000),
        ("9988776655", 180000),
    ]
    assert len(payos_inline.payouts) == 2
    rows = {r.designer_id: r for r in BankPayout.objects.all()}
    assert set(rows) == {ha.pk, minh.pk} and {r.status for r in rows.values()} == {"PROCESSING"}
    for designer in (ha, minh):
        assert ledger.balance(designer_id=designer.pk, currency="VND").pending == 0
    assert ledger.balance(designer_id=ha.pk, currency="VND").paid_out == 255000

    by_reference = {p["referenceId"]: pid for pid, p in payos_inline.payouts.items()}
    payos_inline.finish_payout(by_reference[rows[ha.pk].reference_id], succeeded=True)
    payos_inline.finish_payout(by_reference[rows[minh.pk].reference_id], succeeded=False)
    mail.outbox.clear()
    with run_on_commit():
        check_payouts.delay()
    with run_on_commit():
        check_payouts.delay()  # polled twice: changes nothing more
    statuses = dict(BankPayout.objects.values_list("designer_id", "status"))
    assert statuses == {ha.pk: "SUCCEEDED", minh.pk: "FAILED"}
    minh_balance = ledger.balance(designer_id=minh.pk, currency="VND")
    assert (minh_balance.pending, minh_balance.paid_out) == (180000, 0)  # the money is back
    kinds = list(LedgerEntry.objects.filter(designer=minh, order=None).order_by("id").values_list("kind", "amount"))
    assert kinds == [
        ("TRANSFER", 180000),
        ("PAYOUT", 180000),
        ("PAYOUT_FAILED", -180000),
        ("TRANSFER_REVERSAL", -180000),
    ]
    [email] = mail.outbox
    assert email.to == [minh.user.email] and "6655" in email.body and "9988776655" not in email.body
    for designer in (ha, minh, small, no_account):  # every designer: the ledger adds up to the balance
        b = ledger.balance(designer_id=designer.pk, currency="VND")
        earned = sum(
            LedgerEntry.objects.filter(designer=designer, order__isnull=False).values_list("amount", flat=True)
        )
        assert b.pending + b.available + b.paid_out == earned

    with run_on_commit():
        assert run_payouts.delay(run="2026-W50").get() == 1  # next week Minh is paid again
    assert BankPayout.objects.filter(run="2026-W50").get().designer_id == minh.pk
    assert money_differences() == []  # manage.py check_money agrees


def test_a_payout_payos_cannot_take_now_is_retried_with_the_same_reference(db, payos_inline):
    ha = with_account(make_designer(display_name="Hà"))
    paid(ha, 300000)
    payos_inline.failures.append(("POST", "/v1/payouts", 503))
    [pk] = bank_payouts.start_run(run=RUN)
    with pytest.raises(GatewayError) as raised:
        bank_payouts.send(pk)
    assert raised.value.retryable
    assert BankPayout.objects.get().status == "PENDING"
    assert bank_payouts.send(pk).status == "PROCESSING"
    calls = payos_inline.calls_to("POST", "/v1/payouts", ok=None)
    assert [c.status for c in calls] == [503, 200]
    assert calls[0].headers["x-idempotency-key"] == calls[1].headers["x-idempotency-key"]


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_pay_each_designer_once(payos_on):
    ha = with_account(make_designer(display_name="Hà"))
    minh = with_account(make_designer(display_name="Minh"), number="9988776655")
    paid(ha, 300000)
    paid(minh, 200000)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            ids = bank_payouts.start_run(run=RUN)
            results.append([bank_payouts.send(pk).status for pk in ids])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert BankPayout.objects.count() == 2
    assert len(payos_on.payouts) == 2  # payOS made two payouts, whatever the number of calls
    assert sorted(p["transactions"][0]["amount"] for p in payos_on.payouts.values()) == [170000, 255000]
    for designer in (ha, minh):
        assert LedgerEntry.objects.filter(designer=designer, kind="PAYOUT").count() == 1


def test_with_stripe_and_payos_each_designer_is_paid_by_what_it_set_up(
    db, settings, stripe_on, payos_on, run_on_commit, deliver
):
    """Both providers on: a designer with a Vietnamese bank account is paid by the payOS run (no
    Stripe transfer of its share), one with only a Connect account by Stripe transfers."""
    from payments.models import PayoutAccount, Transfer

    settings.PAYMENT_GATEWAYS = ["payments.gateways.stripe.StripeGateway", "payments.gateways.payos.PayOSGateway"]
    settings.PAYOUT_PROVIDER = "stripe,payos"
    local = with_account(make_designer(display_name="Hà"))
    abroad = make_designer(display_name="Anna")
    for designer in (local, abroad):
        account = stripe_on.create_account({"type": "express"})
        stripe_on.enable_payouts(account["id"])
        PayoutAccount.objects.create(designer=designer, account_id=account["id"], payouts_enabled=True)
    purchase = make_purchase((local, [(200000, 1)]), (abroad, [(100000, 1)]), gateway="stripe")
    intent, _charge = stripe_on.succeed_payment_intent(start_payment(purchase).psp_reference)
    with run_on_commit():
        deliver(stripe_on.event("payment_intent.succeeded", intent))
    assert list(Transfer.objects.values_list("designer_id", "amount")) == [(abroad.pk, 85000)]
    with run_on_commit():
        assert run_payouts.delay(run=RUN).get() == 1
    [payout] = payos_on.payouts.values()
    assert payout["transactions"][0]["amount"] == 170000
    assert BankPayout.objects.get().designer_id == local.pk
