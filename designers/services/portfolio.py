"""Portfolios: a designer's pieces of work, shown apart from what is sold, each with its images
(``shop.core.ordered_images``) and links to the designer's own products.

Ownership as in the catalog: an item or image of another designer is answered NOT_FOUND, like an
unknown one; staff may manage every portfolio."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from designers import cache
from designers.errors import PortfolioErrorCode
from designers.models import Designer, PortfolioImage, PortfolioItem
from shop.accounts.models import User
from shop.catalog.models import Product
from shop.catalog.services.products import clean_tags
from shop.core import ordered_images
from shop.core.errors import PermissionDenied, ServiceError
from shop.core.images import delete_files_on_commit
from shop.core.ordering import reorder_positions
from shop.core.validation import clean_text

MAX_PORTFOLIO_ITEMS = 200
MAX_PORTFOLIO_IMAGES = 30
_UNSET = object()


def _portfolio_actor(actor: User | None) -> tuple[User, Designer | None]:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("You must be signed in."))
    designer = Designer.objects.filter(user_id=actor.pk).first()
    if designer is None and not actor.is_staff:
        raise PermissionDenied(_("Only designers have a portfolio."))
    return actor, designer


def check_portfolio_role(actor: User | None) -> None:
    _portfolio_actor(actor)


def manageable_portfolio_items(actor: User):
    actor, designer = _portfolio_actor(actor)
    if actor.is_staff:
        return PortfolioItem.objects.all()
    return PortfolioItem.objects.filter(designer_id=designer.pk)


def _item_not_found(field: str = "id") -> ServiceError:
    return ServiceError(PortfolioErrorCode.NOT_FOUND, _("Portfolio item not found."), field)


def _lock_item(actor: User, item_id: int, field: str = "id") -> PortfolioItem:
    item = manageable_portfolio_items(actor).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise _item_not_found(field)
    return item


def _clean_year(year) -> int | None:
    if year is None:
        return None
    if not isinstance(year, int) or not (1900 <= year <= timezone.now().year + 1):
        raise ServiceError(PortfolioErrorCode.INVALID, _("Enter a year between 1900 and next year."), "year")
    return year


def _linked_products(designer_id: int, product_ids: list[int] | None):
    ids = list(dict.fromkeys(product_ids or []))
    if len(ids) > 50:
        raise ServiceError(PortfolioErrorCode.INVALID, _("Link at most 50 products."), "products")
    products = list(Product.objects.filter(designer_id=designer_id, pk__in=ids))
    if len(products) != len(ids):
        raise ServiceError(PortfolioErrorCode.NOT_FOUND, _("Product not found."), "products")
    return products


def _clean_item_fields(*, title, description, role, tags, partial: bool) -> dict:
    data = {}
    if title is not None or not partial:
        data["title"] = clean_text(title, field="title", max_length=200, required=True)
    if description is not None or not partial:
        data["description"] = clean_text(description, field="description", max_length=5000)
    if role is not None or not partial:
        data["role"] = clean_text(role, field="role", max_length=200)
    if tags is not None or not partial:
        data["tags"] = clean_tags(tags)
    return data


@transaction.atomic
def create_portfolio_item(
    *,
    actor: User,
    title: str,
    description: str | None = None,
    year: int | None = None,
    role: str | None = None,
    tags: list[str] | None = None,
    product_ids: list[int] | None = None,
    designer_id: int | None = None,
) -> PortfolioItem:
    """Add a piece of work to the actor's portfolio (staff may name a designer), last in order."""
    actor, own = _portfolio_actor(actor)
    if designer_id is not None and (own is None or designer_id != own.pk):
        designer = Designer.objects.filter(pk=designer_id).first() if actor.is_staff else None
        if designer is None:
            raise ServiceError(PortfolioErrorCode.NOT_FOUND, _("Designer not found."), "designer")
    elif own is not None:
        designer = own
    else:
        raise ServiceError(PortfolioErrorCode.REQUIRED, _("Choose the designer the item belongs to."), "designer")
    designer = Designer.objects.select_for_update().get(pk=designer.pk)
    data = _clean_item_fields(title=title, description=description, role=role, tags=tags, partial=False)
    data["year"] = _clean_year(year)
    products = _linked_products(designer.pk, product_ids)
    existing = PortfolioItem.objects.filter(designer=designer)
    if existing.count() >= MAX_PORTFOLIO_ITEMS:
        raise ServiceError(
            PortfolioErrorCode.LIMIT_REACHED,
            _("A portfolio has at most %(n)d items.") % {"n": MAX_PORTFOLIO_ITEMS},
            None,
        )
    last = existing.aggregate(n=Max("position"))["n"]
    item = PortfolioItem.objects.create(designer=designer, position=0 if last is None else last + 1, **data)
    item.products.set(products)
    cache.designer_changed(designer.pk, listing=False)
    return item


@transaction.atomic
def update_portfolio_item(
    *,
    actor: User,
    item_id: int,
    title: str | None = None,
    description: str | None = None,
    year=_UNSET,
    role: str | None = None,
    tags: list[str] | None = None,
    product_ids: list[int] | None = None,
) -> PortfolioItem:
    item = _lock_item(actor, item_id)
    for key, value in _clean_item_fields(
        title=title, description=description, role=role, tags=tags, partial=True
    ).items():
        setattr(item, key, value)
    if year is not _UNSET:
        item.year = _clean_year(year)
    item.save()
    if product_ids is not None:
        item.products.set(_linked_products(item.designer_id, product_ids))
    cache.designer_changed(item.designer_id, listing=False)
    return item


@transaction.atomic
def delete_portfolio_item(*, actor: User, item_id: int) -> PortfolioItem:
    item = _lock_item(actor, item_id)
    files = ordered_images.stored_files(item.images.all())
    deleted_pk = item.pk
    item.delete()
    item.pk = deleted_pk
    delete_files_on_commit(default_storage, files)
    cache.designer_changed(item.designer_id, listing=False)
    return item


@transaction.atomic
def reorder_portfolio_items(*, actor: User, item_ids: list[int]) -> list[PortfolioItem]:
    """Set the order of a whole portfolio: every item of the designer, exactly once."""
    if not item_ids:
        raise ServiceError(PortfolioErrorCode.INVALID, _("List each of the items exactly once."), "item_ids")
    first = manageable_portfolio_items(actor).filter(pk=item_ids[0]).first()
    if first is None:
        raise _item_not_found("item_ids")
    Designer.objects.select_for_update().get(pk=first.designer_id)
    rows = list(PortfolioItem.objects.filter(designer_id=first.designer_id))
    if not set(item_ids) <= {row.pk for row in rows}:
        raise _item_not_found("item_ids")
    cache.designer_changed(first.designer_id, listing=False)
    return reorder_positions(rows, item_ids, "item_ids")


@transaction.atomic
def add_portfolio_image(*, actor: User, item_id: int, image, alt: str | None = None) -> PortfolioImage:
    """Same pipeline as product images (``shop.core.ordered_images``): validated, re-encoded, random
    name, thumbnails after commit."""

    def check_owner() -> None:
        if not manageable_portfolio_items(actor).filter(pk=item_id).exists():
            raise _item_not_found("item_id")

    row = ordered_images.add_image(
        model=PortfolioImage,
        upload=image,
        alt=alt,
        check_owner=check_owner,
        lock_owner=lambda: _lock_item(actor, item_id, field="item_id"),
        max_count=MAX_PORTFOLIO_IMAGES,
        limit_message=_("An item has at most %(n)d images.") % {"n": MAX_PORTFOLIO_IMAGES},
    )
    cache.designer_changed(row.item.designer_id, listing=False)
    return row


@transaction.atomic
def reorder_portfolio_images(*, actor: User, item_id: int, image_ids: list[int]) -> PortfolioItem:
    item = _lock_item(actor, item_id, field="item_id")
    if not image_ids:
        raise ServiceError(PortfolioErrorCode.INVALID, _("List each of the items exactly once."), "image_ids")
    ordered_images.reorder_images(model=PortfolioImage, owner=item, image_ids=image_ids, field="image_ids")
    cache.designer_changed(item.designer_id, listing=False)
    return item


@transaction.atomic
def delete_portfolio_image(*, actor: User, image_id: int) -> tuple[PortfolioImage, PortfolioItem]:
    row = ordered_images.delete_image(model=PortfolioImage, image_id=image_id, owners=manageable_portfolio_items(actor))
    item = PortfolioItem.objects.get(pk=row.item_id)
    cache.designer_changed(item.designer_id, listing=False)
    return row, item
