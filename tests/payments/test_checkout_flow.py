"""End to end through the real storefront: checkoutComplete with Stripe creates one PaymentIntent
for a purchase from two designers; Stripe's signed payment_intent.succeeded pays both orders; one
transfer per designer of total minus commission; a partial refund reverses in proportion; balances
add up; duplicated and reordered events change nothing more. Also: the dummy gateway through
checkoutComplete, payments that arrive after a purchase expired, and one the expiry check finds."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from payments.models import LedgerEntry, Payment, PayoutAccount, Refund, StripeEvent, Transfer
from shop.orders import expiry as order_expiry
from shop.orders.models import Order, OrderEvent, Purchase
from tests.commerce import Buyer
from tests.factories import make_designer, make_product, make_shipping_method, make_user, make_variant
from tests.payments.helpers import ledger_of, ledger_sum, line_gid, order_gid
from tests.support import load_operation

ONBOARD = load_operation("designer/DesignerPayoutOnboard.graphql")
MONEY = load_operation("designer/MyDesignerMoney.graphql")
REFUND = load_operation("staff/OrderRefund.graphql")
GATEWAYS = load_operation("storefront/PaymentGateways.graphql")
PURCHASE = load_operation("storefront/PurchaseByToken.graphql")
STAFF_CANCEL = load_operation("staff/StaffOrderCancel.graphql")


def seller(name, price, **extra):
    designer = make_designer(display_name=name, **extra)
    variant = make_variant(product=make_product(designer=designer), price=price, stock=5)
    method = make_shipping_method(designer, price=30000)
    return designer, variant, method


def onboard(gql, stripe_on, deliver, designer):
    assert gql(ONBOARD, user=designer.user)["data"]["designerPayoutOnboard"]["errors"] == []
    account = PayoutAccount.objects.get(designer=designer)
    deliver(
        stripe_on.event("account.updated", stripe_on.enable_payouts(account.account_id), account=account.account_id)
    )
    return account


@pytest.fixture
def two_sellers(gql, stripe_on, deliver):
    ha = seller("Hà", 150000)
    minh = seller("Minh", 200000, commission_rate=Decimal("0.10"))
    accounts = {d.pk: onboard(gql, stripe_on, deliver, d) for d, _v, _m in (ha, minh)}
    return ha, minh, accounts


def test_checkout_with_stripe_to_transfers_refund_and_balances(gql, stripe_on, deliver, run_on_commit, two_sellers):
    (ha, ha_scarf, ha_ship), (minh, minh_bag, minh_ship), accounts = two_sellers
    gateways = gql(GATEWAYS)["data"]["paymentGateways"]
    assert [g["id"] for g in gateways] == ["stripe", "dummy"]
    assert json.loads(gateways[0]["config"]) == {"publishableKey": "pk_test_standin_key"}  # never the secret key

    buyer = Buyer(gql, user=make_user(email="an@example.com"))
    token = buyer.ready([(ha_scarf, 2), (minh_bag, 1)], [ha_ship, minh_ship])
    with run_on_commit():
        done = buyer.complete(token, gateway="stripe")
    assert done["errors"] == []
    assert done["payment"]["gateway"] == "stripe" and done["payment"]["status"] == "PENDING"
    purchase = Purchase.objects.get()
    [intent_call] = stripe_on.calls_to("POST", "/v1/payment_intents")
    assert done["payment"]["clientSecret"] == intent_call.response["client_secret"]
    assert intent_call.params["amount"] == "560000" and intent_call.params["currency"] == "vnd"  # VND: never x100
    assert intent_call.idempotency_key == f"purchase-{purchase.pk}"
    assert intent_call.params["metadata"]["purchase_id"] == str(purchase.pk)
    assert done["purchase"]["status"] == "UNPAID"
    assert not LedgerEntry.objects.filter(kind="SALE").exists()  # the client's word pays nothing

    # The buyer confirms the card with Stripe.js; Stripe tells us.
    intent, charge = stripe_on.succeed_payment_intent(intent_call.response["id"])
    succeeded = stripe_on.event("payment_intent.succeeded", intent)
    deliver(succeeded)
    seen = gql(PURCHASE, {"token": done["purchase"]["token"]})["data"]["purchase"]
    assert seen["status"] == "PAID" and {o["status"] for o in seen["orders"]} == {"PAID"}
    order_ha = Order.objects.get(designer=ha)
    transfers = {c.params["destination"]: c for c in stripe_on.calls_to("POST", "/v1/transfers")}
    assert {k: c.params["amount"] for k, c in transfers.items()} == {
        accounts[ha.pk].account_id: "280500",  # (2 x 150000 + 30000) - 15 %
        accounts[minh.pk].account_id: "207000",  # (200000 + 30000) - 10 %
    }
    assert {c.params["source_transaction"] for c in transfers.values()} == {charge["id"]}
    assert {c.params["transfer_group"] for c in transfers.values()} == {f"purchase-{purchase.pk}"}

    # Hà refunds one scarf (by line, restocked).
    line = order_ha.lines.get()
    with run_on_commit():
        refunded = gql(
            REFUND,
            {
                "id": order_gid(order_ha),
                "input": {
                    "lines": [{"lineId": line_gid(line), "quantity": 1}],
                    "restock": True,
                    "reason": "Sai màu",
                },
            },
            user=ha.user,
        )["data"]["orderRefund"]
    assert refunded["errors"] == [] and refunded["order"]["status"] == "PARTIALLY_REFUNDED"
    assert refunded["order"]["refunded"] == {"amount": "150000", "currency": "VND"}
    [refund_call] = stripe_on.calls_to("POST", "/v1/refunds")
    assert refund_call.params["payment_intent"] == intent["id"] and refund_call.params["amount"] == "150000"
    [reversal] = stripe_on.calls_to("POST", r"/v1/transfers/tr_\w+/reversals")
    assert reversal.params["amount"] == "127500"  # 150000 - 15 %
    ha_scarf.refresh_from_db()
    assert ha_scarf.stock_quantity == 5 - 2 + 1
    assert any("hoàn tiền" in m.subject for m in mail.outbox if m.to == ["an@example.com"])

    # Balances add up, and match Stripe's objects.
    money = gql(MONEY, {"first": 20}, user=ha.user)["data"]["myDesigner"]
    assert money["balance"]["pending"]["amount"] == "0"
    assert money["balance"]["available"]["amount"] == str(330000 - 49500 - 150000 + 22500)
    stripe_transfer = stripe_on.object(transfers[accounts[ha.pk].account_id].response["id"])
    assert stripe_transfer["amount"] - stripe_transfer["amount_reversed"] == ledger_sum(
        ha, "TRANSFER", "TRANSFER_REVERSAL"
    )

    # Stripe's follow-ups and every event again, reversed, change nothing more.
    followups = [
        stripe_on.event("charge.refunded", stripe_on.object(charge["id"])),
        stripe_on.event("transfer.reversed", stripe_transfer),
    ]
    snapshot = (
        sorted(LedgerEntry.objects.values_list("reference", "amount")),
        Transfer.objects.count(),
        Refund.objects.count(),
    )
    for event in reversed([succeeded, *followups]):
        deliver(event)
    for event in [succeeded, *followups]:
        deliver(stripe_on.event(event["type"], event["data"]["object"]))
    assert (
        sorted(LedgerEntry.objects.values_list("reference", "amount")),
        Transfer.objects.count(),
        Refund.objects.count(),
    ) == snapshot
    assert Order.objects.get(pk=order_ha.pk).status == "PARTIALLY_REFUNDED"
    assert StripeEvent.objects.filter(status="FAILED").count() == 0


def test_the_dummy_gateway_pays_at_once_and_enters_the_ledger(gql, db, run_on_commit):
    designer, variant, method = seller("Hà", 150000)
    buyer = Buyer(gql, user=make_user())
    token = buyer.ready([(variant, 1)], [method])
    with run_on_commit():
        done = buyer.complete(token, gateway="dummy")
    assert done["purchase"]["status"] == "PAID"
    assert ledger_of(designer) == [("SALE", 180000), ("COMMISSION", -27000)]
    assert Payment.objects.get().status == "SUCCEEDED"


def test_a_payment_after_the_purchase_expired_is_refunded_by_staff_and_never_reaches_the_designer(
    gql, stripe_on, deliver, run_on_commit, two_sellers
):
    (ha, ha_scarf, ha_ship), _minh, _accounts = two_sellers
    buyer = Buyer(gql, user=make_user())
    token = buyer.ready([(ha_scarf, 1)], [ha_ship])
    with run_on_commit():
        done = buyer.complete(token, gateway="stripe")
    pi_id = stripe_on.calls_to("POST", "/v1/payment_intents")[0].response["id"]
    # Nobody paid in time: the purchase expires (the gateway still says "not paid").
    assert order_expiry.expire_unpaid_purchases(now=timezone.now() + timedelta(hours=1)) == 1
    # ... then the buyer's card goes through after all.
    intent, _charge = stripe_on.succeed_payment_intent(pi_id)
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    order = Order.objects.get()
    assert order.status == "CANCELLED" and Payment.objects.get().status == "SUCCEEDED"
    assert OrderEvent.objects.filter(order=order, type="PAYMENT_AFTER_CANCELLATION").exists()
    assert not LedgerEntry.objects.exists() and stripe_on.calls_to("POST", "/v1/transfers") == []

    staff = make_user(staff=True)
    with run_on_commit():
        result = gql(
            REFUND, {"id": order_gid(order), "input": {"amount": done["purchase"]["total"]["amount"]}}, user=staff
        )
    data = result["data"]["orderRefund"]
    assert data["errors"] == [] and data["order"]["status"] == "CANCELLED"
    assert data["order"]["refunded"]["amount"] == "180000"
    assert stripe_on.calls_to("POST", "/v1/refunds")[0].params["amount"] == "180000"
    assert not LedgerEntry.objects.exists()  # the money never was the designer's
    again = gql(REFUND, {"id": order_gid(order), "input": {"amount": "1"}}, user=staff)["data"]["orderRefund"]
    assert again["errors"][0]["code"] == "ALREADY_REFUNDED"


def test_staff_cancel_a_paid_order_then_refund_it(gql, stripe_on, deliver, run_on_commit, two_sellers, db_unchanged):
    (ha, ha_scarf, ha_ship), _minh, accounts = two_sellers
    buyer = Buyer(gql, user=make_user())
    token = buyer.ready([(ha_scarf, 1)], [ha_ship])
    with run_on_commit():
        buyer.complete(token, gateway="stripe")
    intent, _charge = stripe_on.succeed_payment_intent(
        stripe_on.calls_to("POST", "/v1/payment_intents")[0].response["id"]
    )
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    order = Order.objects.get()
    staff = make_user(staff=True)
    cancelled = gql(STAFF_CANCEL, {"id": order_gid(order), "input": {"reason": "Hết hàng"}}, user=staff)["data"][
        "orderCancel"
    ]
    assert cancelled["errors"] == [] and cancelled["order"]["status"] == "CANCELLED"
    ha_scarf.refresh_from_db()
    stock = ha_scarf.stock_quantity  # the cancellation put the scarf back
    with db_unchanged():
        twice = gql(
            REFUND,
            {
                "id": order_gid(order),
                "input": {"lines": [{"lineId": line_gid(order.lines.get()), "quantity": 1}], "restock": True},
            },
            user=staff,
        )["data"]["orderRefund"]
    assert (twice["errors"][0]["code"], twice["errors"][0]["field"]) == ("INVALID", "restock")
    with run_on_commit():
        refunded = gql(REFUND, {"id": order_gid(order), "input": {"amount": "180000"}}, user=staff)["data"][
            "orderRefund"
        ]
    assert refunded["errors"] == [] and refunded["order"]["status"] == "CANCELLED"
    # Sale, commission, transfer; then refund, commission back, transfer reversed: nothing left.
    assert sum(a for _k, a in ledger_of(ha)) - ledger_sum(ha, "TRANSFER", "TRANSFER_REVERSAL") == 0
    assert ledger_sum(ha, "TRANSFER", "TRANSFER_REVERSAL") == 0
    assert [c.params["amount"] for c in stripe_on.calls_to("POST", r"/v1/transfers/tr_\w+/reversals")] == ["153000"]
    ha_scarf.refresh_from_db()
    assert ha_scarf.stock_quantity == stock


def test_the_expiry_check_finds_a_payment_whose_webhook_was_lost(gql, stripe_on, deliver, run_on_commit, two_sellers):
    (ha, ha_scarf, ha_ship), _minh, accounts = two_sellers
    buyer = Buyer(gql, user=make_user())
    token = buyer.ready([(ha_scarf, 1)], [ha_ship])
    with run_on_commit():
        buyer.complete(token, gateway="stripe")
    intent, charge = stripe_on.succeed_payment_intent(
        stripe_on.calls_to("POST", "/v1/payment_intents")[0].response["id"]
    )
    with run_on_commit():
        assert order_expiry.expire_unpaid_purchases(now=timezone.now() + timedelta(hours=1)) == 0
    assert Order.objects.get().status == "PAID"
    payment = Payment.objects.get()
    assert payment.status == "SUCCEEDED" and payment.charge_id == charge["id"]
    [transfer] = stripe_on.calls_to("POST", "/v1/transfers")
    assert transfer.params["source_transaction"] == charge["id"] and transfer.params["amount"] == "153000"
    # The webhook turns up late: nothing more.
    before = sorted(LedgerEntry.objects.values_list("reference", "amount"))
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    assert sorted(LedgerEntry.objects.values_list("reference", "amount")) == before
    assert len(stripe_on.calls_to("POST", "/v1/transfers")) == 1


def test_a_declined_card_leaves_the_purchase_unpaid_with_an_event(gql, stripe_on, deliver, run_on_commit, two_sellers):
    (ha, ha_scarf, ha_ship), _minh, _accounts = two_sellers
    buyer = Buyer(gql, user=make_user())
    token = buyer.ready([(ha_scarf, 1)], [ha_ship])
    with run_on_commit():
        buyer.complete(token, gateway="stripe")
    declined = stripe_on.fail_payment_intent(stripe_on.calls_to("POST", "/v1/payment_intents")[0].response["id"])
    deliver(stripe_on.event("payment_intent.payment_failed", declined))
    order = Order.objects.get()
    assert order.status == "UNPAID" and Payment.objects.get().status == "FAILED"
    assert OrderEvent.objects.get(order=order, type="PAYMENT_FAILED").data["reason"] == "Your card was declined."
