"""Category reads: the tree, and one category by id or slug (categories are public)."""

from __future__ import annotations

from django.db.models import QuerySet

from shop.catalog.models import Category


def category_tree(*, parent_id: int | None = None) -> QuerySet[Category]:
    """Categories under ``parent_id`` (roots by default) with every level below prefetched (the
    tree is at most four levels deep): one query per level, whatever the number of categories."""
    qs = (
        Category.objects.filter(parent_id=parent_id)
        if parent_id is not None
        else Category.objects.filter(parent__isnull=True)
    )
    return qs.order_by("position", "name", "id").prefetch_related(
        "children", "children__children", "children__children__children"
    )


def category_by_id(pk) -> Category | None:
    return Category.objects.filter(pk=pk).first()


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()
