"""UNPAID → PAID → FULFILLED → DELIVERED, plus CANCELLED: who may move an order, every move is an
event, and a wrong move is a coded error that writes nothing."""

import json

import pytest
from django.core import mail

from payments import services as payment_services
from shop.catalog.models import ProductVariant
from shop.core.errors import ServiceError
from shop.orders import expiry as order_expiry
from shop.orders import lifecycle as order_lifecycle
from shop.orders import payment as order_payment
from shop.orders.models import Order, OrderEvent, Purchase
from tests.commerce import gid
from tests.factories import make_user
from tests.support import load_operation

FULFILL = load_operation("designer/OrderFulfill.graphql")
DELIVER = load_operation("designer/OrderMarkDelivered.graphql")
CANCEL = load_operation("storefront/OrderCancel.graphql")
STAFF_CANCEL = load_operation("staff/StaffOrderCancel.graphql")
STAFF_DELIVER = load_operation("staff/StaffOrderMarkDelivered.graphql")

TRACKING = {"carrier": "GHN", "trackingNumber": "GHN123456789VN"}


def stock(variant):
    return ProductVariant.objects.get(pk=variant.pk).stock_quantity


def test_designer_fulfils_then_marks_delivered_and_the_buyer_hears_of_it(
    gql, market, django_capture_on_commit_callbacks
):
    purchase = market.purchase()
    order = market.order_of(purchase, market.linh)
    seller = market.linh.user
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilled = gql(FULFILL, {"id": gid("Order", order.pk), "input": TRACKING}, user=seller)["data"]["orderFulfill"]
    assert fulfilled["errors"] == []
    assert (fulfilled["order"]["status"], fulfilled["order"]["carrier"], fulfilled["order"]["trackingNumber"]) == (
        "FULFILLED",
        "GHN",
        "GHN123456789VN",
    )
    assert [m.to for m in mail.outbox] == [["mai@example.com"]]
    assert "GHN123456789VN" in mail.outbox[0].body and order.number in mail.outbox[0].subject

    delivered = gql(DELIVER, {"id": gid("Order", order.pk)}, user=seller)["data"]["orderMarkDelivered"]
    assert (
        delivered["errors"] == [] and delivered["order"]["status"] == "DELIVERED" and delivered["order"]["deliveredAt"]
    )
    events = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("type", "actor_id"))
    assert events == [
        ("PLACED", market.buyer_user.pk),
        ("PAID", None),
        ("FULFILLED", seller.pk),
        ("DELIVERED", seller.pk),
    ]
    assert OrderEvent.objects.get(order=order, type="FULFILLED").data == {
        "carrier": "GHN",
        "tracking_number": "GHN123456789VN",
    }


@pytest.mark.parametrize(
    "setup, operation",
    [
        ("paid", "deliver"),
        ("fulfilled", "fulfill"),
        ("delivered", "deliver"),
        ("delivered", "fulfill"),
        ("unpaid", "fulfill"),
        ("unpaid", "deliver"),
        ("cancelled", "fulfill"),
        ("fulfilled", "staff_cancel"),
        ("delivered", "staff_cancel"),
        ("cancelled", "staff_cancel"),
    ],
)
def test_invalid_transitions_are_coded_errors_that_write_nothing(gql, market, db_unchanged, staff, setup, operation):
    purchase = market.purchase(gateway="pending" if setup == "unpaid" else "dummy")
    order = market.order_of(purchase, market.linh)
    seller = market.linh.user
    if setup in ("fulfilled", "delivered"):
        order_lifecycle.fulfill_order(order_id=order.pk, actor=seller, carrier="GHTK", tracking_number="S1")
    if setup == "delivered":
        order_lifecycle.mark_order_delivered(order_id=order.pk, actor=seller)
    if setup == "cancelled":
        order_lifecycle.cancel_order(order_id=order.pk, actor=staff, reason="test")
    variables = {"id": gid("Order", order.pk)}
    with db_unchanged():
        if operation == "fulfill":
            result = gql(FULFILL, {**variables, "input": TRACKING}, user=seller)["data"]["orderFulfill"]
        elif operation == "deliver":
            result = gql(DELIVER, variables, user=seller)["data"]["orderMarkDelivered"]
        else:
            result = gql(STAFF_CANCEL, {**variables, "input": {"reason": "late"}}, user=staff)["data"]["orderCancel"]
    assert result["order"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_TRANSITION", "id")]
    assert order.number in result["errors"][0]["message"]


@pytest.mark.parametrize(
    "tracking, field",
    [
        ({"carrier": " ", "trackingNumber": "X1"}, "carrier"),
        ({"carrier": "GHN", "trackingNumber": ""}, "trackingNumber"),
        ({"carrier": "GHN", "trackingNumber": "9" * 101}, "trackingNumber"),
    ],
)
def test_fulfilment_needs_a_carrier_and_a_tracking_number(gql, market, db_unchanged, tracking, field):
    order = market.order_of(market.purchase(), market.linh)
    with db_unchanged():
        result = gql(FULFILL, {"id": gid("Order", order.pk), "input": tracking}, user=market.linh.user)["data"][
            "orderFulfill"
        ]
    assert result["errors"][0]["field"] == field and result["errors"][0]["code"] in ("REQUIRED", "INVALID")


def test_nobody_else_fulfils_or_delivers_a_designers_order(gql, market, db_unchanged, staff):
    order = market.order_of(market.purchase(), market.linh)
    variables = {"id": gid("Order", order.pk), "input": TRACKING}
    with db_unchanged():
        other_designer = gql(FULFILL, variables, user=market.minh.user)["data"]["orderFulfill"]
        other_deliver = gql(DELIVER, {"id": variables["id"]}, user=market.minh.user)["data"]["orderMarkDelivered"]
        the_buyer = gql(FULFILL, variables, user=market.buyer_user)
        anonymous = gql(FULFILL, variables)
        garbage = gql(FULFILL, {"id": "garbage", "input": TRACKING}, user=market.linh.user)["data"]["orderFulfill"]
        wrong_type = gql(FULFILL, {"id": gid("Purchase", order.purchase_id), "input": TRACKING}, user=market.linh.user)[
            "data"
        ]["orderFulfill"]
    # Minh cannot even see Linh's order: not found, no existence leak
    assert other_designer["errors"][0]["code"] == "NOT_FOUND" and other_designer["order"] is None
    assert other_deliver["errors"][0]["code"] == "NOT_FOUND"
    # the buyer sees the order but may not ship it; anonymous callers may do nothing
    assert the_buyer["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert anonymous["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert garbage["errors"][0]["code"] == "NOT_FOUND" and wrong_type["errors"][0]["code"] == "NOT_FOUND"
    # staff may fulfil on the designer's behalf
    by_staff = gql(FULFILL, variables, user=staff)["data"]["orderFulfill"]
    assert by_staff["errors"] == [] and by_staff["order"]["status"] == "FULFILLED"
    assert (
        gql(STAFF_DELIVER, {"id": variables["id"]}, user=staff)["data"]["orderMarkDelivered"]["order"]["status"]
        == "DELIVERED"
    )


def test_buyer_cancels_unpaid_orders_stock_returns_and_the_last_one_closes_the_purchase(gql, market):
    purchase = market.purchase(gateway="pending")
    assert (stock(market.scarf), stock(market.bowl)) == (8, 9)
    linh_order, minh_order = market.order_of(purchase, market.linh), market.order_of(purchase, market.minh)
    first = gql(CANCEL, {"id": gid("Order", linh_order.pk), "input": {"reason": "Đổi ý"}}, user=market.buyer_user)[
        "data"
    ]["orderCancel"]
    assert (
        first["errors"] == []
        and first["order"]["status"] == "CANCELLED"
        and first["order"]["purchase"]["status"] == "UNPAID"
    )
    assert stock(market.scarf) == 10 and stock(market.bowl) == 9
    event = OrderEvent.objects.get(order=linh_order, type="CANCELLED")
    assert event.actor == market.buyer_user and event.data == {"from": "UNPAID", "reason": "Đổi ý"}
    second = gql(CANCEL, {"id": gid("Order", minh_order.pk)}, user=market.buyer_user)["data"]["orderCancel"]
    assert second["errors"] == [] and second["order"]["purchase"]["status"] == "CANCELLED"
    assert stock(market.bowl) == 10 and Purchase.objects.get().cancelled_at is not None


def test_buyer_cannot_cancel_a_paid_order_and_others_cannot_cancel_at_all(gql, market, db_unchanged):
    order = market.order_of(market.purchase(), market.linh)
    stranger = make_user()
    with db_unchanged():
        paid = gql(CANCEL, {"id": gid("Order", order.pk)}, user=market.buyer_user, headers={"Accept-Language": "en"})[
            "data"
        ]["orderCancel"]
        designer = gql(CANCEL, {"id": gid("Order", order.pk)}, user=market.linh.user)
        other = gql(CANCEL, {"id": gid("Order", order.pk)}, user=stranger)["data"]["orderCancel"]
    assert paid["errors"][0]["code"] == "INVALID_TRANSITION" and "staff" in paid["errors"][0]["message"]
    assert designer["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert other["errors"][0]["code"] == "NOT_FOUND"


def test_staff_cancel_a_paid_order_stock_returns_and_a_refund_is_due(gql, market, staff):
    purchase = market.purchase()
    linh_order, minh_order = market.order_of(purchase, market.linh), market.order_of(purchase, market.minh)
    result = gql(STAFF_CANCEL, {"id": gid("Order", linh_order.pk), "input": {"reason": "Hết hàng thật"}}, user=staff)[
        "data"
    ]["orderCancel"]
    assert result["errors"] == [] and result["order"]["status"] == "CANCELLED"
    cancel_event = next(e for e in result["order"]["events"] if e["type"] == "CANCELLED")
    assert cancel_event["actorEmail"] == staff.email and cancel_event["reason"] == "Hết hàng thật"
    assert json.loads(cancel_event["data"]) == {"from": "PAID", "reason": "Hết hàng thật", "refund_due": True}
    assert stock(market.scarf) == 10
    assert Purchase.objects.get().status == "PAID"  # Minh's part still stands
    assert Order.objects.get(pk=minh_order.pk).status == "PAID"
    # cancelling the other part too closes the purchase
    gql(STAFF_CANCEL, {"id": gid("Order", minh_order.pk)}, user=staff)
    assert Purchase.objects.get().status == "CANCELLED" and stock(market.bowl) == 10


def test_mark_purchase_paid_never_revives_a_cancelled_purchase(market):
    purchase = market.purchase(gateway="pending")
    order_expiry.expire_purchase(purchase_id=purchase.pk, now=purchase.expires_at)
    payment = purchase.payments.get()
    for _ in range(2):  # a webhook delivered twice
        result = order_payment.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
        assert result.status == "CANCELLED"
    assert set(Order.objects.values_list("status", flat=True)) == {"CANCELLED"}
    late = OrderEvent.objects.filter(type="PAYMENT_AFTER_CANCELLATION")
    assert late.count() == 2 and all(e.data == {"payment_id": payment.pk, "refund_due": True} for e in late)
    assert stock(market.scarf) == 10  # the stock went back and stays back


def test_paying_a_purchase_with_one_cancelled_part_pays_the_rest_and_flags_the_refund(
    market, django_capture_on_commit_callbacks
):
    purchase = market.purchase(gateway="pending")
    linh_order = market.order_of(purchase, market.linh)
    order_lifecycle.cancel_order(order_id=linh_order.pk, actor=market.buyer_user)
    with django_capture_on_commit_callbacks(execute=True):
        order_payment.mark_purchase_paid(purchase_id=purchase.pk)
    assert Purchase.objects.get().status == "PAID"
    assert dict(Order.objects.values_list("designer_id", "status")) == {
        market.linh.pk: "CANCELLED",
        market.minh.pk: "PAID",
    }
    assert OrderEvent.objects.get(type="PAYMENT_AFTER_CANCELLATION").order_id == linh_order.pk
    # the designer of the cancelled part is not told of a new order
    assert not [m for m in mail.outbox if m.to == [market.linh.user.email]]


def test_payment_webhook_entry_points_check_their_input(market):
    # The webhooks' entry point is the payments app's (it owns the payments it is told about).
    first = market.purchase(gateway="pending")
    second = market.purchase(gateway="pending")
    with pytest.raises(ServiceError) as wrong_payment:
        payment_services.mark_purchase_paid(purchase_id=first.pk, payment_id=second.payments.get().pk)
    assert wrong_payment.value.errors[0].code == "NOT_FOUND"
    assert wrong_payment.value.errors[0].field == "payment_id"
    with pytest.raises(ServiceError):
        payment_services.mark_purchase_paid(purchase_id=999999)
    with pytest.raises(ServiceError):
        order_payment.mark_purchase_paid(purchase_id=999999)
    assert Purchase.objects.get(pk=first.pk).status == "UNPAID"


def test_a_failed_payment_is_recorded_and_the_buyer_may_retry_until_expiry(gql, market, staff):
    purchase = market.purchase(gateway="pending")
    order_payment.mark_purchase_payment_failed(purchase_id=purchase.pk, reason="card_declined: insufficient funds")
    assert Purchase.objects.get().status == "UNPAID"
    assert OrderEvent.objects.filter(type="PAYMENT_FAILED").count() == 2
    assert OrderEvent.objects.filter(type="PAYMENT_FAILED").first().data == {
        "reason": "card_declined: insufficient funds"
    }
    # the designer sees that a payment failed, not why (that is between the buyer, the bank and staff)
    designer_view = gql(load_operation("designer/MyDesignerOrders.graphql"), {"first": 5}, user=market.linh.user)
    events = designer_view["data"]["myDesigner"]["orders"]["edges"][0]["node"]["events"]
    assert [(e["type"], e["reason"]) for e in events] == [("PLACED", None), ("PAYMENT_FAILED", None)]
    staff_view = gql(load_operation("staff/Orders.graphql"), {"first": 5}, user=staff)["data"]["orders"]["edges"][0][
        "node"
    ]["events"]
    assert "card_declined: insufficient funds" in [e["reason"] for e in staff_view]
    order_payment.mark_purchase_paid(purchase_id=purchase.pk)
    events = OrderEvent.objects.count()
    order_payment.mark_purchase_payment_failed(
        purchase_id=purchase.pk, reason="late failure"
    )  # a paid purchase stays paid
    assert Purchase.objects.get().status == "PAID" and OrderEvent.objects.count() == events
