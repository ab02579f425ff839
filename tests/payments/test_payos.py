"""VietQR through payOS, with the real SDK against the local stand-in: checkoutComplete creates one
signed payment request; a signed webhook (delivered twice, out of order) pays the purchase once;
forged, tampered, replayed, unknown and wrong-amount deliveries change nothing; a lost webhook is
recovered by the expiry check, and an unpaid request is cancelled at payOS before the purchase
expires."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.models import LedgerEntry, Payment, PayosEvent
from shop.orders import expiry as order_expiry
from shop.orders.models import Order, Purchase
from tests.commerce import Buyer
from tests.factories import make_designer, make_product, make_shipping_method, make_user, make_variant
from tests.payments.helpers import post_payos_webhook
from tests.payments.payos_standin import sign_object
from tests.support import load_operation

GATEWAYS = load_operation("storefront/PaymentGateways.graphql")


def seller(name, price):
    designer = make_designer(display_name=name)
    variant = make_variant(product=make_product(designer=designer), price=price, stock=5)
    return designer, variant, make_shipping_method(designer, price=30000)


def code(purchase) -> int:
    """payOS's order code of the purchase (PAYOS_ORDER_CODE_OFFSET + its id)."""
    return int(Payment.objects.get(purchase=purchase).psp_reference)


def money_state() -> dict:
    return {
        "ledger": sorted(LedgerEntry.objects.values_list("reference", "kind", "amount")),
        "events": sorted(PayosEvent.objects.values_list("event_id", "status")),
        "orders": sorted(Order.objects.values_list("number", "status")),
        "purchases": sorted(Purchase.objects.values_list("pk", "status")),
        "payments": sorted(Payment.objects.values_list("pk", "status")),
    }


@pytest.fixture
def shop(gql, payos_inline):
    return seller("Hà", 150000), seller("Minh", 200000)


def buy(gql, lines, methods, email="an@example.com"):
    buyer = Buyer(gql, user=make_user(email=email))
    token = buyer.ready(lines, methods)
    return buyer.complete(token, gateway="payos")


def test_checkout_creates_one_signed_payment_request_and_a_duplicated_webhook_pays_once(
    gql, payos_inline, shop, run_on_commit
):
    (ha, scarf, ha_ship), (minh, bag, minh_ship) = shop
    assert [g["id"] for g in gql(GATEWAYS)["data"]["paymentGateways"]] == ["payos", "dummy"]
    done = buy(gql, [(scarf, 2), (bag, 1)], [ha_ship, minh_ship])
    assert done["errors"] == []
    purchase = Purchase.objects.get()
    [call] = payos_inline.calls_to("POST", "/v2/payment-requests")
    assert call.body["orderCode"] == code(purchase) == 7_000_000 + purchase.pk
    assert call.body["amount"] == 560000 and isinstance(call.body["amount"], int)  # whole dong
    assert call.body["expiredAt"] == int(purchase.expires_at.timestamp())
    payment = done["payment"]
    assert payment["gateway"] == "payos" and payment["status"] == "PENDING"
    request = payos_inline.requests[code(purchase)]
    assert payment["checkoutUrl"] == f"{payos_inline.url}web/{request['id']}"
    assert payment["qrCode"].startswith("000201") and "560000" in payment["qrCode"]
    assert done["purchase"]["status"] == "UNPAID"
    assert not LedgerEntry.objects.exists()

    payos_inline.webhook_mode = "duplicate"
    payos_inline.pay(code(purchase))
    assert [d.status for d in payos_inline.deliveries] == [200, 200]
    purchase.refresh_from_db()
    assert purchase.status == "PAID"
    assert set(purchase.orders.values_list("status", flat=True)) == {"PAID"}
    [event] = PayosEvent.objects.all()
    assert event.status == "PROCESSED" and event.amount == 560000
    assert Payment.objects.get().status == "SUCCEEDED"
    assert sorted(LedgerEntry.objects.values_list("kind", "amount")) == sorted(
        [("SALE", 330000), ("COMMISSION", -49500), ("SALE", 230000), ("COMMISSION", -34500)]
    )


def test_webhooks_out_of_order_and_after_the_expiry_check_pay_each_purchase_once(gql, payos_inline, shop):
    (ha, scarf, ha_ship), (minh, bag, minh_ship) = shop
    buy(gql, [(scarf, 1)], [ha_ship], email="a@example.com")
    buy(gql, [(bag, 1)], [minh_ship], email="b@example.com")
    first, second = Purchase.objects.order_by("pk")
    payos_inline.webhook_mode = "hold"
    body_first, body_second = payos_inline.pay(code(first)), payos_inline.pay(code(second))
    # payOS retries: the second purchase's delivery arrives first, then the first's twice.
    assert payos_inline.deliver(body_second) == 200
    assert payos_inline.deliver(body_first) == 200
    assert payos_inline.deliver(body_first) == 200
    assert set(Purchase.objects.values_list("status", flat=True)) == {"PAID"}
    assert PayosEvent.objects.count() == 2
    before = money_state()["ledger"]
    # A third purchase: its webhook is lost, the expiry check finds the payment at payOS.
    buy(gql, [(scarf, 1)], [ha_ship], email="c@example.com")
    third = Purchase.objects.order_by("pk").last()
    late = payos_inline.pay(code(third))
    Purchase.objects.filter(pk=third.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert order_expiry.expire_unpaid_purchases() == 0
    third.refresh_from_db()
    assert third.status == "PAID"
    # ...then the late webhook arrives: stored, changes nothing more.
    assert payos_inline.deliver(late) == 200
    assert PayosEvent.objects.get(order_code=code(third)).status == "PROCESSED"
    assert LedgerEntry.objects.filter(order__purchase=third, kind="SALE").count() == 1
    assert set(before) <= set(money_state()["ledger"])
    assert len(money_state()["ledger"]) == len(before) + 2  # the third purchase's SALE and COMMISSION only


def test_forged_tampered_replayed_unknown_and_wrong_amount_webhooks_are_refused(gql, payos_inline, shop, db_unchanged):
    (ha, scarf, ha_ship), (minh, bag, minh_ship) = shop
    buy(gql, [(scarf, 1)], [ha_ship], email="a@example.com")
    buy(gql, [(bag, 1)], [minh_ship], email="b@example.com")
    paid, unpaid = Purchase.objects.order_by("pk")
    genuine = payos_inline.pay(code(paid))
    assert Purchase.objects.get(pk=paid.pk).status == "PAID"
    data = dict(genuine["data"])

    forged = payos_inline.webhook_body({**data, "orderCode": code(unpaid)}, key="not-the-checksum-key")
    tampered = {**genuine, "data": {**data, "orderCode": code(unpaid), "amount": 230000}}
    unknown = payos_inline.webhook_body({**data, "orderCode": 999999, "reference": "FT999"})
    underpaid = payos_inline.webhook_body({**data, "orderCode": code(unpaid), "amount": 1000, "reference": "FT1"})
    unsigned = {k: v for k, v in genuine.items() if k != "signature"}
    with db_unchanged():
        assert post_payos_webhook(forged).status_code == 400
        assert post_payos_webhook(tampered).status_code == 400
        assert post_payos_webhook(unsigned).status_code == 400
        assert post_payos_webhook(b"not json").status_code == 400
        for body in (unknown, underpaid):
            response = post_payos_webhook(body)
            assert response.status_code == 200 and response.json()["accepted"] is False
        # The genuine delivery replayed: a duplicate, nothing happens again.
        response = post_payos_webhook(genuine)
        assert response.json() == {"accepted": True, "duplicate": True}
    assert Purchase.objects.get(pk=unpaid.pk).status == "UNPAID"
    # The stand-in signs exactly as the SDK verifies (sanity of the test itself).
    assert genuine["signature"] == sign_object(data, payos_inline.checksum_key)


def test_expiry_cancels_an_unpaid_request_at_payos_and_waits_when_payos_is_down(gql, payos_inline, shop):
    (ha, scarf, ha_ship), _ = shop
    buy(gql, [(scarf, 2)], [ha_ship])
    purchase = Purchase.objects.get()
    Purchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    payos_inline.failures.append(("GET", rf"/v2/payment-requests/{code(purchase)}", 502))
    assert order_expiry.expire_unpaid_purchases() == 0  # payOS cannot tell: wait for the next run
    assert Purchase.objects.get().status == "UNPAID"
    assert payos_inline.requests[code(purchase)]["status"] == "PENDING"

    assert order_expiry.expire_unpaid_purchases() == 1
    assert Purchase.objects.get().status == "CANCELLED"
    assert payos_inline.requests[code(purchase)]["status"] == "CANCELLED"
    assert Payment.objects.get().status == "CANCELLED"
    scarf.refresh_from_db()
    assert scarf.stock_quantity == 5  # stock back
    with pytest.raises(AssertionError):  # nothing can be paid into the request any more
        payos_inline.pay(code(purchase))


def test_confirm_webhook_command_registers_the_endpoint(transactional_db, live_server, payos_on, capsys):
    """payOS posts a signed sample to the URL (over real HTTP, to a live server) before it registers it."""
    url = f"{live_server.url}/webhooks/payos/"
    call_command("payos_confirm_webhook", url)
    assert url in capsys.readouterr().out
    [sample] = payos_on.deliveries
    assert sample.status == 200 and sample.body["data"]["orderCode"] == 123  # payOS's test delivery
    assert payos_on.webhook_url == url
    assert not PayosEvent.objects.exists()


def test_payos_is_offered_only_with_its_keys(gql, settings):
    settings.PAYMENT_GATEWAYS = ["payments.gateways.dummy.DummyGateway"]
    assert [g["id"] for g in gql(GATEWAYS)["data"]["paymentGateways"]] == ["dummy"]


def test_payos_unreachable_at_checkout_writes_nothing(gql, payos_inline, shop, db_unchanged):
    (ha, scarf, ha_ship), _ = shop
    buyer = Buyer(gql, user=make_user(email="z@example.com"))
    token = buyer.ready([(scarf, 1)], [ha_ship])
    payos_inline.failures.append(("POST", "/v2/payment-requests", 503))
    # the stock taken and given back (the provider is asked outside any transaction): the
    # variants' content is as before, only their time stamp moved
    with db_unchanged(ignore=("catalog.ProductVariant.updated_at",)):
        done = buyer.complete(token, gateway="payos")
    assert done["errors"][0]["code"] == "PAYMENT_ERROR"


def test_an_underpaid_request_is_cancelled_at_expiry_and_left_for_staff_to_refund(gql, payos_inline, shop):
    (ha, scarf, ha_ship), _ = shop
    buy(gql, [(scarf, 1)], [ha_ship])
    purchase = Purchase.objects.get()
    partial = payos_inline.pay(code(purchase), amount=100000)  # 180,000 due
    assert post_payos_webhook(partial).json()["accepted"] is False  # a wrong amount pays nothing
    Purchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert order_expiry.expire_unpaid_purchases() == 1
    assert payos_inline.requests[code(purchase)]["status"] == "CANCELLED"
    payment = Payment.objects.get()
    assert payment.status == "CANCELLED" and "100000 of 180000 VND received, to refund" in payment.error


def test_stored_deliveries_keep_only_the_last_digits_of_the_payers_account(gql, payos_inline, shop):
    (ha, scarf, ha_ship), _ = shop
    buy(gql, [(scarf, 1)], [ha_ship])
    body = payos_inline.pay(code(Purchase.objects.get()))
    assert body["data"]["counterAccountNumber"] == "0011223344"
    assert PayosEvent.objects.get().payload["counterAccountNumber"] == "****3344"


def test_payos_answering_too_slowly_at_checkout_writes_nothing(gql, payos_inline, shop, settings, db_unchanged):
    (ha, scarf, ha_ship), _ = shop
    settings.PAYOS_TIMEOUT_SECONDS = 0.2
    buyer = Buyer(gql, user=make_user(email="slow@example.com"))
    token = buyer.ready([(scarf, 1)], [ha_ship])
    payos_inline.delays.append(("POST", "/v2/payment-requests", 1.0))
    with db_unchanged(ignore=("catalog.ProductVariant.updated_at",)):  # stock taken and given back
        done = buyer.complete(token, gateway="payos")
    assert done["errors"][0]["code"] == "PAYMENT_ERROR"


def test_a_second_transfer_for_a_paid_purchase_is_kept_for_staff_to_refund(gql, payos_inline, shop, run_on_commit):
    (ha, scarf, ha_ship), _ = shop
    buy(gql, [(scarf, 1)], [ha_ship])
    purchase = Purchase.objects.get()
    first = payos_inline.pay(code(purchase))
    second = payos_inline.webhook_body({**first["data"], "reference": "FTSECOND"})  # the same amount again
    with run_on_commit():
        assert post_payos_webhook(second).json() == {"accepted": True, "duplicate": False}
    events = dict(PayosEvent.objects.values_list("event_id", "status"))
    assert sorted(events.values()) == ["IGNORED", "PROCESSED"]
    assert "to refund" in PayosEvent.objects.get(status="IGNORED").error
    assert LedgerEntry.objects.filter(kind="SALE").count() == 1
    assert Payment.objects.get().charge_id == first["data"]["reference"]


def test_a_request_that_expired_at_payos_first_still_lets_the_purchase_expire(gql, payos_inline, shop):
    (ha, scarf, ha_ship), _ = shop
    buy(gql, [(scarf, 1)], [ha_ship])
    purchase = Purchase.objects.get()
    payos_inline.requests[code(purchase)]["expiredAt"] = 1  # payOS closed it on its own
    Purchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert order_expiry.expire_unpaid_purchases() == 1
    assert Purchase.objects.get().status == "CANCELLED"
    assert payos_inline.requests[code(purchase)]["status"] == "EXPIRED"
    assert Payment.objects.get().status == "CANCELLED"


def test_the_stand_in_checks_request_signatures_like_payos(db, payos_on, settings):
    """A request signed with another checksum key is refused (so a signature our SDK calls make
    wrongly could not pass unnoticed), and the gateway reports it as not worth retrying."""
    from payments.gateways.base import GatewayError, PaymentRequest
    from payments.gateways.payos import PayOSGateway

    settings.PAYOS_CHECKSUM_KEY = "another-key"
    request = PaymentRequest(purchase_id=41, amount=150000, currency="VND", email="", idempotency_key="purchase-41")
    with pytest.raises(GatewayError) as refused:
        PayOSGateway().initialize(request)
    assert not refused.value.retryable and refused.value.code == "201"
    assert payos_on.requests == {}
    settings.PAYOS_CHECKSUM_KEY = payos_on.checksum_key
    assert PayOSGateway().initialize(request).psp_reference == str(7_000_000 + 41)


def test_a_buyer_waits_for_one_payos_attempt_only(db, payos_on, settings):
    """Creating the payment request happens while the buyer waits: one attempt, however many SDK
    retries are configured for the background calls; a 5xx is reported as worth retrying."""
    from payments.gateways.base import GatewayError, PaymentRequest
    from payments.gateways.payos import PayOSGateway

    settings.PAYOS_MAX_RETRIES = 2
    payos_on.failures.append(("POST", r"/v2/payment-requests", 502))
    request = PaymentRequest(purchase_id=42, amount=150000, currency="VND", email="", idempotency_key="purchase-42")
    with pytest.raises(GatewayError) as down:
        PayOSGateway().initialize(request)
    assert down.value.retryable
    creates = [c for c in payos_on.calls if c.method == "POST" and c.path == "/v2/payment-requests"]
    assert [c.status for c in creates] == [502]
    assert PayOSGateway().initialize(request).psp_reference == str(7_000_000 + 42)
