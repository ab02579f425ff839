"""Catalog writes: products, variants, media, moderation and categories.

Ownership is decided here, not in resolvers. Every write looks its object up *inside the actor's
scope* — the actor's own designer's objects, or everything for staff — so an object of another
designer is answered exactly like one that does not exist (``NOT_FOUND``): nothing is changed and
nothing about it leaks. ``PermissionDenied`` is for roles only: not signed in, no designer profile,
not staff for staff-only writes.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, Func, Max, Min, OuterRef, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import cache, hooks
from shop.catalog.errors import CatalogErrorCode
from shop.catalog.models import (
    Category,
    Product,
    ProductMedia,
    ProductSearch,
    ProductStatus,
    ProductType,
    ProductVariant,
)
from shop.catalog.selectors import SEARCH_CONFIG, storefront_products
from shop.core import money, ordered_images
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.files import store_digital_file
from shop.core.images import delete_files_on_commit
from shop.core.richtext import html_to_text, sanitize_html
from shop.core.storage import private_storage
from shop.core.text import choose_slug, fold
from shop.core.validation import clean_text

MAX_DESCRIPTION_CHARS = 20_000
MAX_TAGS = 20
MAX_TAG_CHARS = 40
MAX_VARIANTS = 100
MAX_MEDIA = 20
MAX_ATTRIBUTES = 20
MAX_STOCK = 1_000_000
MAX_CATEGORY_DEPTH = 4
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


# --- who may write what --------------------------------------------------------------------------


def _signed_in(actor: User | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("You must be signed in."))
    return actor


def _designer_of(actor: User):
    return hooks.designers.one().of_user(actor.pk)


def _catalog_actor(actor: User | None) -> tuple:
    """(actor, its designer). Staff may act on every designer; anyone else needs a designer profile."""
    actor = _signed_in(actor)
    designer = _designer_of(actor)
    if designer is None and not actor.is_staff:
        raise PermissionDenied(_("Only designers can manage products."))
    return actor, designer


def _require_staff(actor: User | None) -> User:
    actor = _signed_in(actor)
    if not actor.is_staff:
        raise PermissionDenied()
    return actor


def check_catalog_role(actor: User | None) -> None:
    """Raise PermissionDenied unless ``actor`` may manage products at all (a designer, or staff)."""
    _catalog_actor(actor)


def check_staff(actor: User | None) -> None:
    _require_staff(actor)


def _not_found(what: str, field: str = "id") -> ServiceError:
    return ServiceError(CatalogErrorCode.NOT_FOUND, _("%(what)s not found.") % {"what": what}, field)


def manageable_products(actor: User):
    """The products ``actor`` may change: all for staff, the own designer's otherwise."""
    actor, designer = _catalog_actor(actor)
    if actor.is_staff:
        return Product.objects.all()
    return Product.objects.filter(designer_id=designer.pk)


def _lock_product(actor: User, product_id: int, field: str = "id") -> Product:
    product = (
        manageable_products(actor)
        .select_for_update(of=("self",))
        .select_related("designer")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise _not_found(_("Product"), field)
    return product


def _lock_variant(actor: User, variant_id: int) -> ProductVariant:
    variant = (
        ProductVariant.objects.select_for_update(of=("self",))
        .filter(pk=variant_id, product__in=manageable_products(actor))
        .first()
    )
    if variant is None:
        raise _not_found(_("Variant"))
    return variant


# --- cleaning input ------------------------------------------------------------------------------


def clean_tags(tags: list[str] | None, field: str = "tags") -> list[str]:
    cleaned: list[str] = []
    for tag in tags or []:
        tag = " ".join((tag or "").split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS or "\x00" in tag:
            raise ServiceError(
                CatalogErrorCode.INVALID, _("Tags have at most %(n)d characters.") % {"n": MAX_TAG_CHARS}, field
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ServiceError(CatalogErrorCode.INVALID, _("At most %(n)d tags.") % {"n": MAX_TAGS}, field)
    return cleaned


def clean_description(value: str | None) -> str:
    value = value or ""
    if len(value) > MAX_DESCRIPTION_CHARS:
        raise ServiceError(
            CatalogErrorCode.INVALID,
            _("Ensure this value has at most %(n)d characters.") % {"n": MAX_DESCRIPTION_CHARS},
            "description",
        )
    if "\x00" in value:
        raise ServiceError(CatalogErrorCode.INVALID, _("This value contains invalid characters."), "description")
    return sanitize_html(value)


def _clean_currency(value: str | None) -> str:
    currency = (value or settings.DEFAULT_CURRENCY).strip().upper()
    if currency not in money.CURRENCY_EXPONENTS:
        raise ServiceError(CatalogErrorCode.INVALID, _("Unsupported currency."), "currency")
    return currency


def _clean_product_type(value: str | None) -> str:
    value = value or ProductType.PHYSICAL
    if value not in ProductType.values:
        raise ServiceError(CatalogErrorCode.INVALID, _("Unknown product type."), "productType")
    return value


def _category(category_id: int | None, field: str = "category") -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise _not_found(_("Category"), field)
    return category


def search_texts(*, name: str, tags: list[str] | None, description: str) -> tuple[str, str, str]:
    """The accent-folded texts of a product's search document: (name, tags, description as text)."""
    return fold(name), fold(" ".join(tags or [])), fold(html_to_text(description))


def sort_name(name: str) -> str:
    return fold(name)[:200]


def search_vectors(name, tags, body) -> dict:
    """A search row's ``title`` and ``document`` from three folded-text expressions (``Value(...)``
    for one product, or columns of a staging table for a bulk load such as ``seed_bench``).

    ``title`` ranks: the name (weight A) above the tags (B); a product matched only by its
    description ranks 0. ``document`` matches: name, tags and description, without positions or
    weights (a search ANDs words, it never asks where they are)."""
    title = SearchVector(name, weight="A", config=SEARCH_CONFIG) + SearchVector(tags, weight="B", config=SEARCH_CONFIG)
    document = title + SearchVector(body, config=SEARCH_CONFIG)
    return {"title": title, "document": Func(document, function="strip", output_field=SearchVectorField())}


def is_listed(*, status: str, hidden_at, designer_status: str) -> bool:
    """On the storefront (``shop.catalog.selectors.storefront_q``): published, not hidden, of an
    approved designer. A search row's ``listed``."""
    return (
        status == ProductStatus.PUBLISHED
        and hidden_at is None
        and designer_status == hooks.designers.one().listed_status
    )


def sync_search(product: Product) -> None:
    """Write ``product``'s search row (``ProductSearch``) from its name, tags, description, status,
    moderation, creation time and its designer's status: one upsert. Every service that changes one
    of the product's calls this in its transaction (deleting a product deletes its row: cascade);
    a designer's status change rewrites its rows (``sync_designer_search``).

    The designer's row is locked first (FOR NO KEY UPDATE: a designer decision locks it FOR UPDATE
    and waits for this transaction, or this one waits and reads the decided status), so that a
    concurrent decision cannot leave this row with the status before it."""
    designer_status = hooks.designers.one().lock(product.designer_id, no_key=True).status
    name, tags, body = search_texts(name=product.name, tags=product.tags, description=product.description)
    row = ProductSearch(
        product_id=product.pk,
        designer_id=product.designer_id,
        created_at=product.created_at,
        listed=is_listed(status=product.status, hidden_at=product.hidden_at, designer_status=designer_status),
        **search_vectors(Value(name), Value(tags), Value(body)),
    )
    fields = ["designer", "created_at", "listed", "title", "document"]
    ProductSearch.objects.bulk_create([row], update_conflicts=True, unique_fields=["product"], update_fields=fields)


def sync_designer_search(designer) -> None:
    """Rewrite ``listed`` on the search rows of ``designer``'s products after its status changed
    (``designers.services`` calls this in the transaction that changes it, the designer's row
    locked): one UPDATE, the storefront's own rule (``shop.catalog.selectors.storefront_products``)."""
    shown = storefront_products().filter(pk=OuterRef("pk"))
    ProductSearch.objects.filter(product__designer_id=designer.pk).update(listed=Exists(shown))


def refresh_min_price(product: Product) -> None:
    product.min_price = product.variants.aggregate(m=Min("price_amount"))["m"]
    Product.objects.filter(pk=product.pk).update(min_price=product.min_price)


# --- products ------------------------------------------------------------------------------------


@transaction.atomic
def create_product(
    *,
    actor: User,
    name: str,
    slug: str | None = None,
    description: str | None = None,
    category_id: int | None = None,
    tags: list[str] | None = None,
    product_type: str | None = None,
    currency: str | None = None,
    designer_id: int | None = None,
) -> Product:
    """A new DRAFT product of the actor's designer (staff may name any designer)."""
    actor, own = _catalog_actor(actor)
    if designer_id is not None and (own is None or designer_id != own.pk):
        designer = hooks.designers.one().get(designer_id) if actor.is_staff else None
        if designer is None:
            raise _not_found(_("Designer"), "designer")
    elif own is not None:
        designer = own
    else:
        raise ServiceError(CatalogErrorCode.REQUIRED, _("Choose the designer the product belongs to."), "designer")
    name = clean_text(name, field="name", max_length=200, required=True)
    data = {
        "name": name,
        "description": clean_description(description),
        "category": _category(category_id),
        "tags": clean_tags(tags),
        "product_type": _clean_product_type(product_type),
        "currency": _clean_currency(currency),
    }
    # Unique among the designer's own products only: what other designers hold (their drafts
    # included) is never revealed by a UNIQUE answer.
    data["slug"] = choose_slug(
        slug, name, taken=Product.objects.filter(designer_id=designer.pk), fallback="product", max_length=80
    )
    try:
        with transaction.atomic():
            product = Product.objects.create(
                designer=designer, status=ProductStatus.DRAFT, sort_name=sort_name(name), **data
            )
    except IntegrityError:
        raise ServiceError(CatalogErrorCode.UNIQUE, _("This slug is already taken."), "slug")
    sync_search(product)
    cache.product_changed(product.pk, product.designer_id, listing=False)  # a draft: nothing public yet
    return product


_UNSET = object()


@transaction.atomic
def update_product(
    *,
    actor: User,
    product_id: int,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    category_id=_UNSET,
    tags: list[str] | None = None,
    product_type: str | None = None,
    currency: str | None = None,
) -> Product:
    """Change what is given (``category_id=None`` clears the category)."""
    product = _lock_product(actor, product_id)
    if name is not None:
        product.name = clean_text(name, field="name", max_length=200, required=True)
    if slug is not None and slug.strip().lower() != product.slug:
        product.slug = choose_slug(
            slug,
            product.name,
            taken=Product.objects.filter(designer_id=product.designer_id).exclude(pk=product.pk),
            fallback="product",
            max_length=80,
        )
    if description is not None:
        product.description = clean_description(description)
    if category_id is not _UNSET:
        product.category = _category(category_id)
    if tags is not None:
        product.tags = clean_tags(tags)
    has_variants = product.variants.exists()
    if product_type is not None and product_type != product.product_type:
        if has_variants:
            raise ServiceError(
                CatalogErrorCode.INVALID, _("Delete the variants before changing the product type."), "productType"
            )
        product.product_type = _clean_product_type(product_type)
    if currency is not None and currency.strip().upper() != product.currency:
        if has_variants:
            raise ServiceError(
                CatalogErrorCode.INVALID, _("Delete the variants before changing the currency."), "currency"
            )
        product.currency = _clean_currency(currency)
    product.sort_name = sort_name(product.name)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise ServiceError(CatalogErrorCode.UNIQUE, _("This slug is already taken."), "slug")
    sync_search(product)
    cache.product_changed(product.pk, product.designer_id, listing=True)
    return product


def _has_orders(*, product_id: int | None = None, variant_id: int | None = None) -> bool:
    """Whether an order refers to the product (or variant): asked of the apps above (the orders app)."""
    return any(hooks.variant_in_use.send(product_id=product_id, variant_id=variant_id))


@transaction.atomic
def delete_product(*, actor: User, product_id: int) -> Product:
    """Delete a product with its variants and media (files removed after commit). A product that
    was ever ordered is kept for its orders (digital downloads need its files): archive it."""
    product = _lock_product(actor, product_id)
    if _has_orders(product_id=product.pk):
        raise ServiceError(
            CatalogErrorCode.HAS_ORDERS, _("This product has orders; archive it instead of deleting it."), "id"
        )
    images = ordered_images.stored_files(product.media.all())
    digital = [v.digital_file.name for v in product.variants.all() if v.digital_file]
    product.portfolio_items.clear()
    deleted_pk = product.pk
    product.delete()
    product.pk = deleted_pk
    cache.product_changed(deleted_pk, product.designer_id, listing=True)
    delete_files_on_commit(default_storage, images)
    delete_files_on_commit(private_storage(), digital)
    return product


@transaction.atomic
def publish_product(*, actor: User, product_id: int) -> Product:
    """Put a product on the storefront. Only an approved designer's product with at least one
    variant can be published (staff publishing on a designer's behalf included)."""
    product = _lock_product(actor, product_id)
    designer = hooks.designers.one().lock(product.designer_id)
    if designer.status != hooks.designers.one().listed_status:
        raise ServiceError(CatalogErrorCode.NOT_APPROVED, _("Only approved designers can publish products."), None)
    if not product.variants.exists():
        raise ServiceError(
            CatalogErrorCode.NO_VARIANTS, _("Add at least one variant with a price before publishing."), None
        )
    if product.status != ProductStatus.PUBLISHED:
        product.status = ProductStatus.PUBLISHED
        product.published_at = timezone.now()
        product.save(update_fields=["status", "published_at", "updated_at"])
        sync_search(product)
        cache.product_changed(product.pk, product.designer_id, listing=True)
    return product


def _set_status(actor: User, product_id: int, status: str) -> Product:
    product = _lock_product(actor, product_id)
    if product.status != status:
        product.status = status
        product.save(update_fields=["status", "updated_at"])
        sync_search(product)
        cache.product_changed(product.pk, product.designer_id, listing=True)
    return product


@transaction.atomic
def unpublish_product(*, actor: User, product_id: int) -> Product:
    """Take a product off the storefront, back to DRAFT."""
    return _set_status(actor, product_id, ProductStatus.DRAFT)


@transaction.atomic
def archive_product(*, actor: User, product_id: int) -> Product:
    """Retire a product (it stays for its orders; publishing again is possible)."""
    return _set_status(actor, product_id, ProductStatus.ARCHIVED)


@transaction.atomic
def moderate_product(*, actor: User, product_id: int, hidden: bool, reason: str | None = None) -> Product:
    """Staff hide a listing (with a reason the designer sees) or show it again."""
    actor = _require_staff(actor)
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise _not_found(_("Product"))
    if hidden:
        product.hidden_reason = clean_text(reason, field="reason", max_length=2000, required=True)
        product.hidden_at = product.hidden_at or timezone.now()
        product.hidden_by = actor
    else:
        product.hidden_reason = clean_text(reason, field="reason", max_length=2000)
        product.hidden_at = None
        product.hidden_by = actor if product.hidden_reason else None
    product.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
    sync_search(product)
    cache.product_changed(product.pk, product.designer_id, listing=True)
    return product


# --- variants ------------------------------------------------------------------------------------


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
            raise ServiceError(CatalogErrorCode.INVALID, _("Digital goods have no stock."), "stockQuantity")
        return 0
    value = 0 if value is None else value
    if not isinstance(value, int) or value < 0 or value > MAX_STOCK:
        raise ServiceError(
            CatalogErrorCode.INVALID, _("Stock must be between 0 and %(n)d.") % {"n": MAX_STOCK}, "stockQuantity"
        )
    return value


def _check_file_allowed(product: Product, digital_file) -> None:
    if digital_file is not None and product.product_type != ProductType.DIGITAL:
        raise ServiceError(CatalogErrorCode.INVALID, _("Only digital products carry a file."), "digitalFile")


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
    product = _lock_product(actor, product_id, field="productId")
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
        raise ServiceError(CatalogErrorCode.REQUIRED, _("A digital variant needs its file."), "digitalFile")
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
    variant = _lock_variant(actor, variant_id)
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
    variant = _lock_variant(actor, variant_id)
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    if _has_orders(variant_id=variant.pk):
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


# --- media ---------------------------------------------------------------------------------------


@transaction.atomic
def add_product_media(*, actor: User, product_id: int, image, alt: str | None = None) -> ProductMedia:
    """Validate and re-encode an image, store it under a random name and queue its thumbnails after
    commit (``shop.core.ordered_images``)."""

    def check_owner() -> None:
        if not manageable_products(actor).filter(pk=product_id).exists():
            raise _not_found(_("Product"), "productId")

    media = ordered_images.add_image(
        model=ProductMedia,
        upload=image,
        alt=alt,
        check_owner=check_owner,
        lock_owner=lambda: _lock_product(actor, product_id, field="productId"),
        max_count=MAX_MEDIA,
        limit_message=_("A product has at most %(n)d images.") % {"n": MAX_MEDIA},
    )
    cache.product_changed(media.product.pk, media.product.designer_id, listing=False)
    return media


@transaction.atomic
def reorder_product_media(*, actor: User, product_id: int, media_ids: list[int]) -> Product:
    product = _lock_product(actor, product_id, field="productId")
    ordered_images.reorder_images(model=ProductMedia, owner=product, image_ids=media_ids, field="mediaIds")
    cache.product_changed(product.pk, product.designer_id, listing=False)
    return product


@transaction.atomic
def delete_product_media(*, actor: User, media_id: int) -> tuple[ProductMedia, Product]:
    media = ordered_images.delete_image(model=ProductMedia, image_id=media_id, owners=manageable_products(actor))
    product = Product.objects.get(pk=media.product_id)
    cache.product_changed(product.pk, product.designer_id, listing=False)
    return media, product


# --- categories (staff) --------------------------------------------------------------------------


def _depth(category: Category | None) -> int:
    depth = 0
    while category is not None:
        depth += 1
        category = category.parent
    return depth


def _subtree_height(category: Category) -> int:
    children = list(category.children.all())
    return 1 + max((_subtree_height(c) for c in children), default=0)


def _clean_position(value) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or value < 0 or value > 100_000:
        raise ServiceError(CatalogErrorCode.INVALID, _("Position must be between 0 and 100000."), "position")
    return value


@transaction.atomic
def create_category(
    *, actor: User, name: str, slug: str | None = None, parent_id: int | None = None, position: int | None = None
) -> Category:
    _require_staff(actor)
    name = clean_text(name, field="name", max_length=100, required=True)
    parent = _category(parent_id, "parent")
    if _depth(parent) + 1 > MAX_CATEGORY_DEPTH:
        raise ServiceError(
            CatalogErrorCode.INVALID,
            _("Categories are at most %(n)d levels deep.") % {"n": MAX_CATEGORY_DEPTH},
            "parent",
        )
    position = _clean_position(position)
    if position is None:
        last = Category.objects.filter(parent=parent).aggregate(n=Max("position"))["n"]
        position = 0 if last is None else last + 1
    try:
        with transaction.atomic():
            category = Category.objects.create(
                name=name,
                slug=choose_slug(slug, name, taken=Category.objects.all(), fallback="category"),
                parent=parent,
                position=position,
            )
        cache.categories_changed()
        return category
    except IntegrityError:
        raise ServiceError(CatalogErrorCode.UNIQUE, _("This slug is already taken."), "slug")


@transaction.atomic
def update_category(
    *,
    actor: User,
    category_id: int,
    name: str | None = None,
    slug: str | None = None,
    parent_id=_UNSET,
    position: int | None = None,
) -> Category:
    _require_staff(actor)
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise _not_found(_("Category"))
    if name is not None:
        category.name = clean_text(name, field="name", max_length=100, required=True)
    if slug is not None and slug.strip().lower() != category.slug:
        category.slug = choose_slug(
            slug, category.name, taken=Category.objects.exclude(pk=category.pk), fallback="category"
        )
    if parent_id is not _UNSET:
        parent = _category(parent_id, "parent")
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == category.pk:
                raise ServiceError(CatalogErrorCode.INVALID, _("A category cannot be moved under itself."), "parent")
            ancestor = ancestor.parent
        if _depth(parent) + _subtree_height(category) > MAX_CATEGORY_DEPTH:
            raise ServiceError(
                CatalogErrorCode.INVALID,
                _("Categories are at most %(n)d levels deep.") % {"n": MAX_CATEGORY_DEPTH},
                "parent",
            )
        category.parent = parent
    position = _clean_position(position)
    if position is not None:
        category.position = position
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise ServiceError(CatalogErrorCode.UNIQUE, _("This slug is already taken."), "slug")
    cache.categories_changed()
    return category


@transaction.atomic
def delete_category(*, actor: User, category_id: int) -> Category:
    """Delete an empty-of-children category; its products keep existing without a category."""
    _require_staff(actor)
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise _not_found(_("Category"))
    if category.children.exists():
        raise ServiceError(CatalogErrorCode.HAS_CHILDREN, _("Move or delete the subcategories first."), "id")
    deleted_pk = category.pk
    category.delete()
    category.pk = deleted_pk
    cache.categories_changed()
    return category
