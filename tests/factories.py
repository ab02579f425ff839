"""Test data made through the ORM (the catalog and checkout services are tested on their own)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from shop.catalog.models import Product, ProductStatus, ProductType, ProductVariant
from tests.conftest import make_designer

_seq = itertools.count(1)


def make_product(
    *,
    designer=None,
    name: str | None = None,
    status: str = ProductStatus.PUBLISHED,
    product_type: str = ProductType.PHYSICAL,
    currency: str = "VND",
    **extra,
) -> Product:
    designer = designer or make_designer()
    n = next(_seq)
    name = name or f"Sản phẩm {n}"
    return Product.objects.create(
        designer=designer,
        name=name,
        slug=extra.pop("slug", f"product-{n}"),
        status=status,
        product_type=product_type,
        currency=currency,
        **extra,
    )


def make_variant(
    *, product=None, price: Decimal | int | str = 150000, stock: int = 10, sku: str | None = None, **extra
) -> ProductVariant:
    product = product or make_product()
    variant = ProductVariant.objects.create(
        product=product,
        designer_id=product.designer_id,
        sku=sku or f"SKU-{next(_seq)}",
        price_amount=Decimal(str(price)),
        currency=product.currency,
        stock_quantity=stock,
        **extra,
    )
    if product.min_price is None or variant.price_amount < product.min_price:
        Product.objects.filter(pk=product.pk).update(min_price=variant.price_amount)
    return variant
