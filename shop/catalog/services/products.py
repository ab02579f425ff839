"""Product writes: creating, editing and deleting a product, and its place on the storefront
(publish, unpublish, archive; staff moderation). Each keeps the product's search row in step
(``search.sync_search``) and tells the read cache."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import cache, hooks
from shop.catalog.errors import CatalogErrorCode
from shop.catalog.models import Product, ProductStatus, ProductType
from shop.catalog.services.access import catalog_actor, has_orders, lock_product, not_found, require_staff
from shop.catalog.services.categories import find_category
from shop.catalog.services.search import sort_name, sync_search
from shop.core import money, ordered_images
from shop.core.errors import ServiceError
from shop.core.images import delete_files_on_commit
from shop.core.richtext import sanitize_html
from shop.core.storage import private_storage
from shop.core.text import choose_slug
from shop.core.validation import clean_text

MAX_DESCRIPTION_CHARS = 20_000
MAX_TAGS = 20
MAX_TAG_CHARS = 40
_UNSET = object()


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
        raise ServiceError(CatalogErrorCode.INVALID, _("Unknown product type."), "product_type")
    return value


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
    actor, own = catalog_actor(actor)
    if designer_id is not None and (own is None or designer_id != own.pk):
        designer = hooks.designers.one().get(designer_id) if actor.is_staff else None
        if designer is None:
            raise not_found(_("Designer"), "designer")
    elif own is not None:
        designer = own
    else:
        raise ServiceError(CatalogErrorCode.REQUIRED, _("Choose the designer the product belongs to."), "designer")
    name = clean_text(name, field="name", max_length=200, required=True)
    data = {
        "name": name,
        "description": clean_description(description),
        "category": find_category(category_id),
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
    product = lock_product(actor, product_id)
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
        product.category = find_category(category_id)
    if tags is not None:
        product.tags = clean_tags(tags)
    has_variants = product.variants.exists()
    if product_type is not None and product_type != product.product_type:
        if has_variants:
            raise ServiceError(
                CatalogErrorCode.INVALID, _("Delete the variants before changing the product type."), "product_type"
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


@transaction.atomic
def delete_product(*, actor: User, product_id: int) -> Product:
    """Delete a product with its variants and media (files removed after commit). A product that
    was ever ordered is kept for its orders (digital downloads need its files): archive it."""
    product = lock_product(actor, product_id)
    if has_orders(product_id=product.pk):
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
    product = lock_product(actor, product_id)
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
    product = lock_product(actor, product_id)
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
    actor = require_staff(actor)
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise not_found(_("Product"))
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
