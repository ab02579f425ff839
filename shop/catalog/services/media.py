"""Product images: uploaded, reordered and deleted through the one service of ordered images
(``shop.core.ordered_images``), within the actor's reach (``access``)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import cache
from shop.catalog.models import Product, ProductMedia
from shop.catalog.services.access import lock_product, manageable_products, not_found
from shop.core import ordered_images

MAX_MEDIA = 20


@transaction.atomic
def add_product_media(*, actor: User, product_id: int, image, alt: str | None = None) -> ProductMedia:
    """Validate and re-encode an image, store it under a random name and queue its thumbnails after
    commit (``shop.core.ordered_images``)."""

    def check_owner() -> None:
        if not manageable_products(actor).filter(pk=product_id).exists():
            raise not_found(_("Product"), "product_id")

    media = ordered_images.add_image(
        model=ProductMedia,
        upload=image,
        alt=alt,
        check_owner=check_owner,
        lock_owner=lambda: lock_product(actor, product_id, field="product_id"),
        max_count=MAX_MEDIA,
        limit_message=_("A product has at most %(n)d images.") % {"n": MAX_MEDIA},
    )
    cache.product_changed(media.product.pk, media.product.designer_id, listing=False)
    return media


@transaction.atomic
def reorder_product_media(*, actor: User, product_id: int, media_ids: list[int]) -> Product:
    product = lock_product(actor, product_id, field="product_id")
    ordered_images.reorder_images(model=ProductMedia, owner=product, image_ids=media_ids, field="media_ids")
    cache.product_changed(product.pk, product.designer_id, listing=False)
    return product


@transaction.atomic
def delete_product_media(*, actor: User, media_id: int) -> tuple[ProductMedia, Product]:
    media = ordered_images.delete_image(model=ProductMedia, image_id=media_id, owners=manageable_products(actor))
    product = Product.objects.get(pk=media.product_id)
    cache.product_changed(product.pk, product.designer_id, listing=False)
    return media, product
