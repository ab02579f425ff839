"""Cash on delivery end to end through the API: which checkouts are offered it (and why not), the
purchase placed at once with nothing expiring, the designer shipping and then recording the cash
collected (the commission becomes a debt, in the ledger) or the parcel refused (cancelled, stock
back, nothing owed); events and emails at every step; debts netted against the next transfer and
payout; and the money invariant."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from payments import ledger, reconcile
from payments.models import LedgerEntry, Payment, Refund, Transfer
from shop.catalog.models import ProductVariant
from shop.checkout.models import Checkout
from shop.orders import expiry as order_expiry
from shop.orders import lifecycle as order_lifecycle
from shop.orders.models import Order, OrderEvent, Purchase
from tests.commerce import Buyer
from tests.factories import (
    make_designer,
    make_product,
    make_purchase,
    make_seller,
    make_user,
    make_variant,
    start_payment,
)
from tests.payments.helpers import ledger_of, order_gid
from tests.support import load_operation

GATEWAYS = load_operation("storefront/PaymentGateways.graphql")
COLLECT = load_operation("designer/OrderCodCollect.graphql")
REFUSE = load_operation("designer/OrderCodRefuse.graphql")
FULFILL = load_operation("designer/OrderFulfill.graphql")
MONEY = load_operation("designer/MyDesignerMoney.graphql")
DESIGNER_UPDATE = load_operation("designer/DesignerUpdate.graphql")
DEBTS = load_operation("staff/DesignersWithDebts.graphql")
REFUND = load_operation("staff/OrderRefund.graphql")
ONBOARD = load_operation("designer/DesignerPayoutOnboard.graphql")


def offered(gql, token=None, user=None) -> dict:
    result = gql(GATEWAYS, {"checkoutToken": str(token) if token else None}, user=user)
    assert "errors" not in result, result
    return {g["id"]: g for g in result["data"]["paymentGateways"]}


def balance(gql, designer) -> dict:
    result = gql(MONEY, {"first": 50}, user=designer.user)
    assert "errors" not in result, result
    data = result["data"]["myDesigner"]["balance"]
    return {k: int(Decimal(v["amount"])) for k, v in data.items() if isinstance(v, dict)}


def assert_money_invariant():
    """For every designer, the ledger adds up to its balance; for every purchase, what was captured
    minus what was refunded is what its orders say they kept."""
    for designer_id, currency in LedgerEntry.objects.values_list("designer_id", "currency").distinct():
        sums = ledger.sums_by_kind(designer_id=designer_id, currency=currency)
        b = ledger.balance_from_sums(currency, sums)
        assert sum(sums[k] for k in ledger.EARNING_KINDS) == b.earned
        moved = ledger.TRANSFER_KINDS + ledger.PAYOUT_KINDS + ledger.COLLECTED_KINDS
        assert sum(sums.values()) == b.earned + sum(sums[k] for k in moved)
        assert b.pending == 0 or b.owed == 0
    for purchase in Purchase.objects.prefetch_related("orders", "payments"):
        orders = list(purchase.orders.all())
        captured = sum((p.amount for p in purchase.payments.all() if p.status == Payment.Status.SUCCEEDED), Decimal(0))
        if purchase.gateway == "cod":
            assert captured == sum((o.total_amount for o in orders if o.paid_at is not None), Decimal(0))
        refunded = sum((r.amount for r in Refund.objects.filter(order__purchase=purchase)), Decimal(0))
        kept = sum((o.total_amount - o.refunded_amount for o in orders if o.paid_at is not None), Decimal(0))
        assert captured - refunded == kept, purchase
    assert reconcile.money_differences() == []  # manage.py check_money agrees


@pytest.fixture
def shop(db):
    """Hà (15 %) and Minh (10 %) each sell a physical good and ship for 30,000 ₫; a buyer."""
    ha, ha_ship = make_seller("Hà")
    minh, minh_ship = make_seller("Minh")
    minh.commission_rate = Decimal("0.10")
    minh.save(update_fields=["commission_rate"])
    vase = make_variant(product=make_product(designer=ha, name="Bình gốm"), price=400000, stock=5)
    scarf = make_variant(product=make_product(designer=minh, name="Khăn lụa"), price=250000, stock=5)
    return ha, ha_ship, minh, minh_ship, vase, scarf, make_user(email="mai@example.com")


# --- what is offered -----------------------------------------------------------------------------


def test_cod_is_offered_for_shipped_vnd_purchases_and_says_why_not_otherwise(
    gql, shop, settings, digital_variant_factory
):
    ha, ha_ship, minh, minh_ship, vase, scarf, user = shop
    buyer = Buyer(gql, user)
    token = buyer.ready([(vase, 1), (scarf, 1)], [ha_ship, minh_ship])
    without = offered(gql)
    assert set(without) == {"dummy", "cod"} and all(g["available"] for g in without.values())
    gateways = offered(gql, token, user)
    assert gateways["cod"]["available"] is True and gateways["cod"]["unavailableReason"] is None
    assert json.loads(gateways["cod"]["config"]) == {"currency": "VND", "maxAmount": "5000000"}

    settings.COD_MAX_AMOUNT = 700000  # 400,000 + 250,000 + 2 x 30,000 = 710,000
    cod = offered(gql, token, user)["cod"]
    assert (cod["available"], cod["unavailableReason"]) == (False, "AMOUNT_TOO_LARGE")
    assert offered(gql, token, user)["dummy"]["available"] is True
    settings.COD_MAX_AMOUNT = 710000
    assert offered(gql, token, user)["cod"]["available"] is True

    # Minh stops taking cash on delivery: a purchase with Minh's scarf is not offered it
    result = gql(DESIGNER_UPDATE, {"input": {"acceptsCashOnDelivery": False}}, user=minh.user)
    assert result["data"]["designerUpdate"]["designer"]["acceptsCashOnDelivery"] is False
    cod = gql(GATEWAYS, {"checkoutToken": str(token)}, user=user, headers={"Accept-Language": "en"})
    cod = {g["id"]: g for g in cod["data"]["paymentGateways"]}["cod"]
    assert cod["unavailableReason"] == "DESIGNER_REFUSES"
    assert cod["unavailableMessage"] == "A designer in this purchase does not accept this payment method."

    # digital goods are not shipped: no cash on delivery
    font = digital_variant_factory(designer=ha)
    digital = Buyer(gql).ready([(font, 1)])  # anonymous: its token is the key
    assert offered(gql, digital)["cod"]["unavailableReason"] == "NOT_SHIPPED"
    # a signed-in buyer's checkout is that buyer's: to anyone else the token means nothing
    assert offered(gql, token)["cod"]["available"] is True

    # another currency
    usd_designer, usd_ship = make_seller("Lan")
    usd_ship.currency = "USD"
    usd_ship.save(update_fields=["currency"])
    tee = make_variant(product=make_product(designer=usd_designer, currency="USD"), price=20, stock=5)
    usd = Buyer(gql).create([(tee, 1)])["checkout"]["token"]
    assert offered(gql, usd)["cod"]["unavailableReason"] == "CURRENCY_NOT_SUPPORTED"


def test_checkout_complete_with_cod_when_it_is_not_available_writes_nothing(gql, shop, settings):
    ha, ha_ship, minh, minh_ship, vase, scarf, user = shop
    buyer = Buyer(gql, user)
    token = buyer.ready([(vase, 1)], [ha_ship])
    settings.COD_MAX_AMOUNT = 100000
    before = (Purchase.objects.count(), Order.objects.count(), vase.stock_quantity)
    result = buyer.complete(token, "cod")
    assert result["purchase"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("gateway", "GATEWAY_NOT_AVAILABLE")]
    vase.refresh_from_db()
    assert (Purchase.objects.count(), Order.objects.count(), vase.stock_quantity) == before
    assert Checkout.objects.get(token=token).completed_at is None


# --- placed, shipped, collected or refused -------------------------------------------------------


def test_cod_purchase_placed_shipped_then_collected_and_refused(gql, shop, run_on_commit):
    ha, ha_ship, minh, minh_ship, vase, scarf, user = shop
    buyer = Buyer(gql, user)
    token = buyer.ready([(vase, 2), (scarf, 1)], [ha_ship, minh_ship])
    with run_on_commit():
        done = buyer.complete(token, "cod")
    assert done["errors"] == []
    assert done["purchase"]["status"] == "AWAITING_COD"
    assert {o["status"] for o in done["purchase"]["orders"]} == {"UNFULFILLED_COD"}
    assert done["payment"]["status"] == "PENDING"
    purchase = Purchase.objects.get(token=done["purchase"]["token"])
    assert purchase.expires_at is None and purchase.gateway == "cod"
    vase.refresh_from_db()
    scarf.refresh_from_db()
    assert (vase.stock_quantity, scarf.stock_quantity) == (3, 4)  # taken at once
    ha_order, minh_order = purchase.orders.get(designer=ha), purchase.orders.get(designer=minh)
    assert LedgerEntry.objects.count() == 0  # nothing is earned before the cash is collected

    # the buyer's confirmation says what to pay on delivery; each designer hears of its part
    confirmation = next(m for m in mail.outbox if m.to == ["mai@example.com"])
    assert "thanh toán khi nhận hàng" in confirmation.body.lower() and "1.110.000 ₫" in confirmation.body
    to_ha = next(m for m in mail.outbox if m.to == [ha.user.email])
    assert ha_order.number in to_ha.body and "COD" in to_ha.body
    assert len(mail.outbox) == 3

    # nothing expires, however late
    assert order_expiry.expire_unpaid_purchases(now=timezone.now() + timedelta(days=30)) == 0
    purchase.refresh_from_db()
    assert purchase.status == "AWAITING_COD"

    # not yet shipped: nothing to collect
    early = gql(COLLECT, {"id": order_gid(ha_order)}, user=ha.user)["data"]["orderCodCollect"]
    assert [e["code"] for e in early["errors"]] == ["NOT_SHIPPED"]

    # Hà ships: FULFILLED_COD, and the buyer is told to have the cash ready
    mail.outbox.clear()
    with run_on_commit():
        shipped = gql(
            FULFILL, {"id": order_gid(ha_order), "input": {"carrier": "GHN", "trackingNumber": "GHN1"}}, user=ha.user
        )["data"]["orderFulfill"]
    assert shipped["errors"] == [] and shipped["order"]["status"] == "FULFILLED_COD"
    [shipped_mail] = mail.outbox
    assert "GHN1" in shipped_mail.body and "830.000 ₫" in shipped_mail.body  # 2 x 400,000 + 30,000 shipping

    # only Hà (or staff) records the outcome: Minh's is NOT_FOUND, the buyer's is refused
    assert gql(COLLECT, {"id": order_gid(ha_order)}, user=minh.user)["data"]["orderCodCollect"]["errors"][0][
        "code"
    ] == ("NOT_FOUND")
    denied = gql(COLLECT, {"id": order_gid(ha_order)}, user=user)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"

    # collected: DELIVERED and paid; the cash is Hà's, the 15 % commission a debt
    mail.outbox.clear()
    with run_on_commit():
        collected = gql(COLLECT, {"id": order_gid(ha_order)}, user=ha.user)["data"]["orderCodCollect"]
    assert collected["errors"] == []
    assert collected["order"]["status"] == "DELIVERED" and collected["order"]["paidAt"]
    assert [e["type"] for e in collected["order"]["events"]] == ["PLACED", "FULFILLED", "COD_COLLECTED"]
    assert ledger_of(ha) == [("SALE", 830000), ("COMMISSION", -124500), ("COD_COLLECTED", 830000)]
    assert balance(gql, ha) == {
        "pending": 0,
        "owed": 124500,
        "available": 0,
        "paidOut": 0,
        "collectedOnDelivery": 830000,
    }
    [receipt] = mail.outbox
    assert receipt.to == ["mai@example.com"] and "830.000 ₫" in receipt.body and ha_order.number in receipt.subject
    assert Payment.objects.get(purchase=purchase).status == Payment.Status.SUCCEEDED

    # collecting twice changes nothing
    entries = LedgerEntry.objects.count()
    again = gql(COLLECT, {"id": order_gid(ha_order)}, user=ha.user)["data"]["orderCodCollect"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"] and LedgerEntry.objects.count() == entries

    # Minh ships, the buyer refuses the parcel: cancelled, stock back, nothing owed
    assert (
        gql(
            FULFILL,
            {"id": order_gid(minh_order), "input": {"carrier": "GHTK", "trackingNumber": "T2"}},
            user=minh.user,
        )["data"]["orderFulfill"]["errors"]
        == []
    )
    no_reason = gql(REFUSE, {"id": order_gid(minh_order), "input": {"reason": " "}}, user=minh.user)
    assert [e["code"] for e in no_reason["data"]["orderCodRefuse"]["errors"]] == ["REQUIRED"]
    mail.outbox.clear()
    with run_on_commit():
        refused = gql(REFUSE, {"id": order_gid(minh_order), "input": {"reason": "Khách không nhận"}}, user=minh.user)[
            "data"
        ]["orderCodRefuse"]
    assert refused["errors"] == [] and refused["order"]["status"] == "CANCELLED"
    assert [e["type"] for e in refused["order"]["events"]] == ["PLACED", "FULFILLED", "COD_REFUSED"]
    scarf.refresh_from_db()
    assert scarf.stock_quantity == 5
    assert ledger_of(minh) == [] and balance(gql, minh)["owed"] == 0
    [cancelled_mail] = mail.outbox
    assert "Khách không nhận" in cancelled_mail.body and minh_order.number in cancelled_mail.subject
    event = OrderEvent.objects.get(order=minh_order, type="COD_REFUSED")
    assert event.actor == minh.user and "refund_due" not in event.data

    # the purchase is settled: paid (one part collected, one refused); a refused order is not refundable
    purchase.refresh_from_db()
    assert purchase.status == "PAID"
    staff = make_user(staff=True)
    nope = gql(REFUND, {"id": order_gid(minh_order), "input": {"amount": "1000"}}, user=staff)["data"]["orderRefund"]
    assert [e["code"] for e in nope["errors"]] == ["NOT_PAID"]
    assert_money_invariant()


def test_buyer_cancels_a_cod_order_before_it_ships_and_staff_list_debts(gql, shop, run_on_commit):
    ha, ha_ship, minh, minh_ship, vase, scarf, user = shop
    buyer = Buyer(gql, user)
    done = buyer.complete(buyer.ready([(vase, 1)], [ha_ship]), "cod")
    order = Order.objects.get(number=done["purchase"]["orders"][0]["number"])
    cancel = load_operation("storefront/OrderCancel.graphql")
    cancelled = gql(cancel, {"id": order_gid(order)}, user=user)["data"]["orderCancel"]
    assert cancelled["errors"] == [] and cancelled["order"]["status"] == "CANCELLED"
    assert ProductVariant.objects.get(pk=vase.pk).stock_quantity == 5
    assert Purchase.objects.get(pk=order.purchase_id).status == "CANCELLED"
    assert "refund_due" not in OrderEvent.objects.get(order=order, type="CANCELLED").data
    # no cash will come: the purchase's cash-on-delivery payment is closed with it
    assert list(Payment.objects.filter(purchase_id=order.purchase_id).values_list("status", flat=True)) == ["CANCELLED"]
    assert_money_invariant()

    # staff see who owes: nobody yet, then Hà after a collected order
    staff = make_user(staff=True)
    assert gql(DEBTS, user=staff)["data"]["designersWithDebts"]["totalCount"] == 0
    _collected_cod_order(gql, ha, ha_ship, vase, user, run_on_commit)
    debts = gql(DEBTS, user=staff)["data"]["designersWithDebts"]
    assert debts["totalCount"] == 1
    assert debts["edges"][0]["node"]["designer"]["slug"] == ha.slug
    assert debts["edges"][0]["node"]["owed"] == {"amount": "64500", "currency": "VND"}  # 15 % of 430,000
    assert gql(DEBTS, user=ha.user)["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def _collected_cod_order(gql, designer, method, variant, user, run_on_commit, quantity=1) -> Order:
    buyer = Buyer(gql, user)
    done = buyer.complete(buyer.ready([(variant, quantity)], [method]), "cod")
    order = Order.objects.get(number=done["purchase"]["orders"][0]["number"])
    with run_on_commit():
        order_lifecycle.fulfill_order(order_id=order.pk, actor=designer.user, carrier="GHN", tracking_number="X")
        assert gql(COLLECT, {"id": order_gid(order)}, user=designer.user)["data"]["orderCodCollect"]["errors"] == []
    order.refresh_from_db()
    return order


# --- debts netted ------------------------------------------------------------------------------


def test_debt_is_netted_against_later_earnings_and_payable_amount(gql, shop, run_on_commit):
    """Without a payout provider: a COD debt, then card sales (dummy) held by the platform."""
    ha, ha_ship, minh, minh_ship, vase, scarf, user = shop
    _collected_cod_order(gql, ha, ha_ship, vase, user, run_on_commit)  # owes 64,500
    assert ledger.payable_amount(ha.pk, "VND") == 0
    assert balance(gql, ha)["owed"] == 64500

    purchase = make_purchase((ha, [(50000, 1)]), gateway="dummy", user=make_user())  # earns 42,500
    with run_on_commit():
        start_payment(purchase)
    b = balance(gql, ha)
    assert (b["pending"], b["owed"]) == (0, 22000)
    assert ledger.payable_amount(ha.pk, "VND") == 0

    purchase = make_purchase((ha, [(100000, 1)]), gateway="dummy", user=make_user())  # earns 85,000
    with run_on_commit():
        start_payment(purchase)
    b = balance(gql, ha)
    assert (b["pending"], b["owed"]) == (63000, 0)
    assert ledger.payable_amount(ha.pk, "VND") == 63000
    assert ledger.payable_amount(minh.pk, "VND") == 0
    assert_money_invariant()


def test_debt_is_netted_against_the_next_stripe_transfer(gql, stripe_on, deliver, run_on_commit, settings):
    settings.PAYMENT_GATEWAYS = [*settings.PAYMENT_GATEWAYS, "payments.gateways.cod.CashOnDeliveryGateway"]
    ha, ha_ship = make_seller("Hà")
    vase = make_variant(product=make_product(designer=ha, name="Bình"), price=400000, stock=5)
    user = make_user()
    assert gql(ONBOARD, user=ha.user)["data"]["designerPayoutOnboard"]["errors"] == []
    account = ha.payout_account
    deliver(
        stripe_on.event("account.updated", stripe_on.enable_payouts(account.account_id), account=account.account_id)
    )
    _collected_cod_order(gql, ha, ha_ship, vase, user, run_on_commit)  # 430,000 collected: owes 64,500

    # a card purchase of 100,000: Hà's share 85,000, of which 64,500 pays the debt
    purchase = make_purchase((ha, [(100000, 1)]))
    payment = start_payment(purchase)
    intent, charge = stripe_on.succeed_payment_intent(payment.psp_reference)
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    [transfer] = stripe_on.calls_to("POST", "/v1/transfers")
    assert transfer.params["amount"] == "20500" and transfer.params["source_transaction"] == charge["id"]
    assert Transfer.objects.get().amount == 20500
    b = balance(gql, ha)
    assert (b["pending"], b["owed"], b["available"]) == (0, 0, 20500)

    # a second one is transferred in full; settling the first again moves nothing more
    purchase2 = make_purchase((ha, [(100000, 1)]))
    payment2 = start_payment(purchase2)
    intent2, _charge2 = stripe_on.succeed_payment_intent(payment2.psp_reference)
    deliver(stripe_on.event("payment_intent.succeeded", intent2))
    from payments.transfers import settle_order

    assert settle_order(order_id=purchase.orders.get().pk) == []
    assert [t.params["amount"] for t in stripe_on.calls_to("POST", "/v1/transfers")] == ["20500", "85000"]
    b = balance(gql, ha)
    assert (b["pending"], b["owed"], b["available"]) == (0, 0, 105500)
    assert_money_invariant()


def test_a_collected_cod_order_refunded_in_part_gives_the_cash_and_commission_back(gql, shop, run_on_commit):
    ha, ha_ship, minh, minh_ship, vase, scarf, user = shop
    order = _collected_cod_order(gql, ha, ha_ship, vase, user, run_on_commit)  # 430,000; owes 64,500
    staff = make_user(staff=True)
    with run_on_commit():
        result = gql(REFUND, {"id": order_gid(order), "input": {"amount": "43000"}}, user=staff)["data"]["orderRefund"]
    assert result["errors"] == []
    # the designer gives 43,000 of the cash back; the platform gives back 15 % of it (6,450)
    assert ledger_of(ha)[3:] == [("REFUND", -43000), ("COD_COLLECTED", -43000), ("COMMISSION_REFUND", 6450)]
    assert balance(gql, ha)["owed"] == 58050
    assert_money_invariant()


def test_order_states_are_in_the_api_contract():
    """The new statuses are in the schema's enums (a client switch on them must not break)."""
    from shop.schema import schema

    statuses = schema.graphql_schema.get_type("OrderStatus").values
    assert {"UNFULFILLED_COD", "FULFILLED_COD"} <= set(statuses)
    assert "AWAITING_COD" in schema.graphql_schema.get_type("PurchaseStatus").values


def test_designers_with_debts_costs_the_same_for_one_debtor_or_three(gql, db):
    """N+1-free: the debts are one aggregate query, the designers one more, whatever their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = make_user(staff=True)

    def owe(designer, amount):
        ledger.record(
            designer_id=designer.pk, kind="COMMISSION", amount=-amount, currency="VND", reference=f"debt-{designer.pk}"
        )

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            result = gql(DEBTS, user=staff)
        assert "errors" not in result, result
        return result["data"]["designersWithDebts"]["totalCount"], len(queries.captured_queries)

    owe(make_designer(display_name="A"), 1000)
    one, queries_one = count()
    for name, amount in (("B", 3000), ("C", 2000)):
        owe(make_designer(display_name=name), amount)
    make_designer(display_name="D")  # owes nothing
    three, queries_three = count()
    assert (one, three) == (1, 3) and queries_one == queries_three
    names = [
        e["node"]["designer"]["displayName"] for e in gql(DEBTS, user=staff)["data"]["designersWithDebts"]["edges"]
    ]
    assert names == ["B", "C", "A"]  # largest debt first


@pytest.mark.django_db(transaction=True)
def test_collect_and_refuse_racing_on_one_order_record_one_outcome():
    """Four threads collect and refuse the same shipped order at once: exactly one wins (the
    purchase, then the order, is locked), the ledger has the outcome once, the others are told
    INVALID_TRANSITION and wrote nothing."""
    from payments import cod
    from shop.core.errors import ServiceError
    from tests.checkout.test_concurrency import run_together

    designer = make_designer(display_name="Hà")
    purchase = make_purchase((designer, [(200000, 1)]), gateway="cod")
    Purchase.objects.filter(pk=purchase.pk).update(status="AWAITING_COD")
    Payment.objects.create(
        purchase=purchase, gateway="cod", amount=purchase.total_amount, currency="VND", idempotency_key="purchase-x"
    )
    order = purchase.orders.get()
    Order.objects.filter(pk=order.pk).update(status="FULFILLED_COD")

    def attempt(i):
        if i % 2:
            return cod.refuse(order_id=order.pk, actor=designer.user, reason="Khách không nhận")
        return cod.collect(order_id=order.pk, actor=designer.user)

    results = run_together(4, attempt)
    won = [r for r in results if isinstance(r, Order)]
    lost = [r for r in results if isinstance(r, ServiceError)]
    assert len(won) == 1 and len(lost) == 3, results
    assert {e.errors[0].code for e in lost} == {"INVALID_TRANSITION"}
    order.refresh_from_db()
    outcome_events = OrderEvent.objects.filter(order=order, type__in=["COD_COLLECTED", "COD_REFUSED"])
    assert outcome_events.count() == 1
    if order.status == "DELIVERED":
        assert sorted(LedgerEntry.objects.values_list("kind", flat=True)) == ["COD_COLLECTED", "COMMISSION", "SALE"]
    else:
        assert order.status == "CANCELLED" and LedgerEntry.objects.count() == 0
    assert_money_invariant()


def test_a_real_worker_sends_each_cod_email_once(celery_worker):
    """Placed, shipped, collected: a real Celery worker on Redis sends the buyer's confirmation, the
    designer's new-order email, the shipping notice and the receipt, each once."""
    from tests.support import GraphQLClient, wait_for

    gql = GraphQLClient()
    ha, ha_ship = make_seller("Hà")
    vase = make_variant(product=make_product(designer=ha, name="Bình gốm"), price=400000, stock=5)
    user = make_user(email="mai@example.com")
    buyer = Buyer(gql, user)
    done = buyer.complete(buyer.ready([(vase, 1)], [ha_ship]), "cod")
    assert done["errors"] == []
    purchase = Purchase.objects.get(token=done["purchase"]["token"])
    order = purchase.orders.get()
    wait_for(lambda: Purchase.objects.filter(pk=purchase.pk, confirmation_email_sent_at__isnull=False).exists())
    wait_for(lambda: Order.objects.filter(pk=order.pk, designer_email_sent_at__isnull=False).exists())
    order_lifecycle.fulfill_order(order_id=order.pk, actor=ha.user, carrier="GHN", tracking_number="GHN9")
    wait_for(lambda: Order.objects.filter(pk=order.pk, shipped_email_sent_at__isnull=False).exists())
    assert gql(COLLECT, {"id": order_gid(order)}, user=ha.user)["data"]["orderCodCollect"]["errors"] == []
    wait_for(lambda: Order.objects.filter(pk=order.pk, cod_email_sent_at__isnull=False).exists())
    to_buyer = sorted(m.subject for m in mail.outbox if m.to == ["mai@example.com"])
    assert len(to_buyer) == 3, to_buyer  # confirmation, shipped, receipt
    assert len([m for m in mail.outbox if m.to == [ha.user.email]]) == 1
    from payments.tasks import send_cod_outcome_email

    assert send_cod_outcome_email(order.pk) is False  # delivered again: nothing sent twice
