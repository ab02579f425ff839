"""One product, variant or image by id or slug, as the caller may see it, and what a product
card needs loaded with it (``with_list_relations``: the lists of ``listing`` load the same)."""

from __future__ import annotations

from django.db.models import QuerySet

from shop.catalog.models import Product, ProductMedia, ProductVariant
from shop.catalog.selectors.visibility import storefront_q, visible_products
from shop.core.prefetch import instances, prime


class ListRelationsQuerySet(QuerySet):
    """Products that load their variants and media once the rows are fetched: two queries for any
    number of products, like ``prefetch_related``, but without the queryset Django clones and
    filters for every product (half of a 100-product page's time went there). ``variants.all()``
    and ``media.all()`` then answer from memory, as after ``prefetch_related``.

    ``_relations`` (``shop.catalog.queries.list_relations``) narrows what is loaded to what the query shows."""

    _list_relations = True
    _relations: frozenset[str] | None = None

    def _clone(self):
        clone = super()._clone()
        clone._relations = self._relations
        return clone

    def _fetch_all(self):
        fetching = self._result_cache is None
        super()._fetch_all()
        if fetching and self._list_relations and self._result_cache and isinstance(self._result_cache[0], Product):
            attach_list_relations(self._result_cache, relations=self._relations)


def attach_list_relations(products: list[Product], *, relations: frozenset[str] | None = None) -> None:
    """Load the variants and media of ``products`` (two queries) into each product's prefetch
    cache, in their display order, each pointing back at its product. Timestamps of variants and
    media are not loaded: no GraphQL field shows them.

    ``relations`` (None: everything) names what to load: ``"variants"``, ``"media"``, or
    ``"thumbnail"``: only each product's first medium (what ``thumbnail`` shows), one row per
    product instead of all of them. What is not named is left unloaded: reading it queries."""
    by_id: dict[int, list[Product]] = {}
    for product in products:
        by_id.setdefault(product.pk, []).append(product)
    ids = list(by_id)
    load_variants = relations is None or "variants" in relations
    load_media = relations is None or "media" in relations or "thumbnail" in relations
    variants: dict[int, list] = {pk: [] for pk in by_id}
    media: dict[int, list] = {pk: [] for pk in by_id}
    if load_variants:
        for variant in instances(
            ProductVariant.objects.filter(product_id__in=ids).order_by("position", "id"),
            skip=("created_at", "updated_at"),
        ):
            variants[variant.product_id].append(variant)
    if load_media:
        rows = ProductMedia.objects.filter(product_id__in=ids)
        if relations is not None and "media" not in relations:
            rows = rows.order_by("product_id", "position", "id").distinct("product_id")
        else:
            rows = rows.order_by("position", "id")
        for item in instances(rows, skip=("created_at",)):
            media[item.product_id].append(item)
    variant_product = ProductVariant._meta.get_field("product")
    media_product = ProductMedia._meta.get_field("product")
    for pk, same in by_id.items():
        for product in same:
            if load_variants:
                for variant in variants[pk]:
                    variant_product.set_cached_value(variant, product)
                prime(product, "variants", variants[pk], model=ProductVariant)
            if load_media:
                for item in media[pk]:
                    media_product.set_cached_value(item, product)
                prime(product, "media", media[pk], model=ProductMedia)


def with_list_relations(
    qs: QuerySet[Product], *, columns: list[str] | None = None, relations: frozenset[str] | None = None
) -> QuerySet[Product]:
    """What a product card needs in a constant number of queries: designer and category joined,
    variants and media loaded with the page (3 queries for any page size). ``columns``: load only
    these (model column names, e.g. ``designer__slug``), else every column; ``relations``: load
    only these (``variants``, ``media``, ``thumbnail``), else all. The GraphQL layer works them
    out from a query's selection (``shop.catalog.queries.list_columns`` / ``list_relations``)."""
    qs = qs.select_related("designer", "category")
    if columns:
        qs = qs.only(*columns)
    qs.__class__ = ListRelationsQuerySet
    qs._relations = relations
    return qs


def product_by_slug(user, slug: str, designer_slug: str | None = None) -> Product | None:
    """A product by its designer's slug and its own (slugs are unique per designer). Without the
    designer: the caller's visible product with that slug, public ones first, then the oldest."""
    qs = visible_products(user).filter(slug=slug)
    if designer_slug is not None:
        return with_list_relations(qs.filter(designer__slug=designer_slug)).first()
    if user is None or not user.is_authenticated:  # the public sees storefront products only
        return with_list_relations(qs).order_by("created_at", "id").first()
    public = with_list_relations(qs.filter(storefront_q())).order_by("created_at", "id").first()
    return public or with_list_relations(qs).order_by("created_at", "id").first()


def product_by_id(user, pk) -> Product | None:
    return with_list_relations(visible_products(user)).filter(pk=pk).first()


def variant_by_id(user, pk) -> ProductVariant | None:
    return (
        ProductVariant.objects.select_related("product__designer")
        .filter(pk=pk, product__in=visible_products(user))
        .first()
    )


def media_by_id(user, pk) -> ProductMedia | None:
    return (
        ProductMedia.objects.select_related("product__designer")
        .filter(pk=pk, product__in=visible_products(user))
        .first()
    )
