"""checkoutComplete: one purchase, one order per designer, stock taken once, exact totals, and the
payment hand-off (succeeded, pending, declined, unreachable)."""

import json
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designers.models import DesignerStatus
from payments.models import Payment
from shop.catalog.models import ProductStatus, ProductVariant
from shop.checkout.models import Checkout
from shop.orders import payment as order_payment
from shop.orders.models import Order, OrderEvent, OrderLine, Purchase
from tests.commerce import Buyer, gid
from tests.factories import make_product, make_seller, make_shipping_method, make_user, make_variant
from tests.gateways import TEST_GATEWAYS
from tests.support import load_operation

COMPLETE = load_operation("storefront/CheckoutComplete.graphql")  # what Buyer.complete sends
LINES_ADD = load_operation("storefront/CheckoutLinesAdd.graphql")


def stock(variant) -> int:
    return ProductVariant.objects.get(pk=variant.pk).stock_quantity


@pytest.fixture
def shop(db, digital_variant_factory):
    """Two approved designers: Linh sells a scarf (physical); Minh a bowl (physical, free shipping
    from 100,000 ₫) and a font (digital)."""
    linh, linh_ship = make_seller("Linh", shipping_price=30000)
    minh, minh_ship = make_seller("Minh", shipping_price=25000, free_above=100000)
    scarf = make_variant(
        product=make_product(designer=linh, name="Khăn lụa"), price=150000, stock=3, sku="KHAN-1", name="Đỏ"
    )
    bowl = make_variant(product=make_product(designer=minh, name="Bát gốm"), price=60000, stock=5, sku="BAT-1")
    font = digital_variant_factory(designer=minh, price=90000)
    return type(
        "Shop",
        (),
        dict(linh=linh, minh=minh, linh_ship=linh_ship, minh_ship=minh_ship, scarf=scarf, bowl=bowl, font=font),
    )


def test_two_designers_pay_once_and_get_one_order_each(gql, shop, django_capture_on_commit_callbacks):
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 2), (shop.bowl, 1), (shop.font, 1)], methods=[shop.linh_ship, shop.minh_ship])
    checkout = buyer.checkout(token)
    # Linh: 2 × 150,000 + 30,000 shipping; Minh: 60,000 + 90,000 = 150,000 ≥ 100,000 → free shipping.
    parts = {p["designer"]["id"]: p for p in checkout["parts"]}
    linh, minh = parts[gid("Designer", shop.linh.pk)], parts[gid("Designer", shop.minh.pk)]
    assert (linh["subtotal"]["amount"], linh["shippingPrice"]["amount"], linh["total"]["amount"]) == (
        "300000",
        "30000",
        "330000",
    )
    assert (minh["subtotal"]["amount"], minh["shippingPrice"]["amount"], minh["total"]["amount"]) == (
        "150000",
        "0",
        "150000",
    )
    assert (checkout["subtotal"]["amount"], checkout["shippingPrice"]["amount"], checkout["total"]["amount"]) == (
        "450000",
        "30000",
        "480000",
    )
    assert checkout["problems"] == []

    with django_capture_on_commit_callbacks(execute=True):
        result = buyer.complete(token)
    assert result["errors"] == []
    purchase = result["purchase"]
    assert purchase["status"] == "PAID" and purchase["total"] == {"amount": "480000", "currency": "VND"}
    assert result["payment"]["status"] == "SUCCEEDED" and result["payment"]["clientSecret"] is None
    orders = {o["designer"]["id"]: o for o in purchase["orders"]}
    assert len(orders) == 2 and all(o["number"].startswith("RM") for o in orders.values())
    assert orders[gid("Designer", shop.linh.pk)]["total"]["amount"] == "330000"
    minh_order = orders[gid("Designer", shop.minh.pk)]
    assert minh_order["total"]["amount"] == "150000" and minh_order["shippingPrice"]["amount"] == "0"
    # the digital line came with its download link, for the buyer
    font_line = next(line for line in minh_order["lines"] if line["productType"] == "DIGITAL")
    assert font_line["downloads"][0]["remaining"] == 5 and "/downloads/" in font_line["downloads"][0]["url"]

    assert (stock(shop.scarf), stock(shop.bowl)) == (1, 4)
    db_purchase = Purchase.objects.get()
    assert db_purchase.checkout.token.hex == token.replace("-", "") and db_purchase.paid_at is not None
    payment = Payment.objects.get()
    assert (payment.status, payment.idempotency_key, payment.amount) == (
        "SUCCEEDED",
        f"purchase-{db_purchase.pk}",
        Decimal("480000"),
    )
    assert sorted(OrderEvent.objects.values_list("type", flat=True)) == ["PAID", "PAID", "PLACED", "PLACED"]
    assert Checkout.objects.get().completed_at is not None
    # one email for the buyer (both parts), one per designer (its part only)
    buyer_mail = [m for m in mail.outbox if m.to == ["an@example.com"]]
    assert len(buyer_mail) == 1 and "Khăn lụa" in buyer_mail[0].body and "Bát gốm" in buyer_mail[0].body
    linh_mail = [m for m in mail.outbox if m.to == [shop.linh.user.email]]
    assert len(linh_mail) == 1 and "Khăn lụa" in linh_mail[0].body and "Bát gốm" not in linh_mail[0].body
    assert len(mail.outbox) == 3


def test_order_lines_are_a_snapshot(gql, shop):
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 1)], methods=[shop.linh_ship])
    assert buyer.complete(token)["errors"] == []
    shop.scarf.product.name = "Renamed"
    shop.scarf.product.save()
    ProductVariant.objects.filter(pk=shop.scarf.pk).update(price_amount=999000, sku="NEW", name="Xanh")
    line = OrderLine.objects.get()
    assert (
        line.product_name,
        line.variant_name,
        line.sku,
        line.unit_price_amount,
        line.product_type,
        line.quantity,
    ) == ("Khăn lụa", "Đỏ", "KHAN-1", Decimal("150000"), "PHYSICAL", 1)
    assert line.total_amount == Decimal("150000")
    order = Order.objects.get()
    assert order.shipping_method_name == shop.linh_ship.name and order.shipping_address["phone"] == "0912345678"


def test_prices_are_recomputed_by_the_server(gql, shop):
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 1)], methods=[shop.linh_ship])
    ProductVariant.objects.filter(pk=shop.scarf.pk).update(price_amount=170000)
    assert buyer.checkout(token)["total"]["amount"] == "200000"
    assert buyer.complete(token)["purchase"]["total"]["amount"] == "200000"


def test_completing_twice_returns_the_same_purchase(gql, shop, db_unchanged):
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 2)], methods=[shop.linh_ship])
    first = buyer.complete(token)
    with db_unchanged():
        second = buyer.complete(token)
        again_other_gateway = buyer.complete(token, gateway="nonexistent")
    assert second["errors"] == [] and again_other_gateway["errors"] == []
    assert second["purchase"]["id"] == first["purchase"]["id"] == again_other_gateway["purchase"]["id"]
    assert [o["number"] for o in second["purchase"]["orders"]] == [o["number"] for o in first["purchase"]["orders"]]
    assert stock(shop.scarf) == 1 and Order.objects.count() == 1 and Payment.objects.count() == 1
    # the completed checkout is frozen
    with db_unchanged():
        frozen = gql(
            LINES_ADD,
            {"token": token, "input": {"lines": [{"variantId": gid("ProductVariant", shop.bowl.pk), "quantity": 1}]}},
        )
    assert frozen["data"]["checkoutLinesAdd"]["errors"][0]["code"] == "CHECKOUT_COMPLETED"
    assert buyer.checkout(token)["purchase"]["id"] == first["purchase"]["id"]


def test_declined_payment_changes_nothing_and_the_checkout_can_be_retried(gql, shop, db_unchanged):
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 2), (shop.bowl, 1)], methods=[shop.linh_ship, shop.minh_ship])
    # the stock taken and given back: the variants' content is as before (only their time stamp moved)
    with db_unchanged(ignore=("catalog.ProductVariant.updated_at",)):
        declined = gql(
            COMPLETE, {"token": token, "input": {"gateway": "dummy", "gatewayData": json.dumps({"token": "decline"})}}
        )
        declined = declined["data"]["checkoutComplete"]
    assert declined["purchase"] is None
    assert declined["errors"][0]["code"] == "PAYMENT_DECLINED" and declined["errors"][0]["field"] == "gateway"
    assert "declined" in declined["errors"][0]["message"]
    assert (stock(shop.scarf), stock(shop.bowl)) == (3, 5)
    assert not Purchase.objects.exists() and not Order.objects.exists() and not Payment.objects.exists()
    # another card: the same checkout goes through, once
    retried = buyer.complete(token)
    assert retried["errors"] == [] and retried["purchase"]["status"] == "PAID"
    assert (stock(shop.scarf), stock(shop.bowl)) == (1, 4) and Order.objects.count() == 2


def test_unreachable_gateway_and_unknown_gateway_change_nothing(gql, shop, db_unchanged, settings):
    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 1)], methods=[shop.linh_ship])
    with db_unchanged(ignore=("catalog.ProductVariant.updated_at",)):
        unreachable = buyer.complete(token, gateway="unreachable")
        unknown = buyer.complete(token, gateway="paypal")
        bad_data = buyer.complete(token, data=json.dumps(["not", "an", "object"]))
    assert unreachable["errors"][0]["code"] == "PAYMENT_ERROR"
    assert (unknown["errors"][0]["code"], unknown["errors"][0]["field"]) == ("GATEWAY_NOT_AVAILABLE", "gateway")
    assert (bad_data["errors"][0]["code"], bad_data["errors"][0]["field"]) == ("INVALID", "gatewayData")


def test_pending_payment_keeps_the_purchase_unpaid_until_confirmed(
    gql, shop, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENT_GATEWAYS = TEST_GATEWAYS
    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 1), (shop.font, 1)], methods=[shop.linh_ship])
    with django_capture_on_commit_callbacks(execute=True):
        result = buyer.complete(token, gateway="pending")
    assert result["errors"] == []
    assert result["purchase"]["status"] == "UNPAID" and result["purchase"]["expiresAt"]
    assert {o["status"] for o in result["purchase"]["orders"]} == {"UNPAID"}
    assert result["payment"]["status"] == "PENDING" and result["payment"]["clientSecret"].endswith("_secret")
    # stock is reserved; no download link and no email before the money arrives
    assert stock(shop.scarf) == 2
    assert all(line["downloads"] == [] for o in result["purchase"]["orders"] for line in o["lines"])
    assert mail.outbox == []
    # asking again gives the same pending payment (the client lost the answer)
    assert buyer.complete(token, gateway="pending")["payment"]["clientSecret"] == result["payment"]["clientSecret"]

    purchase = Purchase.objects.get()
    payment = Payment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_payment.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    purchase.refresh_from_db()
    assert purchase.status == "PAID"
    statuses = dict(Order.objects.values_list("designer_id", "status"))
    assert statuses == {
        shop.linh.pk: "PAID",
        shop.minh.pk: "FULFILLED",
    }  # the digital-only order is fulfilled by its link
    assert len(mail.outbox) == 3
    events = OrderEvent.objects.count()
    # a repeated confirmation (webhook retry) changes nothing and sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        order_payment.mark_purchase_paid(purchase_id=purchase.pk, payment_id=payment.pk)
    assert OrderEvent.objects.count() == events and len(mail.outbox) == 3


def test_digital_only_checkout_needs_no_address_or_shipping(gql, shop):
    buyer = Buyer(gql)
    created = buyer.create([(shop.font, 1)])
    token = created["checkout"]["token"]
    assert created["checkout"]["requiresShipping"] is False and created["checkout"]["problems"] == []
    result = buyer.complete(token)
    assert result["errors"] == []
    order = result["purchase"]["orders"][0]
    assert order["status"] == "FULFILLED" and order["shippingPrice"]["amount"] == "0"
    assert result["purchase"]["shippingAddress"] is None
    assert stock(shop.font) == 0  # digital goods have no stock to take


@pytest.mark.parametrize(
    "missing, code, field",
    [
        ("address", "SHIPPING_ADDRESS_REQUIRED", "shippingAddress"),
        ("method", "SHIPPING_METHOD_REQUIRED", "shippingMethod"),
        ("lines", "EMPTY_CHECKOUT", "lines"),
        ("email", "REQUIRED", "email"),
    ],
)
def test_an_incomplete_checkout_is_refused_with_a_code(gql, shop, db_unchanged, missing, code, field):
    buyer = Buyer(gql, email=None if missing == "email" else "an@example.com")
    lines = [] if missing == "lines" else [(shop.scarf, 1)]
    created = buyer.create(lines, **({"email": None} if missing == "email" else {}))
    token = created["checkout"]["token"]
    if missing != "address":
        buyer.address(token)
    if missing not in ("method", "lines"):
        buyer.ship(token, shop.linh_ship)
    with db_unchanged():
        result = buyer.complete(token)
    assert result["purchase"] is None
    assert (code, field) in [(e["code"], e["field"]) for e in result["errors"]]
    assert stock(shop.scarf) == 3


@pytest.mark.parametrize(
    "change, code",
    [
        ("unpublished", "PRODUCT_UNAVAILABLE"),
        ("archived", "PRODUCT_UNAVAILABLE"),
        ("hidden", "PRODUCT_UNAVAILABLE"),
        ("designer_suspended", "PRODUCT_UNAVAILABLE"),
        ("stock_sold_elsewhere", "INSUFFICIENT_STOCK"),
        ("out_of_stock", "INSUFFICIENT_STOCK"),
        ("method_deactivated", "SHIPPING_METHOD_UNAVAILABLE"),
    ],
)
def test_a_line_that_went_bad_stops_completion_and_is_never_silently_changed(gql, shop, db_unchanged, change, code):
    from django.utils import timezone

    buyer = Buyer(gql)
    token = buyer.ready([(shop.scarf, 2), (shop.bowl, 1)], methods=[shop.linh_ship, shop.minh_ship])
    product = shop.scarf.product
    if change == "unpublished":
        product.status = ProductStatus.DRAFT
    elif change == "archived":
        product.status = ProductStatus.ARCHIVED
    elif change == "hidden":
        product.hidden_at = timezone.now()
    product.save()
    if change == "designer_suspended":
        shop.linh.status = DesignerStatus.SUSPENDED
        shop.linh.save()
    elif change == "stock_sold_elsewhere":
        ProductVariant.objects.filter(pk=shop.scarf.pk).update(stock_quantity=1)
    elif change == "out_of_stock":
        ProductVariant.objects.filter(pk=shop.scarf.pk).update(stock_quantity=0)
    elif change == "method_deactivated":
        shop.linh_ship.is_active = False
        shop.linh_ship.save()
    with db_unchanged():
        result = buyer.complete(token)
        checkout = buyer.checkout(token)
    assert result["purchase"] is None and [e["code"] for e in result["errors"]] == [code]
    # the checkout still holds what the buyer chose, and says what is wrong
    assert [(line["productName"], line["quantity"]) for line in checkout["lines"]] == [("Khăn lụa", 2), ("Bát gốm", 1)]
    assert [p["code"] for p in checkout["problems"]] == [code]
    if code != "SHIPPING_METHOD_UNAVAILABLE":
        assert checkout["problems"][0]["lineId"] == checkout["lines"][0]["id"]
        assert [p["code"] for p in checkout["lines"][0]["problems"]] == [code]


def test_a_signed_in_buyers_purchase_is_theirs_and_nobody_else_can_complete_it(gql, shop, db_unchanged):
    user = make_user(email="mai@example.com")
    buyer = Buyer(gql, user=user)
    token = buyer.ready([(shop.scarf, 1)], methods=[shop.linh_ship])
    stranger = Buyer(gql, user=make_user())
    anonymous = Buyer(gql)
    with db_unchanged():
        for other in (stranger, anonymous):
            refused = other.complete(token)
            assert refused["purchase"] is None and refused["errors"][0]["code"] == "NOT_FOUND"
    result = buyer.complete(token)
    assert result["purchase"]["email"] == "mai@example.com"
    assert Purchase.objects.get().user == user


def _complete_counting(gql, lines, methods) -> int:
    buyer = Buyer(gql)
    token = buyer.ready(lines, methods=methods)
    with CaptureQueriesContext(connection) as queries:
        result = buyer.complete(token)
    assert result["errors"] == [] and result["purchase"]["status"] == "PAID"
    return len(queries.captured_queries)


def test_complete_query_count_does_not_grow_with_lines_or_designers(gql, digital_variant_factory):
    def seller_with_goods(n_physical):
        designer, method = make_seller()
        variants = [make_variant(product=make_product(designer=designer), stock=50) for _ in range(n_physical)]
        return designer, method, variants

    _, m1, (p1,) = seller_with_goods(1)
    d1 = digital_variant_factory(designer=m1.designer)
    small = _complete_counting(gql, [(p1, 1), (d1, 1)], [m1])

    sellers = [seller_with_goods(3) for _ in range(3)]
    lines, methods = [], []
    for designer, method, variants in sellers:
        lines += [(v, 2) for v in variants] + [(digital_variant_factory(designer=designer), 1)]
        methods.append(method)
    large = _complete_counting(gql, lines, methods)  # 3 designers, 12 lines
    assert small == large, (small, large)
    assert large <= 40


def test_shipping_method_of_another_currency_is_never_used(gql, shop, db_unchanged):
    usd = make_shipping_method(shop.linh, price="5.00", currency="USD")
    buyer = Buyer(gql)
    token = buyer.create([(shop.scarf, 1)])["checkout"]["token"]
    with db_unchanged():
        result = gql(
            "mutation($t: UUID!, $m: ID!) { checkoutShippingMethodUpdate(token: $t, input: {shippingMethodId: $m}) { errors { code field } } }",
            {"t": token, "m": gid("ShippingMethod", usd.pk)},
        )["data"]["checkoutShippingMethodUpdate"]
    assert result["errors"] == [{"code": "CURRENCY_MISMATCH", "field": "shippingMethodId"}]
    assert [m["id"] for m in buyer.checkout(token)["parts"][0]["availableShippingMethods"]] == [
        gid("ShippingMethod", shop.linh_ship.pk)
    ]
