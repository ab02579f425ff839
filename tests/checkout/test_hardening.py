"""Regression tests of the outside review (issue 13) for the checkout; each is named after its
finding (SECURITY.md, "Reviewed and fixed")."""

import json

import pytest

from designers.services.profiles import suspend_designer
from shop.catalog.services.products import unpublish_product, update_product
from shop.catalog.services.variants import update_variant
from tests.commerce import Buyer
from tests.factories import make_user

DEEP = """query Deep($token: UUID!) { checkout(token: $token) {
  lines { productName productSlug variantName sku unitPrice { amount } totalPrice { amount }
    problems { code message }
    variant { name sku price { amount } product { name slug description variants(first: 10) { edges { node { name sku } } } } }
    designer { displayName slug } }
  parts { designer { displayName } lines { productName } }
  problems { code message } } }"""


@pytest.mark.parametrize("change", ["unpublished and renamed", "designer suspended"])
def test_finding_07_draft_content_never_leaks_through_a_cart_line(gql, goods, staff, change):
    buyer = Buyer(gql)
    token = buyer.create([(goods.scarf, 1)])["checkout"]["token"]
    product = goods.scarf.product
    designer = goods.linh
    owner = designer.user
    slug = product.slug
    update_product(
        actor=owner,
        product_id=product.pk,
        name="Bộ sưu tập bí mật",
        slug="bo-suu-tap-bi-mat",
        description="<p>Bí mật</p>",
    )
    update_variant(actor=owner, variant_id=goods.scarf.pk, name="Mẫu mới", sku="SECRET-1", price="990000")
    if change == "unpublished and renamed":
        unpublish_product(actor=owner, product_id=product.pk)
    else:
        suspend_designer(designer_id=designer.pk, actor=staff, reason="Tạm ngưng")

    result = gql(DEEP, {"token": token})
    text = json.dumps(result, ensure_ascii=False)
    assert "errors" not in result, text
    for secret in ("bí mật", "Bí mật", "bo-suu-tap-bi-mat", "Mẫu mới", "SECRET-1", "990000"):
        assert secret not in text, (secret, text)
    [line] = result["data"]["checkout"]["lines"]
    # the buyer keeps the line as it was when added (its snapshot), and is told why it cannot be bought
    assert (line["productName"], line["productSlug"], line["unitPrice"]["amount"]) == ("Khăn lụa", slug, "150000")
    assert line["variant"] is None
    assert [p["code"] for p in line["problems"]] == ["PRODUCT_UNAVAILABLE"] and "Khăn lụa" in line["problems"][0][
        "message"
    ]
    if change == "designer suspended":
        assert line["designer"] is None and result["data"]["checkout"]["parts"][0]["designer"] is None
    # the designer who owns the product (or staff) sees it as it is now
    own = gql(DEEP, {"token": token}, user=make_user(staff=True))
    assert "errors" not in own and "Bộ sưu tập bí mật" in json.dumps(own, ensure_ascii=False)
