"""Variant writes: what a product sells — SKU, price (in the product's currency), attributes,
stock for physical goods, the private file for digital ones — and the product's lowest price."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import cache
from shop.catalog.errors import CatalogErrorCode
from shop.catalog.models import Product, ProductStatus, ProductType, ProductVariant
from shop.catalog.services.access import has_orders, lock_product, lock_variant
from shop.core import money
from shop.core.errors import ServiceError
from shop.core.files import store_digital_file
from shop.core.images import delete_files_on_commit
from shop.core.storage import private_storage
from shop.core.validation import clean_text

MAX_VARIANTS = 100
MAX_ATTRIBUTES = 20
MAX_STOCK = 1_000_000
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


def refresh_min_price(product: Product) -> None:
    product.min_price = product.variants.aggregate(m=Min("price_amount"))["m"]
    Product.objects.filter(pk=product.pk).update(min_price=product.min_price)


def _clean_sku(value: str | None) -> str:
    sku = clean_text(value, field="sku", max_length=64, required=True)
    if not SKU_RE.match(sku):
        raise ServiceError(CatalogErrorCode.INVALID, _("Use letters, digits and . _ / - in SKUs."), "sku")
    return sku


def clean_attributes(values, field: str = "attributes") -> list[dict]:
    cleaned, seen = [], set()
    for item in values or []:
        name = " ".join(str(item.get("name") or "").split())
        value = " ".join(str(item.get("value") or "").split())
        if not name or not value:
            raise ServiceError(CatalogErrorCode.REQUIRED, _("Each attribute needs a name and a value."), field)
        if len(name) > 50 or len(value) > 100 or "\x00" in name + value:
            raise ServiceError(
                CatalogErrorCode.INVALID, _("Attribute names have at most 50 characters, values 100."), field
            )
        key = name.casefold()
        if key in seen:
            raise ServiceError(CatalogErrorCode.INVALID, _("Each attribute name may appear once."), field)
        seen.add(key)
        cleaned.append({"name": name, "value": value})
    if len(cleaned) > MAX_ATTRIBUTES:
        raise ServiceError(CatalogErrorCode.INVALID, _("At most %(n)d attributes.") % {"n": MAX_ATTRIBUTES}, field)
    return cleaned


def _clean_price(value, currency: str) -> Decimal:
    if value is None:
        raise ServiceError(CatalogErrorCode.REQUIRED, _("Enter a price."), "price")
    try:
        return money.parse_amount(value, currency)
    except money.MoneyError as exc:
        raise ServiceError(
            CatalogErrorCode.INVALID,
            _("Enter a valid price in %(currency)s: %(reason)s") % {"currency": currency, "reason": exc},
            "price",
        )


def _clean_stock(value, product: Product) -> int:
    if product.product_type == ProductType.DIGITAL:
        if value not in (None, 0):
            raise ServiceError(CatalogErrorCode.INVALID, _("Digital goods have no stock."), "stock_quantity")
        return 0
    value = 0 if value is None else value
    if not isinstance(value, int) or value < 0 or value > MAX_STOCK:
        raise ServiceError(
            CatalogErrorCode.INVALID, _("Stock must be between 0 and %(n)d.") % {"n": MAX_STOCK}, "stock_quantity"
        )
    return value


def _check_file_allowed(product: Product, digital_file) -> None:
    if digital_file is not None and product.product_type != ProductType.DIGITAL:
        raise ServiceError(CatalogErrorCode.INVALID, _("Only digital products carry a file."), "digital_file")


def _attach_file(variant: ProductVariant, digital_file) -> str | None:
    """Store the uploaded file privately and point the variant at it; returns the replaced name."""
    stored = store_digital_file(digital_file)
    old = variant.digital_file.name if variant.digital_file else None
    variant.digital_file.name = stored.name
    variant.digital_file_name = stored.original_name
    variant.digital_file_size = stored.size
    variant.digital_content_type = stored.content_type
    return old


def _save_variant(variant: ProductVariant, new_file: str | None) -> None:
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError:
        if new_file:
            private_storage().delete(new_file)
        raise ServiceError(CatalogErrorCode.UNIQUE, _("You already have a variant with this SKU."), "sku")


@transaction.atomic
def create_variant(
    *,
    actor: User,
    product_id: int,
    sku: str,
    price,
    name: str | None = None,
    attributes: list[dict] | None = None,
    stock_quantity: int | None = None,
    digital_file=None,
) -> ProductVariant:
    product = lock_product(actor, product_id, field="product_id")
    sku = _clean_sku(sku)
    variant = ProductVariant(
        product=product,
        designer_id=product.designer_id,
        sku=sku,
        name=clean_text(name, field="name", max_length=100),
        attributes=clean_attributes(attributes),
        price_amount=_clean_price(price, product.currency),
        currency=product.currency,
        stock_quantity=_clean_stock(stock_quantity, product),
    )
    _check_file_allowed(product, digital_file)
    if product.product_type == ProductType.DIGITAL and digital_file is None:
        raise ServiceError(CatalogErrorCode.REQUIRED, _("A digital variant needs its file."), "digital_file")
    if product.variants.count() >= MAX_VARIANTS:
        raise ServiceError(
            CatalogErrorCode.LIMIT_REACHED, _("A product has at most %(n)d variants.") % {"n": MAX_VARIANTS}, None
        )
    if ProductVariant.objects.filter(designer_id=product.designer_id, sku=sku).exists():
        raise ServiceError(CatalogErrorCode.UNIQUE, _("You already have a variant with this SKU."), "sku")
    last = product.variants.aggregate(n=Max("position"))["n"]
    variant.position = 0 if last is None else last + 1
    new_file = None
    if digital_file is not None:
        _attach_file(variant, digital_file)
        new_file = variant.digital_file.name
    _save_variant(variant, new_file)
    refresh_min_price(product)
    cache.product_changed(product.pk, product.designer_id, listing=True)
    return variant


@transaction.atomic
def update_variant(
    *,
    actor: User,
    variant_id: int,
    sku: str | None = None,
    price=None,
    name: str | None = None,
    attributes: list[dict] | None = None,
    stock_quantity: int | None = None,
    digital_file=None,
) -> ProductVariant:
    variant = lock_variant(actor, variant_id)
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    variant.product = product
    if sku is not None:
        variant.sku = _clean_sku(sku)
        if (
            ProductVariant.objects.filter(designer_id=variant.designer_id, sku=variant.sku)
            .exclude(pk=variant.pk)
            .exists()
        ):
            raise ServiceError(CatalogErrorCode.UNIQUE, _("You already have a variant with this SKU."), "sku")
    if name is not None:
        variant.name = clean_text(name, field="name", max_length=100)
    if attributes is not None:
        variant.attributes = clean_attributes(attributes)
    if price is not None:
        variant.price_amount = _clean_price(price, product.currency)
    if stock_quantity is not None:
        variant.stock_quantity = _clean_stock(stock_quantity, product)
    _check_file_allowed(product, digital_file)
    old_file = new_file = None
    if digital_file is not None:
        old_file = _attach_file(variant, digital_file)
        new_file = variant.digital_file.name
    _save_variant(variant, new_file)
    if old_file and old_file != new_file:
        delete_files_on_commit(private_storage(), [old_file])
    refresh_min_price(product)
    cache.product_changed(product.pk, product.designer_id, listing=True)
    return variant


@transaction.atomic
def delete_variant(*, actor: User, variant_id: int) -> tuple[ProductVariant, Product]:
    variant = lock_variant(actor, variant_id)
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    if has_orders(variant_id=variant.pk):
        raise ServiceError(CatalogErrorCode.HAS_ORDERS, _("This variant has orders; it cannot be deleted."), "id")
    if product.status == ProductStatus.PUBLISHED and product.variants.count() == 1:
        raise ServiceError(
            CatalogErrorCode.LAST_VARIANT, _("A published product needs a variant; unpublish it first."), "id"
        )
    file_name = variant.digital_file.name if variant.digital_file else None
    deleted_pk = variant.pk
    variant.delete()
    variant.pk = deleted_pk
    refresh_min_price(product)
    cache.product_changed(product.pk, product.designer_id, listing=True)
    delete_files_on_commit(private_storage(), [file_name])
    return variant, product
