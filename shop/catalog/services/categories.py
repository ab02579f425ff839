"""Category writes (staff): a tree at most ``MAX_CATEGORY_DEPTH`` levels deep, ordered among
siblings by ``position``; and the lookup of a category a product or a category names."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalog import cache
from shop.catalog.errors import CatalogErrorCode
from shop.catalog.models import Category
from shop.catalog.services.access import not_found, require_staff
from shop.core.errors import ServiceError
from shop.core.text import choose_slug
from shop.core.validation import clean_text

MAX_CATEGORY_DEPTH = 4
_UNSET = object()


def find_category(category_id: int | None, field: str = "category") -> Category | None:
    """The category ``category_id`` (None for None), else NOT_FOUND on ``field``."""
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise not_found(_("Category"), field)
    return category


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
    require_staff(actor)
    name = clean_text(name, field="name", max_length=100, required=True)
    parent = find_category(parent_id, "parent")
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
    require_staff(actor)
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise not_found(_("Category"))
    if name is not None:
        category.name = clean_text(name, field="name", max_length=100, required=True)
    if slug is not None and slug.strip().lower() != category.slug:
        category.slug = choose_slug(
            slug, category.name, taken=Category.objects.exclude(pk=category.pk), fallback="category"
        )
    if parent_id is not _UNSET:
        parent = find_category(parent_id, "parent")
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
    require_staff(actor)
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise not_found(_("Category"))
    if category.children.exists():
        raise ServiceError(CatalogErrorCode.HAS_CHILDREN, _("Move or delete the subcategories first."), "id")
    deleted_pk = category.pk
    category.delete()
    category.pk = deleted_pk
    cache.categories_changed()
    return category
