"""Who sees what: the buyer its orders (signed in, or by the purchase token), each designer only its
own part, staff everything; and the lists cost the same number of queries whatever their size."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import Refund
from shop.orders.models import Order, OrderEvent
from tests.commerce import Buyer, gid
from tests.factories import make_user
from tests.support import load_operation

MY_ORDERS = load_operation("storefront/MyOrders.graphql")
MY_PURCHASES = load_operation("storefront/MyPurchases.graphql")
BY_TOKEN = load_operation("storefront/PurchaseByToken.graphql")
DESIGNER_ORDERS = load_operation("designer/MyDesignerOrders.graphql")
ORDER_BY_ID = load_operation("designer/OrderById.graphql")
STAFF_ORDERS = load_operation("staff/Orders.graphql")
PAYMENT_GATEWAYS = load_operation("storefront/PaymentGateways.graphql")


def test_the_buyer_sees_its_orders_and_purchases_with_download_links(gql, market):
    purchase = market.purchase()
    market.purchase(buyer=Buyer(gql, user=make_user()))  # someone else's
    orders = gql(MY_ORDERS, {"first": 10}, user=market.buyer_user)["data"]["me"]["orders"]
    assert orders["totalCount"] == 2
    numbers = {e["node"]["number"] for e in orders["edges"]}
    assert numbers == set(Order.objects.filter(purchase=purchase).values_list("number", flat=True))
    minh = next(e["node"] for e in orders["edges"] if e["node"]["designer"]["displayName"] == market.minh.display_name)
    assert minh["purchase"]["token"] == str(purchase.token)
    font = next(line for line in minh["lines"] if line["downloads"])
    assert font["downloads"][0]["remaining"] == 5
    purchases = gql(MY_PURCHASES, {"first": 10}, user=market.buyer_user)["data"]["me"]["purchases"]
    assert purchases["totalCount"] == 1 and len(purchases["edges"][0]["node"]["orders"]) == 2
    shipped = gql(MY_ORDERS, {"first": 10, "filter": {"status": ["FULFILLED"]}}, user=market.buyer_user)["data"]["me"][
        "orders"
    ]
    assert shipped["totalCount"] == 0
    assert gql(MY_ORDERS, {"first": 10})["data"]["me"] is None


def test_an_anonymous_buyer_reads_its_purchase_by_token(gql, market):
    anonymous = Buyer(gql, email="khach@example.com")
    purchase = market.purchase(buyer=anonymous)
    data = gql(BY_TOKEN, {"token": str(purchase.token)})["data"]["purchase"]
    assert data["email"] == "khach@example.com" and data["status"] == "PAID" and len(data["orders"]) == 2
    links = [d for o in data["orders"] for line in o["lines"] for d in line["downloads"]]
    assert len(links) == 1 and links[0]["remaining"] == 5
    assert [e["type"] for e in data["orders"][0]["events"]] == ["PLACED", "PAID"]
    assert gql(BY_TOKEN, {"token": "00000000-0000-4000-8000-000000000000"})["data"]["purchase"] is None
    # the numeric node ID alone gives nothing
    assert gql("query($id: ID!) { node(id: $id) { id } }", {"id": data["id"]})["data"]["node"] is None


def test_a_designer_sees_only_its_own_part_with_the_shipping_details(gql, market):
    purchase = market.purchase()
    result = gql(DESIGNER_ORDERS, {"first": 10}, user=market.linh.user)["data"]["myDesigner"]["orders"]
    assert result["totalCount"] == 1
    order = result["edges"][0]["node"]
    assert order["number"] == market.order_of(purchase, market.linh).number
    assert (
        order["shippingAddress"]["phone"] == "0912345678"
        and order["shippingAddress"]["recipientName"] == "Nguyễn Văn An"
    )
    assert [line["productName"] for line in order["lines"]] == ["Khăn lụa"]
    # not the other designers' parts, not the buyer's email, not the buyer's download links
    assert order["purchase"] is None and order["buyerEmail"] is None
    minh = gql(DESIGNER_ORDERS, {"first": 10}, user=market.minh.user)["data"]["myDesigner"]["orders"]["edges"][0][
        "node"
    ]
    assert all(line["downloads"] == [] for line in minh["lines"])
    # another designer's orders are not reachable through designer(slug:) either
    query = "query($slug: String!) { designer(slug: $slug) { orders(first: 5) { totalCount } } }"
    assert gql(query, {"slug": market.linh.slug}, user=market.minh.user)["data"]["designer"]["orders"] is None
    assert gql(query, {"slug": market.linh.slug})["data"]["designer"]["orders"] is None


def test_designer_filters_by_status_and_date(gql, market):
    first = market.purchase()
    second = market.purchase()
    Order.objects.filter(purchase=first).update(created_at=timezone.now() - timedelta(days=10))
    from shop.orders import lifecycle as order_lifecycle

    order_lifecycle.fulfill_order(
        order_id=market.order_of(second, market.linh).pk, actor=market.linh.user, carrier="GHN", tracking_number="A1"
    )

    def count(filter):
        return gql(DESIGNER_ORDERS, {"first": 10, "filter": filter}, user=market.linh.user)["data"]["myDesigner"][
            "orders"
        ]["totalCount"]

    assert count({}) == 2
    assert count({"status": ["FULFILLED"]}) == 1 and count({"status": ["PAID", "FULFILLED"]}) == 2
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert count({"created": {"gte": since}}) == 1 and count({"created": {"lte": since}}) == 1
    assert count({"search": market.order_of(second, market.linh).number.lower()}) == 1
    assert count({"search": "mai@example.com"}) == 0  # designers cannot look buyers up by email


def test_order_nodes_are_permission_aware(gql, market, staff):
    order = market.order_of(market.purchase(), market.linh)
    variables = {"id": gid("Order", order.pk)}
    assert gql(ORDER_BY_ID, variables, user=market.linh.user)["data"]["node"]["number"] == order.number
    assert gql(ORDER_BY_ID, variables, user=market.buyer_user)["data"]["node"]["number"] == order.number
    assert gql(ORDER_BY_ID, variables, user=staff)["data"]["node"]["number"] == order.number
    # designer B reading designer A's order by its ID: nothing, as if it did not exist
    assert gql(ORDER_BY_ID, variables, user=market.minh.user)["data"]["node"] is None
    assert gql(ORDER_BY_ID, variables, user=make_user())["data"]["node"] is None
    assert gql(ORDER_BY_ID, variables)["data"]["node"] is None
    line = order.lines.get()
    for type_name, pk in (
        ("OrderLine", line.pk),
        ("OrderEvent", order.events.first().pk),
        ("Purchase", order.purchase_id),
    ):
        query = "query($id: ID!) { node(id: $id) { id } }"
        assert gql(query, {"id": gid(type_name, pk)}, user=market.minh.user)["data"]["node"] is None
        assert gql(query, {"id": gid(type_name, pk)}, user=market.buyer_user)["data"]["node"] == {
            "id": gid(type_name, pk)
        }
    download = order.purchase.orders.get(designer=market.minh).lines.get(product_type="DIGITAL").downloads.get()
    query = "query($id: ID!) { node(id: $id) { ... on DigitalDownload { remaining } } }"
    assert gql(query, {"id": gid("DigitalDownload", download.pk)}, user=market.buyer_user)["data"]["node"] == {
        "remaining": 5
    }
    assert gql(query, {"id": gid("DigitalDownload", download.pk)}, user=market.minh.user)["data"]["node"] is None


def test_staff_list_and_filter_every_order(gql, market, staff):
    purchase = market.purchase()
    other_buyer = make_user(email="lan@example.com")
    market.purchase(buyer=Buyer(gql, user=other_buyer), lines=[(market.scarf, 1)])
    result = gql(STAFF_ORDERS, {"first": 10}, user=staff)["data"]["orders"]
    assert result["totalCount"] == 3
    assert {e["node"]["buyerEmail"] for e in result["edges"]} == {"mai@example.com", "lan@example.com"}
    assert all(e["node"]["purchase"] for e in result["edges"])

    def count(filter):
        return gql(STAFF_ORDERS, {"first": 10, "filter": filter}, user=staff)["data"]["orders"]["totalCount"]

    assert count({"designer": gid("Designer", market.minh.pk)}) == 1
    assert count({"designer": "garbage"}) == 0
    assert count({"search": "LAN@example.com"}) == 1
    assert count({"search": market.order_of(purchase, market.minh).number}) == 1
    assert count({"status": ["CANCELLED"]}) == 0
    for caller in (None, market.buyer_user, market.linh.user):
        denied = gql(STAFF_ORDERS, {"first": 10}, user=caller)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    events = result["edges"][0]["node"]["events"]
    assert events[0]["actorEmail"] in ("mai@example.com", "lan@example.com")


def test_pagination_is_capped_and_required(gql, market):
    market.purchase()
    missing = gql(MY_ORDERS, {}, user=market.buyer_user)
    too_many = gql(MY_ORDERS, {"first": 1000}, user=market.buyer_user)
    assert missing["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"
    page = gql(MY_ORDERS, {"first": 1}, user=market.buyer_user)["data"]["me"]["orders"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = gql(MY_ORDERS, {"first": 1, "after": page["pageInfo"]["endCursor"]}, user=market.buyer_user)["data"]["me"][
        "orders"
    ]
    assert rest["pageInfo"]["hasNextPage"] is False and rest["edges"][0]["node"]["id"] != page["edges"][0]["node"]["id"]


def _queries(gql, query, variables, user) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = gql(query, variables, user=user)
    assert "errors" not in result, result
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "operation, who",
    [
        (MY_ORDERS, "buyer"),
        (MY_PURCHASES, "buyer"),
        (DESIGNER_ORDERS, "designer"),
        (STAFF_ORDERS, "staff"),
    ],
)
def test_order_lists_cost_the_same_queries_for_any_page_size(gql, market, staff, operation, who):
    user = {"buyer": market.buyer_user, "designer": market.minh.user, "staff": staff}[who]
    market.purchase()
    small = _queries(gql, operation, {"first": 10}, user)
    for _ in range(4):
        market.purchase()
    large = _queries(gql, operation, {"first": 10}, user)
    assert small == large, (small, large)
    assert large <= 10


STAFF_ORDERS_WITH_REFUNDS = """
query($first: Int) {
  orders(first: $first) {
    edges { node { id refunds { status amount { amount } } refundPending { amount currency } } }
  }
}
"""


def _refund_every_order(purchase) -> None:
    """Two refunds per order: one made by the provider, one owed to the buyer (not sent yet)."""
    payment = purchase.payments.first()
    for order in Order.objects.filter(purchase=purchase):
        for n, owed in enumerate((False, True), start=1):
            refund = Refund.objects.create(
                order=order,
                payment=payment,
                amount=Decimal(1000 * n),
                currency=order.currency,
                gateway=payment.gateway,
                idempotency_key=f"test-refund-{order.pk}-{n}",
                owed=owed,
            )
            if owed:  # as payments/refunds.py records it
                OrderEvent.objects.create(
                    order=order,
                    type="REFUND_OWED",
                    data={"refund_id": refund.pk, "amount": str(refund.amount), "currency": refund.currency},
                )


def test_order_refunds_cost_the_same_queries_for_any_number_of_orders(gql, market, staff):
    _refund_every_order(market.purchase())
    small = _queries(gql, STAFF_ORDERS_WITH_REFUNDS, {"first": 10}, staff)
    for _ in range(4):
        _refund_every_order(market.purchase())
    large = _queries(gql, STAFF_ORDERS_WITH_REFUNDS, {"first": 10}, staff)
    assert small == large, (small, large)
    edges = gql(STAFF_ORDERS_WITH_REFUNDS, {"first": 10}, user=staff)["data"]["orders"]["edges"]
    assert len(edges) == 10
    for edge in edges:
        assert [r["status"] for r in edge["node"]["refunds"]] == ["REFUNDED", "OWED"]
        assert edge["node"]["refundPending"]["amount"] == "2000"


def test_payment_gateways_are_listed(gql, market):
    gateways = gql(PAYMENT_GATEWAYS)["data"]["paymentGateways"]
    assert gateways[0] == {
        "id": "dummy",
        "name": "Dummy (demo and tests)",
        "config": '{"declineToken": "decline"}',
        "available": True,
        "unavailableReason": None,
        "unavailableMessage": None,
    }
