"""End to end (service level): a purchase from two designers paid by a signed
payment_intent.succeeded -> both orders PAID -> one transfer per designer of total minus commission
-> a partial refund of one order -> transfer reversal and ledger entries -> balances that add up.
The same events delivered twice and out of order change nothing more; the ledger agrees with the
Stripe objects."""

from decimal import Decimal

import pytest
import stripe
from django.core import mail

from payments.models import Dispute, LedgerEntry, PayoutAccount, Refund, StripeEvent, Transfer
from shop.orders.models import Order
from tests.factories import make_designer, make_purchase, make_user, start_payment
from tests.payments.helpers import ledger_of, ledger_sum, order_gid
from tests.support import load_operation

REFUND = load_operation("staff/OrderRefund.graphql")
MONEY = load_operation("designer/MyDesignerMoney.graphql")
ONBOARD = load_operation("designer/DesignerPayoutOnboard.graphql")


def onboarded(gql, stripe_on, deliver, designer):
    assert gql(ONBOARD, user=designer.user)["data"]["designerPayoutOnboard"]["errors"] == []
    account = PayoutAccount.objects.get(designer=designer)
    deliver(
        stripe_on.event("account.updated", stripe_on.enable_payouts(account.account_id), account=account.account_id)
    )
    return account


def state() -> dict:
    """Everything money-related we own, to prove a replay changed nothing."""
    return {
        "ledger": sorted(LedgerEntry.objects.values_list("reference", "kind", "amount", "currency")),
        "transfers": sorted(Transfer.objects.values_list("idempotency_key", "kind", "amount", "status", "provider_id")),
        "refunds": sorted(Refund.objects.values_list("idempotency_key", "amount")),
        "orders": sorted(Order.objects.values_list("number", "status", "refunded_amount", "is_disputed")),
        "disputes": sorted(Dispute.objects.values_list("dispute_id", "status", "closed", "loss_recorded")),
    }


def balance(gql, designer):
    data = gql(MONEY, {"first": 50}, user=designer.user)["data"]["myDesigner"]
    b = data["balance"]
    return {k: int(Decimal(b[k]["amount"])) for k in ("pending", "available", "paidOut")}, data["ledger"]


@pytest.fixture
def market(gql, stripe_on, deliver):
    """Hà (default 15 % commission) and Minh (10 %), both onboarded; a buyer's purchase from both,
    the PaymentIntent confirmed at Stripe but not yet reported to us."""
    ha = make_designer(display_name="Hà")
    minh = make_designer(display_name="Minh", commission_rate=Decimal("0.10"))
    accounts = {d.pk: onboarded(gql, stripe_on, deliver, d) for d in (ha, minh)}
    purchase = make_purchase((ha, [(150000, 2)]), (minh, [(200000, 1)]), shipping=30000)
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    return ha, minh, accounts, purchase, payment, intent, charge


def test_purchase_to_transfers_to_partial_refund_and_balances(
    gql, stripe_on, deliver, run_on_commit, market, django_assert_max_num_queries
):
    ha, minh, accounts, purchase, payment, intent, charge = market
    order_ha, order_minh = purchase.orders.get(designer=ha), purchase.orders.get(designer=minh)
    assert (order_ha.total_amount, order_minh.total_amount) == (330000, 230000)
    [pi_call] = stripe_on.calls_to("POST", "/v1/payment_intents")
    assert pi_call.params["amount"] == "560000" and pi_call.idempotency_key == f"purchase-{purchase.pk}"

    # 1. Stripe reports the payment: both orders PAID, one transfer per designer.
    events = [stripe_on.event("payment_intent.succeeded", intent)]
    deliver(events[0])
    assert set(purchase.orders.values_list("status", flat=True)) == {"PAID"}
    transfers = stripe_on.calls_to("POST", "/v1/transfers")
    by_destination = {c.params["destination"]: c for c in transfers}
    assert len(transfers) == 2
    ha_transfer, minh_transfer = (
        by_destination[accounts[ha.pk].account_id],
        by_destination[accounts[minh.pk].account_id],
    )
    assert ha_transfer.params["amount"] == "280500"  # 330000 - 15 %
    assert minh_transfer.params["amount"] == "207000"  # 230000 - 10 %
    for call, order in ((ha_transfer, order_ha), (minh_transfer, order_minh)):
        assert call.params["currency"] == "vnd"
        assert call.params["source_transaction"] == charge["id"]
        assert call.params["transfer_group"] == f"purchase-{purchase.pk}"
        assert call.idempotency_key == f"transfer-order-{order.pk}-1"
    assert ledger_of(ha) == [("SALE", 330000), ("COMMISSION", -49500), ("TRANSFER", 280500)]

    # 2. Hà refunds 110000 of her order (a third): Stripe refunds, her transfer is reversed by her net share.
    with run_on_commit():
        result = gql(
            REFUND,
            {"id": order_gid(order_ha), "input": {"amount": "110000", "reason": "Hết hàng một món"}},
            user=ha.user,
        )
    assert result["data"]["orderRefund"]["errors"] == []
    [refund_call] = stripe_on.calls_to("POST", "/v1/refunds")
    assert refund_call.params["amount"] == "110000" and refund_call.idempotency_key == f"refund-order-{order_ha.pk}-1"
    [reversal] = stripe_on.calls_to("POST", r"/v1/transfers/tr_\w+/reversals")
    assert reversal.path == f"/v1/transfers/{ha_transfer.response['id']}/reversals"
    assert reversal.params["amount"] == "93500"  # 110000 - 15 % of it
    assert reversal.idempotency_key == f"reversal-order-{order_ha.pk}-2"
    order_ha.refresh_from_db()
    assert (order_ha.status, order_ha.refunded_amount) == ("PARTIALLY_REFUNDED", 110000)
    assert ledger_of(ha) == [
        ("SALE", 330000),
        ("COMMISSION", -49500),
        ("TRANSFER", 280500),
        ("REFUND", -110000),
        ("COMMISSION_REFUND", 16500),
        ("TRANSFER_REVERSAL", -93500),
    ]
    [refund_email] = [m for m in mail.outbox if "hoàn tiền" in m.subject]
    assert refund_email.to == [purchase.email] and order_ha.number in refund_email.subject

    # Stripe's own follow-up events change nothing.
    events += [
        stripe_on.event("charge.refunded", stripe_on.object(charge["id"])),
        stripe_on.event("transfer.created", stripe_on.object(ha_transfer.response["id"])),
        stripe_on.event("transfer.created", stripe_on.object(minh_transfer.response["id"])),
        stripe_on.event("transfer.reversed", stripe_on.object(ha_transfer.response["id"])),
    ]
    before = state()
    for event in events[1:]:
        deliver(event)
    assert state() == before

    # 3. Balances add up.
    with django_assert_max_num_queries(8):
        ha_balance, ha_ledger = balance(gql, ha)
    assert ha_balance == {"pending": 0, "available": 187000, "paidOut": 0}
    assert ha_ledger["totalCount"] == 6
    earnings = ("SALE", "COMMISSION", "COMMISSION_REFUND", "REFUND", "DISPUTE", "DISPUTE_REVERSAL")
    earned = sum(
        int(Decimal(e["node"]["amount"]["amount"])) for e in ha_ledger["edges"] if e["node"]["kind"] in earnings
    )
    assert earned == sum(ha_balance.values()) == 330000 - 49500 - 110000 + 16500
    minh_balance, _ = balance(gql, minh)
    assert minh_balance == {"pending": 0, "available": 207000, "paidOut": 0}

    # 4. Everything again, twice, in reverse order, and re-wrapped in new event ids: nothing more.
    for event in reversed(events):
        deliver(event)
    for event in reversed(events):
        deliver(stripe_on.event(event["type"], event["data"]["object"], account=event.get("account")))
    assert state() == before
    assert len(stripe_on.calls_to("POST", "/v1/transfers")) == 2
    assert len(stripe_on.calls_to("POST", "/v1/refunds")) == 1
    assert StripeEvent.objects.filter(status="FAILED").count() == 0

    # 5. The ledger agrees with Stripe's objects, and never moved more than was charged.
    stripe_charge = stripe_on.object(charge["id"])
    stripe_transfers = stripe_on.of_kind("transfer")
    for designer in (ha, minh):
        account_id = accounts[designer.pk].account_id
        net = sum(t["amount"] - t["amount_reversed"] for t in stripe_transfers if t["destination"] == account_id)
        assert net == ledger_sum(designer, "TRANSFER", "TRANSFER_REVERSAL")
    assert sum(r["amount"] for r in stripe_on.of_kind("refund")) == -(
        ledger_sum(ha, "REFUND") + ledger_sum(minh, "REFUND")
    )
    assert stripe_charge["amount"] == ledger_sum(ha, "SALE") + ledger_sum(minh, "SALE")
    moved = sum(t["amount"] - t["amount_reversed"] for t in stripe_transfers)
    assert moved <= stripe_charge["amount"] - stripe_charge["amount_refunded"]
    platform_keeps = stripe_charge["amount"] - stripe_charge["amount_refunded"] - moved
    commission = -sum(ledger_sum(d, "COMMISSION", "COMMISSION_REFUND") for d in (ha, minh))
    assert platform_keeps == commission == 49500 - 16500 + 23000


def test_a_designer_not_onboarded_accrues_until_payouts_are_enabled(gql, stripe_on, deliver):
    lan = make_designer(display_name="Lan")
    purchase = make_purchase((lan, [("40.00", 1)]), currency="USD")
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    assert stripe_on.calls_to("POST", "/v1/payment_intents")[0].params["amount"] == "4000"
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    assert stripe_on.calls_to("POST", "/v1/transfers") == []
    assert balance_of(gql, lan, "USD") == {"pending": "34.00", "available": "0.00", "paidOut": "0.00"}
    onboarded(gql, stripe_on, deliver, lan)
    [transfer] = stripe_on.calls_to("POST", "/v1/transfers")
    assert (transfer.params["amount"], transfer.params["currency"]) == ("3400", "usd")
    assert balance_of(gql, lan, "USD") == {"pending": "0.00", "available": "34.00", "paidOut": "0.00"}


def balance_of(gql, designer, currency):
    b = gql(MONEY, {"currency": currency}, user=designer.user)["data"]["myDesigner"]["balance"]
    return {k: b[k]["amount"] for k in ("pending", "available", "paidOut")}


def test_a_transfer_that_fails_at_stripe_is_retried_with_the_same_key(gql, stripe_on, deliver, market):
    ha, minh, accounts, purchase, payment, intent, charge = market
    stripe_on.failures.append(("POST", "/v1/transfers", 500))
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    calls = stripe_on.calls_to("POST", "/v1/transfers", ok=None)
    assert [c.status for c in calls] == [500, 200, 200]
    assert calls[0].idempotency_key == calls[1].idempotency_key
    assert Transfer.objects.filter(status="SUCCEEDED").count() == 2
    assert len(stripe_on.of_kind("transfer")) == 2


def test_payouts_to_the_bank_move_available_to_paid_out(gql, stripe_on, deliver, market):
    ha, minh, accounts, purchase, payment, intent, charge = market
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    account = accounts[ha.pk].account_id
    paid = stripe_on.payout(account, 200000, "vnd")
    deliver(stripe_on.event("payout.paid", paid, account=account))
    deliver(stripe_on.event("payout.paid", paid, account=account))
    assert balance(gql, ha)[0] == {"pending": 0, "available": 80500, "paidOut": 200000}
    # The bank sends it back: payout.failed after payout.paid.
    deliver(stripe_on.event("payout.failed", stripe_on.update_payout(paid["id"], "failed"), account=account))
    assert balance(gql, ha)[0] == {"pending": 0, "available": 280500, "paidOut": 0}
    # Reordered: failed first, the late paid is ignored.
    other = stripe_on.payout(account, 1000, "vnd", status="failed")
    deliver(stripe_on.event("payout.failed", other, account=account))
    deliver(stripe_on.event("payout.paid", dict(other, status="paid"), account=account))
    assert balance(gql, ha)[0] == {"pending": 0, "available": 280500, "paidOut": 0}
    # A payout of a stranger's account is ignored.
    deliver(stripe_on.event("payout.paid", stripe_on.payout("acct_stranger", 5, "vnd"), account="acct_stranger"))
    assert StripeEvent.objects.filter(type="payout.paid", status="IGNORED").count() == 2


def test_a_dispute_marks_the_orders_records_the_loss_and_tells_staff(gql, stripe_on, deliver, market):
    ha, minh, accounts, purchase, payment, intent, charge = market
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    mail.outbox.clear()
    dispute = stripe_on.open_dispute(charge["id"])
    deliver(stripe_on.event("charge.dispute.created", dispute))
    order_ha, order_minh = purchase.orders.get(designer=ha), purchase.orders.get(designer=minh)
    assert order_ha.is_disputed and order_minh.is_disputed
    # The whole charge is disputed: each designer's share is taken back, the commission given back.
    assert ledger_of(ha)[3:] == [("DISPUTE", -330000), ("COMMISSION_REFUND", 49500), ("TRANSFER_REVERSAL", -280500)]
    assert ledger_of(minh)[3:] == [("DISPUTE", -230000), ("COMMISSION_REFUND", 23000), ("TRANSFER_REVERSAL", -207000)]
    [email] = [m for m in mail.outbox if m.to == ["staff@rethink.market"]]
    assert dispute["id"] in email.subject
    assert "560.000 ₫" in email.body and order_ha.number in email.body
    # Disputed orders cannot be refunded meanwhile.
    staff = make_user(staff=True)
    refused = gql(REFUND, {"id": order_gid(order_ha), "input": {"amount": "1000"}}, user=staff)["data"]["orderRefund"]
    assert refused["errors"][0]["code"] == "DISPUTED"
    # Duplicate "created": nothing more, no second email.
    deliver(stripe_on.event("charge.dispute.created", dispute))
    assert (
        len([m for m in mail.outbox if m.to == ["staff@rethink.market"]]) == 1 and ledger_sum(ha, "DISPUTE") == -330000
    )

    # Won: the loss is given back and the shares transferred again.
    deliver(stripe_on.event("charge.dispute.closed", stripe_on.close_dispute(dispute["id"], "won")))
    order_ha.refresh_from_db()
    assert not order_ha.is_disputed
    assert ledger_of(ha)[6:] == [("DISPUTE_REVERSAL", 330000), ("COMMISSION_REFUND", -49500), ("TRANSFER", 280500)]
    assert balance(gql, ha)[0] == {"pending": 0, "available": 280500, "paidOut": 0}
    assert [
        c.idempotency_key
        for c in stripe_on.calls_to("POST", "/v1/transfers")
        if c.params["destination"] == accounts[ha.pk].account_id
    ] == [
        f"transfer-order-{order_ha.pk}-1",
        f"transfer-order-{order_ha.pk}-3",
    ]
    # A late "created" after "closed" changes nothing.
    before = state()
    deliver(stripe_on.event("charge.dispute.created", dispute))
    assert state() == before


def test_a_lost_dispute_that_arrives_before_its_created_event(gql, stripe_on, deliver, market):
    ha, minh, accounts, purchase, payment, intent, charge = market
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    dispute = stripe_on.open_dispute(charge["id"], amount=100000)
    created = stripe_on.event("charge.dispute.created", dispute)
    deliver(stripe_on.event("charge.dispute.closed", stripe_on.close_dispute(dispute["id"], "lost")))
    deliver(created)
    # 100000 shared over the orders by their totals (330000 : 230000).
    assert ledger_sum(ha, "DISPUTE") + ledger_sum(minh, "DISPUTE") == -100000
    assert ledger_sum(ha, "DISPUTE") == -58929
    assert not purchase.orders.filter(is_disputed=True).exists()
    assert Dispute.objects.get().status == "lost"
    assert len([m for m in mail.outbox if m.to == ["staff@rethink.market"]]) == 1


def test_refunds_and_reversals_made_in_the_stripe_dashboard_are_recorded(gql, stripe_on, deliver, market):
    ha, minh, accounts, purchase, payment, intent, charge = market
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    client = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": stripe_on.url}, max_network_retries=0)
    client.v1.refunds.create(
        {"payment_intent": intent["id"], "amount": 56000}, {"idempotency_key": "dashboard-refund-1"}
    )
    deliver(stripe_on.event("charge.refunded", stripe_on.object(charge["id"])))
    refunds = Refund.objects.order_by("order__designer_id")
    assert [(r.source, r.amount) for r in refunds] == [("PROVIDER", 33000), ("PROVIDER", 23000)]
    assert ledger_sum(ha, "REFUND") == -33000 and ledger_sum(minh, "REFUND") == -23000
    assert purchase.orders.filter(status="PARTIALLY_REFUNDED").count() == 2

    ha_transfer = Transfer.objects.get(designer=ha, kind="TRANSFER")
    client.v1.transfers.reversals.create(
        ha_transfer.provider_id, {"amount": 1000}, {"idempotency_key": "dashboard-rev-1"}
    )
    deliver(stripe_on.event("transfer.reversed", stripe_on.object(ha_transfer.provider_id)))
    net = sum(
        t["amount"] - t["amount_reversed"]
        for t in stripe_on.of_kind("transfer")
        if t["destination"] == accounts[ha.pk].account_id
    )
    assert net == ledger_sum(ha, "TRANSFER", "TRANSFER_REVERSAL")
