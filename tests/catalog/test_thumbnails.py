"""Thumbnails are made by a real Celery worker (Redis) after the upload commits."""
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from designers import services as designer_services
from designers.models import PortfolioImage
from shop.catalog.models import ProductMedia
from shop.core.tasks import make_thumbnails
from tests.catalog.helpers import gid, product
from tests.conftest import GraphQLClient, load_operation, make_designer, wait_for
from tests.media import image_bytes, multipart

MEDIA_CREATE = load_operation("designer/ProductMediaCreate.graphql")
BY_SLUG = load_operation("storefront/ProductBySlug.graphql")


@pytest.mark.worker
def test_worker_makes_webp_thumbnails_and_the_api_serves_the_nearest(celery_worker, media_storage):
    designer = make_designer()
    item = product(designer, name="Gốm Bát Tràng men rạn")
    result = multipart(
        MEDIA_CREATE, {"productId": gid(item), "alt": "Bình gốm"},
        {"variables.image": ("binh.jpg", image_bytes("JPEG", size=(1600, 1200)), "image/jpeg")}, user=designer.user,
    )["data"]["productMediaCreate"]
    assert result["errors"] == []
    media = ProductMedia.objects.get()
    ready = wait_for(lambda: ProductMedia.objects.get(pk=media.pk).thumbnails if len(
        ProductMedia.objects.get(pk=media.pk).thumbnails) == 3 else None)
    assert set(ready) == {"256", "512", "1024"}
    for size, name in ready.items():
        assert name.startswith("products/thumbs/") and name.endswith(".webp")
        with default_storage.open(name) as handle:
            thumb = Image.open(io.BytesIO(handle.read()))
        assert thumb.format == "WEBP" and max(thumb.size) == int(size)

    gql = GraphQLClient()
    page = gql(BY_SLUG, {"slug": item.slug})["data"]["product"]
    node = page["media"]["edges"][0]["node"]
    assert node["thumbnail"].endswith(ready["1024"])  # asked for 1024
    nearest = gql(
        "query($slug: String!){ product(slug: $slug) { thumbnail(size: 300) small: thumbnail(size: 64) huge: thumbnail(size: 5000) } }",
        {"slug": item.slug},
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
    item = designer_services.create_portfolio_item(actor=designer.user, title="Poster Tết")
    image = designer_services.add_portfolio_image(
        actor=designer.user, item_id=item.pk, image=SimpleUploadedFile("p.png", image_bytes("PNG", size=(300, 200)), "image/png")
    )
    ready = wait_for(lambda: PortfolioImage.objects.get(pk=image.pk).thumbnails if len(
        PortfolioImage.objects.get(pk=image.pk).thumbnails) == 3 else None)
    # a small original is never enlarged
    for name in ready.values():
        with default_storage.open(name) as handle:
            assert max(Image.open(io.BytesIO(handle.read())).size) <= 300


def test_thumbnail_task_on_a_deleted_image_does_nothing(db, media_storage):
    designer = make_designer()
    item = product(designer)
    from shop.catalog import services

    media = services.add_product_media(
        actor=designer.user, product_id=item.pk, image=SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")
    )
    pk = media.pk
    media.delete()
    assert make_thumbnails.apply(args=["catalog.ProductMedia", pk]).get() == []
    assert not list(media_storage["media"].rglob("*.webp"))
    with pytest.raises(ValueError):
        make_thumbnails.apply(args=["accounts.User", 1]).get()
