"""The catalog and the anonymous-read cache (shop/core/readcache.py): which generations a cached
response showing a catalog object depends on, and the bumps the services make after each write."""

from __future__ import annotations

from shop.catalog.models import Category, Product, ProductMedia, ProductVariant
from shop.core import readcache

# A product is public only while its designer is approved: a response showing a product depends on
# its designer's standing even when it selects none of the designer's fields (issue 13, finding 6).
readcache.register(Product, lambda p: (f"product:{p.pk}", designer_standing(p.designer_id)))
readcache.register(ProductVariant, lambda v: (f"product:{v.product_id}",))
readcache.register(ProductMedia, lambda m: (f"product:{m.product_id}",))
readcache.register(Category, lambda c: (readcache.CATEGORIES,))
# The catalog's public top-level reads (lists and searches change whenever anything is published).
readcache.register_root_field("products", depends_on=(readcache.LISTING,))
readcache.register_root_field("product")
readcache.register_root_field("categories", depends_on=(readcache.LISTING, readcache.CATEGORIES))
readcache.register_root_field("category", depends_on=(readcache.CATEGORIES,))


def product_changed(product_id: int, designer_id: int, *, listing: bool) -> None:
    """A product, its variants or its media changed. ``listing``: also what lists, searches,
    filters or sort orders can show (status, visibility, name, tags, category, prices, stock
    crossing zero), the designer's own product list included."""
    products_changed({(product_id, designer_id)}, listing=listing)


def products_changed(pairs, *, listing: bool) -> None:
    """Several products at once: ``pairs`` of (product id, designer id)."""
    keys = {f"product:{product_id}" for product_id, _designer_id in pairs}
    if listing:
        keys |= {designer_products(designer_id) for _product_id, designer_id in pairs} | {readcache.LISTING}
    if keys:
        readcache.bump(*keys)


def designer_standing(designer_id: int) -> str:
    """The generation of whether a designer's products may be shown at all (its status): bumped by
    the designers app whenever that changes (designers/cache.py)."""
    return f"designer-standing:{designer_id}"


def designer_products(designer_id: int) -> str:
    """The generation of which products a designer's page lists (and in which order)."""
    return f"designer-products:{designer_id}"


def variants_changed(variant_ids, *, listing: bool) -> None:
    """Variants changed by a bulk update (stock): their products and designers, looked up."""
    pairs = set(ProductVariant.objects.filter(pk__in=list(variant_ids)).values_list("product_id", "designer_id"))
    products_changed(pairs, listing=listing)


def categories_changed() -> None:
    readcache.bump(readcache.CATEGORIES, readcache.LISTING)
