"""The cart: lines across designers, quantities and stock, clear coded errors, who may address a
checkout, and the buyer's shipping choices."""

import pytest
from django.utils import timezone

from designers.models import DesignerStatus
from shop.catalog.models import ProductStatus
from shop.checkout.models import Checkout, CheckoutLine, CheckoutShippingChoice
from tests.commerce import Buyer, gid
from tests.factories import make_designer, make_product, make_shipping_method, make_user, make_variant
from tests.support import load_operation

# The storefront's cart operations (tests.commerce.Buyer sends the same documents).
CHECKOUT_CREATE = load_operation("storefront/CheckoutCreate.graphql")
CHECKOUT = load_operation("storefront/Checkout.graphql")
LINES_ADD = load_operation("storefront/CheckoutLinesAdd.graphql")
LINES_UPDATE = load_operation("storefront/CheckoutLinesUpdate.graphql")
LINES_DELETE = load_operation("storefront/CheckoutLinesDelete.graphql")
EMAIL_UPDATE = load_operation("storefront/CheckoutEmailUpdate.graphql")
ADDRESS_UPDATE = load_operation("storefront/CheckoutShippingAddressUpdate.graphql")
METHOD_UPDATE = load_operation("storefront/CheckoutShippingMethodUpdate.graphql")
CUSTOMER_ATTACH = load_operation("storefront/CheckoutCustomerAttach.graphql")


def line_input(variant, quantity):
    return {"variantId": gid("ProductVariant", variant.pk), "quantity": quantity}


def test_one_checkout_holds_lines_from_several_designers(gql, goods):
    buyer = Buyer(gql)
    created = buyer.create([(goods.scarf, 1), (goods.bowl, 2)])
    assert created["errors"] == []
    checkout = created["checkout"]
    assert checkout["email"] == "an@example.com" and checkout["currency"] == "VND"
    assert [
        (ln["productName"], ln["quantity"], ln["unitPrice"]["amount"], ln["totalPrice"]["amount"])
        for ln in checkout["lines"]
    ] == [
        ("Khăn lụa", 1, "150000", "150000"),
        ("Bát gốm", 2, "60000", "120000"),
    ]
    assert checkout["subtotal"] == {"amount": "270000", "currency": "VND"}
    # nothing is ready yet: the checkout says what is missing
    codes = sorted(p["code"] for p in checkout["problems"])
    assert codes == ["SHIPPING_ADDRESS_REQUIRED", "SHIPPING_METHOD_REQUIRED", "SHIPPING_METHOD_REQUIRED"]
    parts = buyer.checkout(checkout["token"])["parts"]
    assert [p["designer"]["displayName"] for p in parts] == [goods.linh.display_name, goods.minh.display_name]
    assert [m["id"] for m in parts[0]["availableShippingMethods"]] == [gid("ShippingMethod", goods.linh_ship.pk)]


def test_add_merges_update_sets_and_zero_or_delete_removes(gql, goods):
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1)])["checkout"]["token"]
    added = buyer.add(token, [(goods.scarf, 2), (goods.bowl, 1)])
    assert added["errors"] == [] and [ln["quantity"] for ln in added["checkout"]["lines"]] == [3, 1]
    updated = gql(
        LINES_UPDATE, {"token": token, "input": {"lines": [line_input(goods.scarf, 1), line_input(goods.bowl, 0)]}}
    )["data"]["checkoutLinesUpdate"]
    assert updated["errors"] == [] and [ln["quantity"] for ln in updated["checkout"]["lines"]] == [1]
    assert updated["checkout"]["total"]["amount"] == "150000"
    line_id = updated["checkout"]["lines"][0]["id"]
    deleted = gql(LINES_DELETE, {"token": token, "input": {"lineIds": [line_id]}})["data"]["checkoutLinesDelete"]
    assert deleted["errors"] == [] and deleted["checkout"]["lines"] == []
    assert deleted["checkout"]["total"]["amount"] == "0"


@pytest.mark.parametrize(
    "case, code",
    [
        ("garbage id", "NOT_FOUND"),
        ("wrong type id", "NOT_FOUND"),
        ("unknown variant", "NOT_FOUND"),
        # not on the storefront: answered exactly like an unknown variant (see the next test)
        ("draft product", "NOT_FOUND"),
        ("archived product", "NOT_FOUND"),
        ("hidden product", "NOT_FOUND"),
        ("suspended designer", "NOT_FOUND"),
        ("pending designer", "NOT_FOUND"),
        ("more than in stock", "INSUFFICIENT_STOCK"),
        ("out of stock", "INSUFFICIENT_STOCK"),
        ("above the per-line maximum", "QUANTITY_TOO_LARGE"),
        ("zero", "INVALID"),
        ("negative", "INVALID"),
        ("same variant twice", "DUPLICATED_INPUT_ITEM"),
        ("another currency", "CURRENCY_MISMATCH"),
        ("digital without a file", "PRODUCT_UNAVAILABLE"),
    ],
)
def test_adding_a_bad_line_is_a_coded_error_and_writes_nothing(gql, goods, db_unchanged, case, code):
    buyer = Buyer(gql)
    token = buyer.create([(goods.bowl, 1)])["checkout"]["token"]
    scarf = goods.scarf
    lines = [line_input(scarf, 1)]
    if case == "garbage id":
        lines = [{"variantId": "not-a-global-id", "quantity": 1}]
    elif case == "wrong type id":
        lines = [{"variantId": gid("Designer", goods.linh.pk), "quantity": 1}]
    elif case == "unknown variant":
        lines = [{"variantId": gid("ProductVariant", 987654), "quantity": 1}]
    elif case in ("draft product", "archived product", "hidden product"):
        product = scarf.product
        if case == "hidden product":
            product.hidden_at = timezone.now()
        else:
            product.status = ProductStatus.DRAFT if case == "draft product" else ProductStatus.ARCHIVED
        product.save()
    elif case in ("suspended designer", "pending designer"):
        goods.linh.status = DesignerStatus.SUSPENDED if case == "suspended designer" else DesignerStatus.PENDING
        goods.linh.save()
    elif case == "more than in stock":
        lines = [line_input(scarf, 6)]
    elif case == "out of stock":
        scarf.stock_quantity = 0
        scarf.save()
    elif case == "above the per-line maximum":
        scarf.stock_quantity = 500
        scarf.save()
        lines = [line_input(scarf, 100)]
    elif case == "zero":
        lines = [line_input(scarf, 0)]
    elif case == "negative":
        lines = [line_input(scarf, -3)]
    elif case == "same variant twice":
        lines = [line_input(scarf, 1), line_input(scarf, 2)]
    elif case == "another currency":
        usd = make_product(designer=goods.linh, currency="USD")
        lines = [line_input(make_variant(product=usd, price="12.50"), 1)]
    elif case == "digital without a file":
        lines = [
            line_input(make_variant(product=make_product(designer=goods.linh, product_type="DIGITAL"), stock=0), 1)
        ]
    with db_unchanged():
        result = gql(LINES_ADD, {"token": token, "input": {"lines": lines}})["data"]["checkoutLinesAdd"]
    assert result["checkout"] is None
    assert [e["code"] for e in result["errors"]] == [code] and result["errors"][0]["field"] == "lines"
    assert result["errors"][0]["message"]


@pytest.mark.parametrize("change", ["draft", "archived", "hidden", "suspended designer", "pending designer"])
def test_a_variant_off_the_storefront_is_answered_like_an_unknown_one(gql, goods, db_unchanged, change):
    """Guessing variant IDs must not reveal other designers' drafts, hidden listings or designers who
    are not selling — not even a product's name. The owner and staff, who can see the product, are
    told why it cannot be bought; a buyer who already has it in the checkout too."""
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1)])["checkout"]["token"]
    secret = make_variant(product=make_product(designer=goods.linh, name="Bộ sưu tập chưa ra mắt"), stock=5)
    product = secret.product
    if change in ("draft", "archived"):
        product.status = ProductStatus.DRAFT if change == "draft" else ProductStatus.ARCHIVED
    elif change == "hidden":
        product.hidden_at = timezone.now()
    else:
        goods.linh.status = DesignerStatus.SUSPENDED if change == "suspended designer" else DesignerStatus.PENDING
        goods.linh.save()
    product.save()

    def add(variant_id, user=None):
        lines = [{"variantId": variant_id, "quantity": 1}]
        return gql(LINES_ADD, {"token": token, "input": {"lines": lines}}, user=user)["data"]["checkoutLinesAdd"]

    curious, staff = make_designer(display_name="Tò mò").user, make_user(staff=True)
    with db_unchanged():
        guessed = add(gid("ProductVariant", secret.pk))
        unknown = add(gid("ProductVariant", 10**9))
        created = gql(CHECKOUT_CREATE, {"input": {"email": "g@example.com", "lines": [line_input(secret, 1)]}})["data"][
            "checkoutCreate"
        ]
        as_other_designer = add(gid("ProductVariant", secret.pk), user=curious)
    assert guessed == unknown == as_other_designer
    assert guessed["errors"][0]["code"] == "NOT_FOUND" and "Bộ sưu tập" not in repr(guessed)
    assert created["errors"][0]["code"] == "NOT_FOUND" and "Bộ sưu tập" not in repr(created)
    with db_unchanged():
        for user in (goods.linh.user, staff):
            assert add(gid("ProductVariant", secret.pk), user=user)["errors"][0]["code"] == "PRODUCT_UNAVAILABLE"
    # the scarf was bought-able when added; gone from the storefront since, it is reported by name
    scarf = goods.scarf.product
    scarf.status = ProductStatus.DRAFT
    scarf.save()
    with db_unchanged():
        updated = gql(LINES_UPDATE, {"token": token, "input": {"lines": [line_input(goods.scarf, 2)]}})["data"][
            "checkoutLinesUpdate"
        ]
    assert updated["errors"][0]["code"] == "PRODUCT_UNAVAILABLE" and "Khăn lụa" in updated["errors"][0]["message"]


def test_adding_to_an_existing_line_is_checked_on_the_new_total(gql, goods, db_unchanged):
    buyer = Buyer(gql)
    token = buyer.create([(goods.bowl, 2)])["checkout"]["token"]
    with db_unchanged():
        result = buyer.add(token, [(goods.bowl, 1)])
    assert result["errors"][0]["code"] == "INSUFFICIENT_STOCK" and "2" in result["errors"][0]["message"]


def test_too_many_lines(gql, goods, settings, db_unchanged):
    settings.CHECKOUT_MAX_LINES = 2
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1), (goods.bowl, 1)])["checkout"]["token"]
    third = make_variant(product=make_product(designer=goods.linh), stock=3)
    with db_unchanged():
        result = buyer.add(token, [(third, 1)])
    assert result["errors"][0]["code"] == "TOO_MANY_LINES"


def test_the_first_line_sets_the_currency_and_mixing_is_refused(gql, goods, db_unchanged):
    usd_product = make_product(designer=goods.linh, currency="USD")
    tee = make_variant(product=usd_product, price="12.50", stock=4)
    buyer = Buyer(gql)
    created = buyer.create([(tee, 2)])
    assert created["checkout"]["currency"] == "USD" and created["checkout"]["subtotal"] == {
        "amount": "25.00",
        "currency": "USD",
    }
    with db_unchanged():
        mixed = buyer.add(created["checkout"]["token"], [(goods.bowl, 1)])
    assert mixed["errors"][0]["code"] == "CURRENCY_MISMATCH"
    # emptied, the checkout takes the currency of its next first line
    token = created["checkout"]["token"]
    buyer.update(token, [(tee, 0)])
    assert buyer.add(token, [(goods.bowl, 1)])["errors"] == []
    assert Checkout.objects.get().currency == "VND"


def test_deleting_lines_not_in_this_checkout_is_refused(gql, goods, db_unchanged):
    buyer = Buyer(gql)
    mine = buyer.create([(goods.scarf, 1)])["checkout"]["token"]
    other_line = Buyer(gql).create([(goods.bowl, 1)])["checkout"]["lines"][0]["id"]
    with db_unchanged():
        result = gql(LINES_DELETE, {"token": mine, "input": {"lineIds": [other_line]}})["data"]["checkoutLinesDelete"]
        empty = gql(LINES_DELETE, {"token": mine, "input": {"lineIds": []}})["data"]["checkoutLinesDelete"]
    assert result["errors"][0]["code"] == "NOT_FOUND" and empty["errors"][0]["code"] == "REQUIRED"


def test_email_is_validated(gql, goods, db_unchanged):
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1)])["checkout"]["token"]
    with db_unchanged():
        bad = gql(EMAIL_UPDATE, {"token": token, "input": {"email": "not an email"}})["data"]["checkoutEmailUpdate"]
        bad_create = gql(CHECKOUT_CREATE, {"input": {"email": "x@", "lines": []}})["data"]["checkoutCreate"]
    assert (bad["errors"][0]["code"], bad["errors"][0]["field"]) == ("INVALID", "email")
    assert bad_create["errors"][0]["code"] == "INVALID"
    good = gql(EMAIL_UPDATE, {"token": token, "input": {"email": " Mai@Example.COM "}})["data"]["checkoutEmailUpdate"]
    assert good["checkout"]["email"] == "mai@example.com"


def test_anonymous_checkout_is_addressed_by_its_token_only(gql, goods):
    token = Buyer(gql).create([(goods.scarf, 1)])["checkout"]["token"]
    checkout = gql(CHECKOUT, {"token": token})["data"]["checkout"]
    assert checkout["token"] == token
    # a guessed token finds nothing, and neither does its (sequential) node ID
    assert gql(CHECKOUT, {"token": "00000000-0000-4000-8000-000000000000"})["data"]["checkout"] is None
    assert gql("query($id: ID!) { node(id: $id) { id } }", {"id": checkout["id"]})["data"]["node"] is None
    # a malformed token is a clean GraphQL error, not a crash
    malformed = gql(CHECKOUT, {"token": "not-a-uuid"})
    assert malformed["_status"] in (200, 400) and malformed["errors"][0]["extensions"]["code"] != "INTERNAL_ERROR"


def test_a_signed_in_buyers_checkout_is_nobody_elses(gql, goods, db_unchanged):
    owner = make_user()
    buyer = Buyer(gql, user=owner)
    created = buyer.create([(goods.scarf, 1)])
    token = created["checkout"]["token"]
    assert created["checkout"]["email"] == owner.email and Checkout.objects.get().user == owner
    stranger = make_user()
    with db_unchanged():
        assert gql(CHECKOUT, {"token": token})["data"]["checkout"] is None
        assert gql(CHECKOUT, {"token": token}, user=stranger)["data"]["checkout"] is None
        add = gql(LINES_ADD, {"token": token, "input": {"lines": [line_input(goods.bowl, 1)]}}, user=stranger)
        attach = gql(CUSTOMER_ATTACH, {"token": token}, user=stranger)
    assert add["data"]["checkoutLinesAdd"]["errors"][0]["code"] == "NOT_FOUND"
    assert attach["data"]["checkoutCustomerAttach"]["errors"][0]["code"] == "NOT_FOUND"
    assert gql(CHECKOUT, {"token": token}, user=owner)["data"]["checkout"]["token"] == token
    node_query = "query($id: ID!) { node(id: $id) { ... on Checkout { token } } }"
    assert gql(node_query, {"id": created["checkout"]["id"]}, user=owner)["data"]["node"] == {"token": token}
    assert gql(node_query, {"id": created["checkout"]["id"]}, user=stranger)["data"]["node"] is None
    line_node = gql(
        "query($id: ID!) { node(id: $id) { ... on CheckoutLine { quantity } } }",
        {"id": created["checkout"]["lines"][0]["id"]},
        user=owner,
    )["data"]["node"]
    assert line_node == {"quantity": 1}
    assert (
        gql("query($id: ID!) { node(id: $id) { id } }", {"id": created["checkout"]["lines"][0]["id"]}, user=stranger)[
            "data"
        ]["node"]
        is None
    )


def test_a_buyer_who_signs_in_attaches_its_anonymous_checkout(gql, goods):
    token = Buyer(gql, email="").create([(goods.scarf, 1)], email=None)["checkout"]["token"]
    user = make_user(language="en")
    attached = gql(CUSTOMER_ATTACH, {"token": token}, user=user)["data"]["checkoutCustomerAttach"]
    assert attached["errors"] == [] and attached["checkout"]["email"] == user.email
    checkout = Checkout.objects.get()
    assert checkout.user == user and checkout.language == "en"
    # from now on only that buyer reaches it
    assert gql(CHECKOUT, {"token": token})["data"]["checkout"] is None
    anonymous = gql(CUSTOMER_ATTACH, {"token": token})
    assert anonymous["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_buyer_picks_one_shipping_method_per_designer(gql, goods, digital_variant_factory, db_unchanged):
    express = make_shipping_method(goods.linh, name="Hoả tốc", price=60000, min_days=0, max_days=1)
    inactive = make_shipping_method(goods.linh, name="Cũ", price=1, is_active=False)
    font = digital_variant_factory(designer=make_designer(display_name="Chỉ bán số"))
    font_only_method = make_shipping_method(font.product.designer)
    outsider_method = make_shipping_method(make_designer(display_name="Ngoài"))
    pending_method = make_shipping_method(make_designer(display_name="Chưa duyệt", status="PENDING"))
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1), (font, 1)])["checkout"]["token"]
    assert buyer.ship(token, goods.linh_ship)["errors"] == []
    switched = buyer.ship(token, express)
    assert switched["errors"] == [] and switched["checkout"]["shippingPrice"]["amount"] == "60000"
    assert CheckoutShippingChoice.objects.get().shipping_method == express
    with db_unchanged():
        for method, code in (
            (inactive, "NOT_FOUND"),
            (font_only_method, "SHIPPING_METHOD_NOT_APPLICABLE"),
            (outsider_method, "SHIPPING_METHOD_NOT_APPLICABLE"),
            (pending_method, "NOT_FOUND"),
        ):
            result = gql(
                METHOD_UPDATE, {"token": token, "input": {"shippingMethodId": gid("ShippingMethod", method.pk)}}
            )
            assert result["data"]["checkoutShippingMethodUpdate"]["errors"][0]["code"] == code
            # a designer who is not selling is not named (the approved outsider is public)
            assert "Chưa duyệt" not in repr(result)
        garbage = gql(METHOD_UPDATE, {"token": token, "input": {"shippingMethodId": "xyz"}})
        assert garbage["data"]["checkoutShippingMethodUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    # removing the designer's physical items drops its shipping choice
    buyer.update(token, [(goods.scarf, 0)])
    assert not CheckoutShippingChoice.objects.exists()
    assert buyer.checkout(token)["requiresShipping"] is False


def test_free_shipping_starts_exactly_at_the_threshold(gql, goods):
    free_from_300k = make_shipping_method(goods.linh, price=30000, free_above=300000)
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1)])["checkout"]["token"]
    buyer.ship(token, free_from_300k)
    assert buyer.checkout(token)["shippingPrice"]["amount"] == "30000"  # 150,000 < 300,000
    buyer.update(token, [(goods.scarf, 2)])
    checkout = buyer.checkout(token)
    assert checkout["shippingPrice"]["amount"] == "0" and checkout["total"]["amount"] == "300000"
    offered = {m["id"]: m for m in checkout["parts"][0]["availableShippingMethods"]}
    assert offered[gid("ShippingMethod", free_from_300k.pk)]["freeAbove"] == {"amount": "300000", "currency": "VND"}
    assert offered[gid("ShippingMethod", goods.linh_ship.pk)]["freeAbove"] is None


def test_checkout_create_with_address_and_language(gql, goods):
    result = gql(
        CHECKOUT_CREATE,
        {
            "input": {
                "email": "an@example.com",
                "lines": [line_input(goods.scarf, 1)],
                "shippingAddress": {
                    "recipientName": "An",
                    "phone": "+84 24 3826 1234",
                    "streetAddress": "1 Tràng Tiền",
                    "ward": "Phường Hoàn Kiếm",
                    "province": "Hà Nội",
                },
            }
        },
        headers={"Accept-Language": "en"},
    )["data"]["checkoutCreate"]
    assert result["errors"] == []
    checkout = Checkout.objects.get()
    assert checkout.language == "en" and checkout.shipping_address["phone"] == "02438261234"
    assert CheckoutLine.objects.count() == 1
