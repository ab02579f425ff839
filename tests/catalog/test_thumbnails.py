"""Thumbnails are made by a real Celery worker (Redis) after the upload commits."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from designers.models import PortfolioImage
from designers.services.portfolio import add_portfolio_image, create_portfolio_item
from shop.catalog.models import ProductMedia
from shop.catalog.services.media import add_product_media
from shop.core.tasks import make_thumbnails
from tests.factories import make_designer, product
from tests.media import image_bytes, multipart
from tests.support import GraphQLClient, load_operation, wait_for

MEDIA_CREATE = load_operation("designer/ProductMediaCreate.graphql")
BY_SLUG = load_operation("storefront/ProductBySlug.graphql")


@pytest.mark.worker
def test_a_designer_lists_a_product_and_a_buyer_finds_it_with_thumbnails(celery_worker, media_storage):
    """The issue's walk-through over HTTP: create a product, two variants, upload a photo
    (multipart), publish; a buyer searches without diacritics; a real worker makes the thumbnails."""
    gql = GraphQLClient()
    designer = make_designer(display_name="Trần Thùy Linh")
    created = gql(
        load_operation("designer/ProductCreate.graphql"),
        {"input": {"name": "Áo dài lụa Hà Đông", "description": "<p>Lụa Vạn Phúc</p>"}},
        user=designer.user,
    )
    product_id = created["data"]["productCreate"]["product"]["id"]
    for sku, size, price in (("AD-S", "S", "2400000"), ("AD-M", "M", "2500000")):
        variant = gql(
            load_operation("designer/ProductVariantCreate.graphql"),
            {
                "productId": product_id,
                "input": {
                    "sku": sku,
                    "price": price,
                    "stockQuantity": 2,
                    "attributes": [{"name": "Kích cỡ", "value": size}],
                },
            },
            user=designer.user,
        )["data"]["productVariantCreate"]
        assert variant["errors"] == []
    upload = multipart(
        MEDIA_CREATE,
        {"productId": product_id, "alt": "Áo dài đỏ"},
        {"variables.image": ("ao-dai.jpg", image_bytes("JPEG", size=(1600, 1200)), "image/jpeg")},
        user=designer.user,
    )["data"]["productMediaCreate"]
    assert upload["errors"] == []
    original = upload["media"]["url"]
    published = gql(load_operation("designer/ProductPublish.graphql"), {"id": product_id}, user=designer.user)
    assert published["data"]["productPublish"]["errors"] == []

    media = ProductMedia.objects.get()
    ready = wait_for(
        lambda: (
            ProductMedia.objects.get(pk=media.pk).thumbnails
            if len(ProductMedia.objects.get(pk=media.pk).thumbnails) == 3
            else None
        )
    )
    assert set(ready) == {"256", "512", "1024"}
    for size, name in ready.items():
        assert name.startswith("products/thumbs/") and name.endswith(".webp")
        with default_storage.open(name) as handle:
            thumb = Image.open(io.BytesIO(handle.read()))
        assert thumb.format == "WEBP" and max(thumb.size) == int(size)

    found = gql(load_operation("storefront/ProductSearch.graphql"), {"search": "ao dai lua"})["data"]["products"]
    assert found["totalCount"] == 1
    hit = found["edges"][0]["node"]
    assert hit["name"] == "Áo dài lụa Hà Đông" and hit["minPrice"] == {"amount": "2400000", "currency": "VND"}
    assert hit["thumbnail"].endswith(ready["256"]) and hit["thumbnail"] != original

    page = gql(BY_SLUG, {"slug": "ao-dai-lua-ha-dong"})["data"]["product"]
    node = page["media"]["edges"][0]["node"]
    assert node["url"] == original and node["thumbnail"].endswith(ready["1024"])  # asked for 1024
    nearest = gql(
        "query($slug: String!){ product(slug: $slug) { thumbnail(size: 300) small: thumbnail(size: 64) huge: thumbnail(size: 5000) } }",
        {"slug": "ao-dai-lua-ha-dong"},
    )["data"]["product"]
    assert nearest["thumbnail"].endswith(ready["512"])
    assert nearest["small"].endswith(ready["256"]) and nearest["huge"].endswith(ready["1024"])

    # idempotent: delivering the task again makes nothing new
    files_before = sorted(p for p in media_storage["media"].rglob("*.webp"))
    assert make_thumbnails.apply(args=["catalog.ProductMedia", media.pk]).get() == []
    assert sorted(p for p in media_storage["media"].rglob("*.webp")) == files_before
    assert ProductMedia.objects.get(pk=media.pk).thumbnails == ready


@pytest.mark.worker
def test_portfolio_images_get_thumbnails_too(celery_worker, media_storage):
    designer = make_designer()
    item = create_portfolio_item(actor=designer.user, title="Poster Tết")
    image = add_portfolio_image(
        actor=designer.user,
        item_id=item.pk,
        image=SimpleUploadedFile("p.png", image_bytes("PNG", size=(300, 200)), "image/png"),
    )
    ready = wait_for(
        lambda: (
            PortfolioImage.objects.get(pk=image.pk).thumbnails
            if len(PortfolioImage.objects.get(pk=image.pk).thumbnails) == 3
            else None
        )
    )
    # a small original is never enlarged
    for name in ready.values():
        with default_storage.open(name) as handle:
            assert max(Image.open(io.BytesIO(handle.read())).size) <= 300


def test_thumbnail_task_on_a_deleted_image_does_nothing(db, media_storage):
    designer = make_designer()
    item = product(designer)

    media = add_product_media(
        actor=designer.user, product_id=item.pk, image=SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")
    )
    pk = media.pk
    media.delete()
    assert make_thumbnails.apply(args=["catalog.ProductMedia", pk]).get() == []
    assert not list(media_storage["media"].rglob("*.webp"))
    with pytest.raises(ValueError):
        make_thumbnails.apply(args=["accounts.User", 1]).get()
