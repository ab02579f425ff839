"""Designer B tries every catalog and portfolio mutation on designer A's objects.

The rule (shop/catalog/services/access.py): services look objects up inside the caller's own scope, so
another designer's object is answered NOT_FOUND — byte for byte the answer for an ID that does not
exist — whether it is published (B could see it) or a draft (B could not). Nothing is written,
nothing is stored, and nothing about A's objects leaks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from graphql_relay import to_global_id

from designers.services.portfolio import add_portfolio_image, create_portfolio_item
from shop.catalog.services.media import add_product_media
from tests.catalog.helpers import gid
from tests.factories import make_designer, product
from tests.media import image_bytes, multipart, pdf_bytes
from tests.support import load_operation

OPS = {
    name: load_operation(f"designer/{name}.graphql")
    for name in (
        "ProductCreate",
        "ProductUpdate",
        "ProductDelete",
        "ProductPublish",
        "ProductUnpublish",
        "ProductArchive",
        "ProductVariantCreate",
        "ProductVariantUpdate",
        "ProductVariantDelete",
        "ProductMediaCreate",
        "ProductMediaReorder",
        "ProductMediaDelete",
        "PortfolioItemCreate",
        "PortfolioItemUpdate",
        "PortfolioItemDelete",
        "PortfolioItemReorder",
        "PortfolioImageCreate",
        "PortfolioImageReorder",
        "PortfolioImageDelete",
    )
}


def first_lower(name):
    return name[0].lower() + name[1:]


@pytest.fixture
def victim(db, media_storage):
    """Designer A with a published physical product, a draft digital one, media and a portfolio."""
    a = make_designer(display_name="Trần Thùy Linh")
    live = product(a, name="Áo dài lụa Hà Đông", variants=2)
    draft = product(a, name="Font chữ bí mật", product_type="DIGITAL", publish=False)
    media = add_product_media(
        actor=a.user, product_id=live.pk, image=SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg"), alt="A"
    )
    item = create_portfolio_item(actor=a.user, title="Bộ sưu tập Thu", product_ids=[live.pk])
    image = add_portfolio_image(
        actor=a.user, item_id=item.pk, image=SimpleUploadedFile("p.png", image_bytes("PNG"), "image/png")
    )
    return {"designer": a, "live": live, "draft": draft, "media": media, "item": item, "image": image}


def attempts(v):
    """(operation, variables, files) for every mutation, aimed at A's objects."""
    live, draft = v["live"], v["draft"]
    variant = live.variants.first()
    digital_variant = draft.variants.first()
    jpeg = {"variables.image": ("x.jpg", image_bytes(), "image/jpeg")}
    yield "ProductCreate", {"input": {"name": "Hàng nhái", "designer": gid(v["designer"])}}, {}
    for target in (live, draft):
        yield "ProductUpdate", {"id": gid(target), "input": {"name": "Bị sửa", "description": "<p>x</p>"}}, {}
        yield "ProductDelete", {"id": gid(target)}, {}
        yield "ProductPublish", {"id": gid(target)}, {}
        yield "ProductUnpublish", {"id": gid(target)}, {}
        yield "ProductArchive", {"id": gid(target)}, {}
        yield "ProductVariantCreate", {"productId": gid(target), "input": {"sku": "HACK", "price": "1"}}, {}
        yield "ProductMediaCreate", {"productId": gid(target)}, jpeg
        yield "ProductMediaReorder", {"productId": gid(target), "mediaIds": [gid(v["media"])]}, {}
    yield "ProductVariantUpdate", {"id": gid(variant), "input": {"price": "1", "stockQuantity": 0}}, {}
    yield (
        "ProductVariantUpdate",
        {"id": gid(digital_variant), "input": {}},
        {"variables.input.digitalFile": ("swap.pdf", pdf_bytes(), "application/pdf")},
    )
    yield "ProductVariantDelete", {"id": gid(variant)}, {}
    yield "ProductMediaDelete", {"id": gid(v["media"])}, {}
    yield "PortfolioItemCreate", {"input": {"title": "Của tôi", "products": [gid(live)]}}, {}
    yield "PortfolioItemCreate", {"input": {"title": "Của tôi", "designer": gid(v["designer"])}}, {}
    yield "PortfolioItemUpdate", {"id": gid(v["item"]), "input": {"title": "Bị sửa"}}, {}
    yield "PortfolioItemDelete", {"id": gid(v["item"])}, {}
    yield "PortfolioItemReorder", {"itemIds": [gid(v["item"])]}, {}
    yield "PortfolioImageCreate", {"itemId": gid(v["item"])}, jpeg
    yield "PortfolioImageReorder", {"itemId": gid(v["item"]), "imageIds": [gid(v["image"])]}, {}
    yield "PortfolioImageDelete", {"id": gid(v["image"])}, {}


def test_designer_b_cannot_touch_anything_of_designer_a(gql, victim, db_unchanged, media_storage):
    b = make_designer(display_name="Kẻ gian")
    b_product = product(b, name="Hàng của B", publish=False)
    files_before = sorted(p for p in media_storage["media"].rglob("*") if p.is_file())
    private_before = sorted(p for p in media_storage["private"].rglob("*") if p.is_file())
    tried = set()
    with db_unchanged():
        for name, variables, files in attempts(victim):
            result = multipart(OPS[name], variables, files, user=b.user)
            payload = result["data"][first_lower(name)]
            assert payload["errors"], (name, variables)
            error = payload["errors"][0]
            assert error["code"] == "NOT_FOUND", (name, error)
            tried.add(name)
    assert tried == set(OPS)
    assert sorted(p for p in media_storage["media"].rglob("*") if p.is_file()) == files_before
    assert sorted(p for p in media_storage["private"].rglob("*") if p.is_file()) == private_before
    assert b_product.pk  # B's own product was there all along, untouched


def test_another_designers_object_is_answered_like_a_missing_one(gql, victim):
    b = make_designer(display_name="Kẻ gian")
    update = OPS["ProductUpdate"]
    for target in (victim["live"], victim["draft"]):
        theirs = gql(update, {"id": gid(target), "input": {"name": "x"}}, user=b.user)["data"]["productUpdate"]
        missing = gql(update, {"id": to_global_id("Product", 10**9), "input": {"name": "x"}}, user=b.user)["data"][
            "productUpdate"
        ]
        assert (
            theirs
            == missing
            == {
                "product": None,
                "errors": [{"field": "id", "code": "NOT_FOUND", "message": missing["errors"][0]["message"]}],
            }
        )
    # and B cannot read A's draft, its variant or A's digital file by ID either
    draft = victim["draft"]
    assert gql("query($id: ID!){ product(id: $id) { id } }", {"id": gid(draft)}, user=b.user)["data"]["product"] is None
    node = gql("query($id: ID!){ node(id: $id) { id } }", {"id": gid(draft.variants.first())}, user=b.user)["data"][
        "node"
    ]
    assert node is None
    files = gql(
        "query($id: ID!){ product(id: $id) { variants(first: 10) { edges { node { digitalFile { name } } } } } }",
        {"id": gid(victim["live"])},
        user=b.user,
    )["data"]["product"]["variants"]["edges"]
    assert all(e["node"]["digitalFile"] is None for e in files)


def test_staff_can_manage_any_designers_catalog(gql, victim, staff):
    result = gql(OPS["ProductUpdate"], {"id": gid(victim["draft"]), "input": {"name": "Sửa bởi staff"}}, user=staff)
    assert result["data"]["productUpdate"]["product"]["name"] == "Sửa bởi staff"
    created = gql(OPS["ProductCreate"], {"input": {"name": "Tạo hộ", "designer": gid(victim["designer"])}}, user=staff)
    assert created["data"]["productCreate"]["errors"] == []
    no_designer = gql(OPS["ProductCreate"], {"input": {"name": "Của ai?"}}, user=staff)["data"]["productCreate"]
    assert no_designer["errors"][0] == {
        "field": "designer",
        "code": "REQUIRED",
        "message": no_designer["errors"][0]["message"],
    }
    item = gql(OPS["PortfolioItemUpdate"], {"id": gid(victim["item"]), "input": {"title": "Đã duyệt"}}, user=staff)
    assert item["data"]["portfolioItemUpdate"]["portfolioItem"]["title"] == "Đã duyệt"
