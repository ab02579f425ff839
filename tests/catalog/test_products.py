"""Designers manage their products and variants through the designer operations."""

from decimal import Decimal

import pytest
from django.core.files.storage import storages
from graphql_relay import to_global_id

from shop.catalog.models import Product, ProductStatus, ProductVariant
from shop.catalog.selectors.listing import product_list
from shop.catalog.services.categories import create_category
from shop.catalog.services.products import moderate_product
from shop.catalog.services.variants import create_variant
from tests.catalog.helpers import gid
from tests.factories import make_designer, make_user, product
from tests.media import image_bytes, multipart, otf_bytes, pdf_bytes, ttf_bytes, zip_bytes
from tests.support import load_operation

CREATE = load_operation("designer/ProductCreate.graphql")
UPDATE = load_operation("designer/ProductUpdate.graphql")
DELETE = load_operation("designer/ProductDelete.graphql")
PUBLISH = load_operation("designer/ProductPublish.graphql")
UNPUBLISH = load_operation("designer/ProductUnpublish.graphql")
ARCHIVE = load_operation("designer/ProductArchive.graphql")
VARIANT_CREATE = load_operation("designer/ProductVariantCreate.graphql")
VARIANT_UPDATE = load_operation("designer/ProductVariantUpdate.graphql")
VARIANT_DELETE = load_operation("designer/ProductVariantDelete.graphql")
MY_PRODUCTS = load_operation("designer/MyProducts.graphql")
BY_SLUG = load_operation("storefront/ProductBySlug.graphql")


def create(gql, user, **input):
    data = {"name": "Áo dài lụa Hà Đông", **input}
    return gql(CREATE, {"input": data}, user=user)["data"]["productCreate"]


def add_variant(gql, user, product_id, **input):
    data = {"sku": "AD-01", "price": "1500000", "stockQuantity": 3, **input}
    return gql(VARIANT_CREATE, {"productId": product_id, "input": data}, user=user)["data"]["productVariantCreate"]


def test_designer_lists_a_product_with_two_variants_and_publishes_it(gql):
    designer = make_designer(display_name="Trần Thùy Linh")
    created = create(
        gql, designer.user, description="<p>Lụa tơ tằm <strong>Vạn Phúc</strong></p>", tags=["Lụa", "áo dài", "lụa"]
    )
    assert created["errors"] == []
    product_data = created["product"]
    assert product_data["slug"] == "ao-dai-lua-ha-dong"
    assert product_data["status"] == "DRAFT" and product_data["productType"] == "PHYSICAL"
    assert product_data["tags"] == ["lụa", "áo dài"]
    pid = product_data["id"]

    first = add_variant(
        gql,
        designer.user,
        pid,
        sku="AD-S",
        name="Size S",
        price="1500000",
        attributes=[{"name": "Kích cỡ", "value": "S"}, {"name": "Màu", "value": "Đỏ"}],
    )
    assert first["errors"] == []
    assert first["productVariant"]["price"] == {"amount": "1500000", "currency": "VND"}
    assert first["productVariant"]["attributes"] == [{"name": "Kích cỡ", "value": "S"}, {"name": "Màu", "value": "Đỏ"}]
    assert first["productVariant"]["stockQuantity"] == 3 and first["productVariant"]["inStock"] is True
    second = add_variant(gql, designer.user, pid, sku="AD-M", name="Size M", price="1350000", stockQuantity=0)
    assert second["product"]["minPrice"] == {"amount": "1350000", "currency": "VND"}
    assert second["productVariant"]["inStock"] is False

    # a draft is invisible to the public but visible to its designer
    assert gql(BY_SLUG, {"slug": "ao-dai-lua-ha-dong"})["data"]["product"] is None
    assert (
        gql(BY_SLUG, {"slug": "ao-dai-lua-ha-dong"}, user=designer.user)["data"]["product"]["name"]
        == "Áo dài lụa Hà Đông"
    )

    published = gql(PUBLISH, {"id": pid}, user=designer.user)["data"]["productPublish"]
    assert published["errors"] == [] and published["product"]["status"] == "PUBLISHED"
    assert published["product"]["publishedAt"]
    public = gql(BY_SLUG, {"slug": "ao-dai-lua-ha-dong"})["data"]["product"]
    assert public["variants"]["totalCount"] == 2
    assert [e["node"]["sku"] for e in public["variants"]["edges"]] == ["AD-S", "AD-M"]
    assert public["description"] == "<p>Lụa tơ tằm <strong>Vạn Phúc</strong></p>"
    assert public["designer"]["displayName"] == "Trần Thùy Linh"


def test_description_is_sanitised_on_input(gql):
    designer = make_designer()
    hostile = (
        '<p onclick="steal()">Gốm <b>men rạn</b><script>alert(1)</script></p>'
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a><a href="https://gom.vn">shop</a>'
        "<style>body{display:none}</style><iframe src=https://evil.example></iframe>"
    )
    result = create(gql, designer.user, name="Gốm Bát Tràng", description=hostile)
    stored = Product.objects.get(slug="gom-bat-trang").description
    assert result["product"]["description"] == stored
    for bad in ("script", "onclick", "onerror", "<img", "javascript:", "style", "iframe", "alert"):
        assert bad not in stored
    assert "<b>men rạn</b>" in stored
    assert '<a href="https://gom.vn" rel="noopener noreferrer nofollow ugc">shop</a>' in stored


@pytest.mark.parametrize(
    "input, field, code",
    [
        ({"name": ""}, "name", "REQUIRED"),
        ({"name": "   "}, "name", "REQUIRED"),
        ({"name": "x" * 201}, "name", "INVALID"),
        ({"slug": "Not a slug"}, "slug", "INVALID"),
        ({"description": "x" * 20_001}, "description", "INVALID"),
        ({"tags": ["x" * 41]}, "tags", "INVALID"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags", "INVALID"),
        ({"currency": "XYZ"}, "currency", "INVALID"),
        ({"category": to_global_id("Category", 999999)}, "category", "NOT_FOUND"),
        ({"category": "garbage"}, "category", "NOT_FOUND"),
        ({"designer": to_global_id("Designer", 999999)}, "designer", "NOT_FOUND"),
    ],
)
def test_bad_product_input_writes_nothing(gql, db_unchanged, input, field, code):
    designer = make_designer()
    with db_unchanged():
        result = create(gql, designer.user, **input)
    assert result["product"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)


def test_slugs_are_unique_and_explicit_duplicates_refused(gql, db_unchanged):
    designer = make_designer()
    assert create(gql, designer.user)["product"]["slug"] == "ao-dai-lua-ha-dong"
    assert create(gql, designer.user)["product"]["slug"] == "ao-dai-lua-ha-dong-2"
    with db_unchanged():
        taken = create(gql, designer.user, name="Khác", slug="ao-dai-lua-ha-dong")
    assert taken["errors"][0]["code"] == "UNIQUE"


def test_update_changes_only_what_is_given(gql, staff):
    designer = make_designer()
    category = create_category(actor=staff, name="Thời trang")
    item = product(designer, tags=["lụa"], category=category)
    result = gql(UPDATE, {"id": gid(item), "input": {"name": "Áo dài gấm"}}, user=designer.user)["data"][
        "productUpdate"
    ]
    assert result["errors"] == []
    assert result["product"]["name"] == "Áo dài gấm"
    assert result["product"]["slug"] == item.slug  # stable URL
    assert result["product"]["tags"] == ["lụa"] and result["product"]["category"]["slug"] == "thoi-trang"
    cleared = gql(UPDATE, {"id": gid(item), "input": {"category": None, "slug": "ao-dai-gam"}}, user=designer.user)[
        "data"
    ]["productUpdate"]
    assert cleared["product"]["category"] is None and cleared["product"]["slug"] == "ao-dai-gam"
    # the search document follows the name
    assert [p.slug for p in product_list(None, search="ao dai gam")] == ["ao-dai-gam"]


def test_product_type_and_currency_are_locked_once_variants_exist(gql, db_unchanged):
    designer = make_designer()
    item = product(designer, publish=False)
    with db_unchanged():
        kind = gql(UPDATE, {"id": gid(item), "input": {"productType": "DIGITAL"}}, user=designer.user)["data"][
            "productUpdate"
        ]
        currency = gql(UPDATE, {"id": gid(item), "input": {"currency": "USD"}}, user=designer.user)["data"][
            "productUpdate"
        ]
    assert kind["errors"][0]["field"] == "productType" and currency["errors"][0]["field"] == "currency"


def test_publish_needs_an_approved_designer_and_a_variant(gql, db_unchanged):
    pending = make_designer(status="PENDING")
    draft = create(gql, pending.user)["product"]
    assert add_variant(gql, pending.user, draft["id"])["errors"] == []
    with db_unchanged():
        refused = gql(PUBLISH, {"id": draft["id"]}, user=pending.user)["data"]["productPublish"]
    assert refused["errors"][0]["code"] == "NOT_APPROVED"

    approved = make_designer(display_name="Lê Quang Minh")
    empty = create(gql, approved.user, name="Bình gốm")["product"]
    with db_unchanged():
        no_variants = gql(PUBLISH, {"id": empty["id"]}, user=approved.user)["data"]["productPublish"]
    assert no_variants["errors"][0]["code"] == "NO_VARIANTS"


def test_unpublish_archive_and_publish_again(gql):
    designer = make_designer()
    item = product(designer)
    down = gql(UNPUBLISH, {"id": gid(item)}, user=designer.user)["data"]["productUnpublish"]
    assert down["product"]["status"] == "DRAFT"
    assert gql(BY_SLUG, {"slug": item.slug})["data"]["product"] is None
    archived = gql(ARCHIVE, {"id": gid(item)}, user=designer.user)["data"]["productArchive"]
    assert archived["product"]["status"] == "ARCHIVED"
    again = gql(PUBLISH, {"id": gid(item)}, user=designer.user)["data"]["productPublish"]
    assert again["product"]["status"] == "PUBLISHED"
    assert gql(BY_SLUG, {"slug": item.slug})["data"]["product"]["slug"] == item.slug


@pytest.mark.parametrize(
    "input, field, code",
    [
        ({"sku": ""}, "sku", "REQUIRED"),
        ({"sku": "has space"}, "sku", "INVALID"),
        ({"sku": "x" * 65}, "sku", "INVALID"),
        ({"price": "-1"}, "price", "INVALID"),
        ({"price": "150000.5"}, "price", "INVALID"),  # VND has no decimals
        ({"price": "1e20"}, "price", "INVALID"),
        ({"stockQuantity": -1}, "stockQuantity", "INVALID"),
        ({"stockQuantity": 10**7}, "stockQuantity", "INVALID"),
        ({"attributes": [{"name": "Màu", "value": ""}]}, "attributes", "REQUIRED"),
        ({"attributes": [{"name": "Màu", "value": "Đỏ"}, {"name": "màu", "value": "Xanh"}]}, "attributes", "INVALID"),
        ({"attributes": [{"name": "x" * 51, "value": "1"}]}, "attributes", "INVALID"),
        ({"attributes": [{"name": f"a{i}", "value": "1"} for i in range(21)]}, "attributes", "INVALID"),
        ({"name": "x" * 101}, "name", "INVALID"),
    ],
)
def test_bad_variant_input_writes_nothing(gql, db_unchanged, input, field, code):
    designer = make_designer()
    item = product(designer, publish=False, variants=0)
    with db_unchanged():
        result = add_variant(gql, designer.user, gid(item), **input)
    assert result["productVariant"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)


def test_sku_is_unique_per_designer_not_globally(gql, db_unchanged):
    designer = make_designer()
    item = product(designer, publish=False, variants=0)
    assert add_variant(gql, designer.user, gid(item), sku="SKU-1")["errors"] == []
    other_product = product(designer, name="Khăn lụa", publish=False, variants=0)
    with db_unchanged():
        duplicate = add_variant(gql, designer.user, gid(other_product), sku="SKU-1")
    assert duplicate["errors"][0]["code"] == "UNIQUE" and duplicate["errors"][0]["field"] == "sku"
    someone_else = make_designer(display_name="Lê Quang Minh")
    theirs = product(someone_else, publish=False, variants=0)
    assert add_variant(gql, someone_else.user, gid(theirs), sku="SKU-1")["errors"] == []


def test_usd_prices_keep_cents_exactly(gql):
    designer = make_designer()
    item = create(gql, designer.user, name="Poster", currency="USD")["product"]
    result = add_variant(gql, designer.user, item["id"], price="12.50")
    assert result["productVariant"]["price"] == {"amount": "12.50", "currency": "USD"}
    bad = add_variant(gql, designer.user, item["id"], sku="X2", price="12.505")
    assert bad["errors"][0]["code"] == "INVALID"


def test_variant_update_and_delete_keep_min_price(gql, db_unchanged):
    designer = make_designer()
    item = product(designer, variants=2, price=500_000)  # 500000 and 600000
    variants = list(item.variants.order_by("position"))
    updated = gql(
        VARIANT_UPDATE, {"id": gid(variants[1]), "input": {"price": "450000", "stockQuantity": 7}}, user=designer.user
    )
    updated = updated["data"]["productVariantUpdate"]
    assert updated["errors"] == [] and updated["productVariant"]["stockQuantity"] == 7
    assert updated["product"]["minPrice"]["amount"] == "450000"
    deleted = gql(VARIANT_DELETE, {"id": gid(variants[1])}, user=designer.user)["data"]["productVariantDelete"]
    assert deleted["errors"] == [] and deleted["product"]["minPrice"]["amount"] == "500000"
    # the last variant of a published product stays
    with db_unchanged():
        last = gql(VARIANT_DELETE, {"id": gid(variants[0])}, user=designer.user)["data"]["productVariantDelete"]
    assert last["errors"][0]["code"] == "LAST_VARIANT"


def test_digital_variant_stores_a_private_file_and_never_a_url(gql, media_storage):
    designer = make_designer(display_name="Nguyễn Thị Hà")
    item = create(gql, designer.user, name="Font Hà Nội Sans", productType="DIGITAL")["product"]
    result = multipart(
        VARIANT_CREATE,
        {"productId": item["id"], "input": {"sku": "FONT-STD", "price": "350000", "name": "Giấy phép cá nhân"}},
        {"variables.input.digitalFile": ("../../etc/HaNoiSans.otf", otf_bytes(), "application/octet-stream")},
        user=designer.user,
    )["data"]["productVariantCreate"]
    assert result["errors"] == []
    digital = result["productVariant"]["digitalFile"]
    assert digital == {"name": "HaNoiSans.otf", "size": len(otf_bytes()), "contentType": "font/otf"}
    assert result["productVariant"]["stockQuantity"] is None and result["productVariant"]["inStock"] is True
    variant = ProductVariant.objects.get(sku="FONT-STD")
    stored = variant.digital_file.name
    assert stored.startswith("digital/") and stored.endswith(".otf") and "HaNoiSans" not in stored
    assert storages["private"].exists(stored)
    assert (media_storage["private"] / stored).read_bytes() == otf_bytes()
    assert not (media_storage["media"] / stored).exists()
    # the public never sees the file, not even its name; no URL is exposed anywhere
    gql(PUBLISH, {"id": item["id"]}, user=designer.user)
    public = gql(
        "query($slug: String!){ product(slug: $slug) { variants(first: 10) { edges { node { digitalFile { name } inStock } } } } }",
        {"slug": "font-ha-noi-sans"},
    )
    assert public["data"]["product"]["variants"]["edges"][0]["node"] == {"digitalFile": None, "inStock": True}
    # replacing the file removes the old one after commit
    replaced = multipart(
        VARIANT_UPDATE,
        {"id": gid(variant), "input": {}},
        {"variables.input.digitalFile": ("poster.zip", zip_bytes(), "application/zip")},
        user=designer.user,
    )["data"]["productVariantUpdate"]
    assert replaced["productVariant"]["digitalFile"]["contentType"] == "application/zip"


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("font.exe", b"MZ\x90\x00" + b"\x00" * 100, "UNSUPPORTED_FILE_TYPE"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "UNSUPPORTED_FILE_TYPE"),  # the name lies
        ("empty.pdf", b"", "UNSUPPORTED_FILE_TYPE"),
        ("shell.zip", b"#!/bin/sh\nrm -rf /\n", "UNSUPPORTED_FILE_TYPE"),
        ("lucky.ttf", b"\x00\x01\x00\x00" + b"\xff" * 60, "UNSUPPORTED_FILE_TYPE"),  # four right bytes are not a font
        ("anim.gif", b"GIF89a" + b"\x00" * 60, "UNSUPPORTED_FILE_TYPE"),
    ],
)
def test_digital_files_are_sniffed_from_their_content(gql, db_unchanged, media_storage, name, content, code):
    designer = make_designer()
    item = product(designer, product_type="DIGITAL", publish=False, variants=0)
    with db_unchanged():
        result = multipart(
            VARIANT_CREATE,
            {"productId": gid(item), "input": {"sku": "D-1", "price": "100000"}},
            {"variables.input.digitalFile": (name, content, "application/pdf")},
            user=designer.user,
        )["data"]["productVariantCreate"]
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == ("digitalFile", code)
    assert not any(media_storage["private"].rglob("*.*"))


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("poster.pdf", pdf_bytes(), "application/pdf"),
        ("bundle.zip", zip_bytes(), "application/zip"),
        ("art.png", image_bytes("PNG"), "image/png"),
        ("art.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("art.webp", image_bytes("WEBP"), "image/webp"),
        ("font.ttf", ttf_bytes(), "font/ttf"),
        ("font.otf", otf_bytes(), "font/otf"),
        ("font.woff", b"wOFF\x00\x01\x00\x00" + b"\x00" * 40, "font/woff"),
        ("font.woff2", b"wOF2\x00\x01\x00\x00" + b"\x00" * 40, "font/woff2"),
    ],
)
def test_each_allowed_kind_of_digital_file(gql, media_storage, name, content, content_type):
    designer = make_designer()
    item = product(designer, product_type="DIGITAL", publish=False, variants=0)
    result = multipart(
        VARIANT_CREATE,
        {"productId": gid(item), "input": {"sku": "D-1", "price": "100000"}},
        {"variables.input.digitalFile": (name, content, "application/octet-stream")},
        user=designer.user,
    )["data"]["productVariantCreate"]
    assert result["errors"] == []
    assert result["productVariant"]["digitalFile"] == {"name": name, "size": len(content), "contentType": content_type}
    stored = ProductVariant.objects.get(sku="D-1").digital_file.name
    assert stored.endswith("." + name.rsplit(".", 1)[1])
    assert (media_storage["private"] / stored).read_bytes() == content


def test_digital_file_size_limit(gql, db_unchanged, media_storage, settings):
    settings.DIGITAL_FILE_MAX_BYTES = 50 * 1024 * 1024
    designer = make_designer()
    item = product(designer, product_type="DIGITAL", publish=False, variants=0)
    big = pdf_bytes() + b"\x00" * (50 * 1024 * 1024)
    with db_unchanged():
        result = multipart(
            VARIANT_CREATE,
            {"productId": gid(item), "input": {"sku": "D-1", "price": "100000"}},
            {"variables.input.digitalFile": ("big.pdf", big, "application/pdf")},
            user=designer.user,
        )["data"]["productVariantCreate"]
    assert result["errors"][0]["code"] == "FILE_TOO_LARGE"
    assert not any(media_storage["private"].rglob("*.*"))


def test_digital_rules(gql, db_unchanged):
    designer = make_designer()
    digital = product(designer, product_type="DIGITAL", publish=False, variants=0)
    physical = product(designer, name="Khăn", publish=False, variants=0)
    with db_unchanged():
        no_file = add_variant(gql, designer.user, gid(digital), stockQuantity=None)
        stock = multipart(
            VARIANT_CREATE,
            {"productId": gid(digital), "input": {"sku": "D", "price": "1", "stockQuantity": 5}},
            {"variables.input.digitalFile": ("a.pdf", pdf_bytes(), "application/pdf")},
            user=designer.user,
        )["data"]["productVariantCreate"]
        file_on_physical = multipart(
            VARIANT_CREATE,
            {"productId": gid(physical), "input": {"sku": "P", "price": "1"}},
            {"variables.input.digitalFile": ("a.pdf", pdf_bytes(), "application/pdf")},
            user=designer.user,
        )["data"]["productVariantCreate"]
    assert (no_file["errors"][0]["field"], no_file["errors"][0]["code"]) == ("digitalFile", "REQUIRED")
    assert stock["errors"][0]["field"] == "stockQuantity"
    assert file_on_physical["errors"][0]["field"] == "digitalFile"


def test_my_products_lists_every_status_to_the_owner_only(gql, staff):
    designer = make_designer()
    published = product(designer, name="Đã bán")
    draft = product(designer, name="Bản nháp", publish=False)
    hidden = product(designer, name="Bị ẩn")
    moderate_product(actor=staff, product_id=hidden.pk, hidden=True, reason="Ảnh không rõ")
    mine = gql(MY_PRODUCTS, {"sortBy": {"field": "NAME"}}, user=designer.user)["data"]["myDesigner"]["products"]
    rows = {e["node"]["name"]: e["node"] for e in mine["edges"]}
    assert mine["totalCount"] == 3 and set(rows) == {"Đã bán", "Bản nháp", "Bị ẩn"}
    assert [e["node"]["name"] for e in mine["edges"]] == ["Bản nháp", "Bị ẩn", "Đã bán"]  # accents ignored
    assert rows["Bị ẩn"]["isHidden"] is True and rows["Bị ẩn"]["hiddenReason"] == "Ảnh không rõ"
    assert rows["Bản nháp"]["status"] == "DRAFT"
    drafts = gql(MY_PRODUCTS, {"filter": {"status": ["DRAFT"]}}, user=designer.user)["data"]["myDesigner"]["products"]
    assert [e["node"]["name"] for e in drafts["edges"]] == ["Bản nháp"]
    # the public page of the same designer shows the published one only, without moderation fields
    page = gql(
        "query($slug: String!){ designer(slug: $slug) { products(first: 10) { totalCount edges { node { name isHidden hiddenReason } } } } }",
        {"slug": designer.slug},
        user=make_user(),
    )["data"]["designer"]["products"]
    assert page["totalCount"] == 1 and page["edges"][0]["node"] == {
        "name": "Đã bán",
        "isHidden": None,
        "hiddenReason": None,
    }
    denied = gql(
        "query($slug: String!){ designer(slug: $slug) { products(first: 10, filter: {status: [DRAFT]}) { totalCount } } }",
        {"slug": designer.slug},
        user=make_user(),
    )
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert published.pk and draft.pk


def test_delete_product_removes_files_after_commit(gql, media_storage, django_capture_on_commit_callbacks):
    designer = make_designer()
    item = product(designer, product_type="DIGITAL", name="Poster Hồ Gươm")
    file_name = item.variants.get().digital_file.name
    assert (media_storage["private"] / file_name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = gql(DELETE, {"id": gid(item)}, user=designer.user)["data"]["productDelete"]
    assert result["errors"] == [] and result["product"]["slug"] == "poster-ho-guom"
    assert not Product.objects.filter(pk=item.pk).exists()
    assert not (media_storage["private"] / file_name).exists()


def test_products_with_orders_cannot_be_deleted(gql, db_unchanged):
    from shop.orders.models import Order, OrderLine, Purchase

    designer = make_designer()
    item = product(designer)
    variant = item.variants.get()
    purchase = Purchase.objects.create(email="b@example.com", total_amount=Decimal("1500000"), gateway="dummy")
    order = Order.objects.create(
        purchase=purchase,
        designer=designer,
        number="RM-1",
        subtotal_amount=Decimal("1500000"),
        total_amount=Decimal("1500000"),
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        product_name=item.name,
        sku=variant.sku,
        product_type="PHYSICAL",
        unit_price_amount=variant.price_amount,
        quantity=1,
        total_amount=variant.price_amount,
    )
    with db_unchanged():
        product_result = gql(DELETE, {"id": gid(item)}, user=designer.user)["data"]["productDelete"]
        variant_result = gql(VARIANT_DELETE, {"id": gid(variant)}, user=designer.user)["data"]["productVariantDelete"]
    assert product_result["errors"][0]["code"] == "HAS_ORDERS"
    assert variant_result["errors"][0]["code"] == "HAS_ORDERS"
    assert (
        gql(ARCHIVE, {"id": gid(item)}, user=designer.user)["data"]["productArchive"]["product"]["status"]
        == ProductStatus.ARCHIVED
    )


def test_roles(gql, db_unchanged):
    """Anonymous callers and buyers without a designer profile are refused at the top level."""
    item = product()
    buyer = make_user()
    with db_unchanged():
        for user in (None, buyer):
            for op, name, variables in (
                (CREATE, "productCreate", {"input": {"name": "X"}}),
                (UPDATE, "productUpdate", {"id": gid(item), "input": {"name": "X"}}),
                (UPDATE, "productUpdate", {"id": "garbage", "input": {"name": "X"}}),
                (PUBLISH, "productPublish", {"id": gid(item)}),
                (VARIANT_CREATE, "productVariantCreate", {"productId": gid(item), "input": {"sku": "X", "price": "1"}}),
            ):
                result = gql(op, variables, user=user)
                assert result["data"][name] is None
                assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert image_bytes()  # the helper module is importable for the media tests


def test_a_product_has_at_most_100_variants(gql, db_unchanged):
    designer = make_designer()
    item = product(designer, publish=False, variants=0)
    for n in range(100):
        create_variant(actor=designer.user, product_id=item.pk, sku=f"V-{n}", price=1000, stock_quantity=1)
    with db_unchanged():
        result = add_variant(gql, designer.user, gid(item), sku="V-100")
    assert result["errors"][0]["code"] == "LIMIT_REACHED"
