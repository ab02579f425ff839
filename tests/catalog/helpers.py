"""Catalog test data made through the services (so search documents, prices and positions are
what production would have), and small GraphQL helpers."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from graphql_relay import to_global_id

from shop.catalog import services
from shop.catalog.models import Product
from tests.conftest import make_designer


def isolated_storage(settings, tmp_path):
    media, private = tmp_path / "media", tmp_path / "private"
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": "/media/"},
        },
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private), "base_url": None},
        },
    }
    return {"media": media, "private": private}


def gid(obj) -> str:
    names = {
        "Product": "Product",
        "ProductVariant": "ProductVariant",
        "ProductMedia": "ProductMedia",
        "Category": "Category",
        "Designer": "Designer",
        "PortfolioItem": "PortfolioItem",
        "PortfolioImage": "PortfolioImage",
    }
    return to_global_id(names[type(obj).__name__], obj.pk)


def product(
    designer=None,
    *,
    name="Áo dài lụa Hà Đông",
    price=1_500_000,
    stock=5,
    publish=True,
    variants=1,
    description="",
    tags=None,
    product_type="PHYSICAL",
    category=None,
    digital_file=None,
) -> Product:
    designer = designer or make_designer()
    item = services.create_product(
        actor=designer.user,
        name=name,
        description=description,
        tags=tags,
        product_type=product_type,
        category_id=category.pk if category else None,
    )
    for n in range(variants):
        file = None
        if product_type == "DIGITAL":
            file = digital_file or SimpleUploadedFile(
                "poster.pdf", b"%PDF-1.4\n%demo\n", content_type="application/pdf"
            )
        services.create_variant(
            actor=designer.user,
            product_id=item.pk,
            sku=f"{item.slug[:40]}-{n + 1}",
            price=Decimal(price) + n * 100_000,
            name=f"Biến thể {n + 1}",
            stock_quantity=stock if product_type == "PHYSICAL" else None,
            digital_file=file,
        )
    if publish and variants:
        services.publish_product(actor=designer.user, product_id=item.pk)
    item.refresh_from_db()
    return item
