"""Catalog reads, permission-aware and N+1-free.

Who sees a product:
- everyone: PUBLISHED, not hidden by staff (``hidden_at`` is null), of an APPROVED designer. The
  designer's status is part of the filter, so suspending a designer takes all its products off the
  storefront at once and reinstating brings them back, without touching the products;
- the designer who owns it: always (drafts, archived, hidden — with the moderation reason);
- staff: everything.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from shop.catalog import hooks
from shop.catalog.models import (
    Category,
    Product,
    ProductMedia,
    ProductSearch,
    ProductStatus,
    ProductType,
    ProductVariant,
)
from shop.core.prefetch import instances, prime
from shop.core.text import fold

MAX_SEARCH_WORDS = 12
SEARCH_CONFIG = "simple"


def _user(user):
    return user if user is not None and user.is_authenticated else None


def is_staff(user) -> bool:
    user = _user(user)
    return bool(user and user.is_staff)


def storefront_q(prefix: str = "") -> Q:
    """The public-visibility condition (``prefix`` for use through a relation, e.g. ``product__``)."""
    return Q(
        **{
            f"{prefix}status": ProductStatus.PUBLISHED,
            f"{prefix}hidden_at__isnull": True,
            f"{prefix}designer__status": hooks.designers.one().listed_status,
        }
    )


def on_storefront(product: Product) -> bool:
    """``storefront_q`` for one loaded product (with its designer): published, not hidden, of an
    approved designer."""
    return (
        product.status == ProductStatus.PUBLISHED
        and product.hidden_at is None
        and product.designer.status == hooks.designers.one().listed_status
    )


def can_see_product(user, product: Product) -> bool:
    """Whether ``user`` may see ``product`` as the catalog has it now, however it was reached (a cart
    line, an order, a portfolio link...): on the storefront, or the owner's or staff's."""
    return on_storefront(product) or can_manage(user, product.designer.user_id)


def can_see_designer(user, designer) -> bool:
    """The storefront's rule for a designer reached through another object: approved, or its own
    user's or staff's."""
    return designer.status == hooks.designers.one().listed_status or can_manage(user, designer.user_id)


def storefront_products() -> QuerySet[Product]:
    return Product.objects.filter(storefront_q())


def visible_products(user) -> QuerySet[Product]:
    user = _user(user)
    if user is not None and user.is_staff:
        return Product.objects.all()
    if user is not None:
        return Product.objects.filter(storefront_q() | Q(designer__user_id=user.pk))
    return storefront_products()


def can_manage(user, designer_user_id: int) -> bool:
    """Owner or staff: may see a product's private side (drafts, moderation, digital files)."""
    user = _user(user)
    return user is not None and (user.is_staff or user.pk == designer_user_id)


# --- loading what lists show ---------------------------------------------------------------------


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


# --- search --------------------------------------------------------------------------------------


def search_words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold((text or "")[:200]))[:MAX_SEARCH_WORDS]


def search_query(text: str | None) -> SearchQuery | None:
    """Accent-folded words, all required; the last one may be a prefix (search as you type):
    ``Áo dài l`` -> ``ao & dai & l:*``. Only ``[a-z0-9]`` reaches ``to_tsquery``."""
    words = search_words(text)
    if not words:
        return None
    raw = " & ".join(words[:-1] + [f"{words[-1]}:*"])
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


def search_rank(title, query: SearchQuery):
    """How well ``title`` (a search row's name-and-tags vector) matches: names above tags, 0 for
    a match by the description only (such matches then come newest first). Double precision:
    ts_rank's ``real`` would round-trip inexactly through a page cursor."""
    return Cast(SearchRank(title, query), FloatField())


def category_subtree_sql(category_id: int) -> RawSQL:
    return RawSQL(
        "WITH RECURSIVE subtree(id) AS ("
        " SELECT id FROM catalog_category WHERE id = %s"
        " UNION SELECT c.id FROM catalog_category c JOIN subtree s ON c.parent_id = s.id"
        ") SELECT id FROM subtree",
        (category_id,),
    )


def in_stock_q() -> Q:
    physical = Exists(ProductVariant.objects.filter(product=OuterRef("pk"), stock_quantity__gt=0))
    digital = Exists(ProductVariant.objects.filter(product=OuterRef("pk"), digital_file__gt=""))
    return (Q(product_type=ProductType.PHYSICAL) & Q(physical)) | (Q(product_type=ProductType.DIGITAL) & Q(digital))


def filter_products(
    qs: QuerySet[Product],
    *,
    search: str | None = None,
    designer_id: int | None = None,
    category_id: int | None = None,
    product_type: str | None = None,
    price_gte: Decimal | None = None,
    price_lte: Decimal | None = None,
    in_stock: bool | None = None,
    tags: list[str] | None = None,
    statuses: list[str] | None = None,
    hidden: bool | None = None,
) -> QuerySet[Product]:
    query = search_query(search)
    if query is not None:
        qs = qs.filter(search__document=query).annotate(rank=search_rank(F("search__title"), query))
    if designer_id is not None:
        qs = qs.filter(designer_id=designer_id)
    if category_id is not None:
        qs = qs.filter(category_id__in=category_subtree_sql(category_id))
    if product_type:
        qs = qs.filter(product_type=product_type)
    if price_gte is not None:
        qs = qs.filter(min_price__gte=price_gte)
    if price_lte is not None:
        qs = qs.filter(min_price__lte=price_lte)
    if in_stock is not None:
        qs = qs.filter(in_stock_q()) if in_stock else qs.exclude(in_stock_q())
    if tags:
        wanted = [t.strip().lower() for t in tags if t and t.strip()][:20]
        if wanted:
            qs = qs.filter(tags__overlap=wanted)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if hidden is not None:
        qs = qs.filter(hidden_at__isnull=not hidden)
    return qs


SORT_FIELDS = ("NAME", "PRICE", "CREATED_AT", "RANK")


def sort_order(field: str | None, direction: str | None, *, searching: bool) -> tuple[str, bool]:
    """(field, descending) of a requested sort. RANK needs a search; without one it is the
    default order (newest first). With a search and no sort, the best matches come first."""
    if field is None:
        field = "RANK" if searching else "CREATED_AT"
        direction = direction or "DESC"
    desc = (direction or "ASC") == "DESC"
    if field == "RANK" and not searching:
        field, desc = "CREATED_AT", True
    return field, desc


def sort_products(
    qs: QuerySet[Product], field: str | None, direction: str | None, *, searching: bool
) -> QuerySet[Product]:
    """Deterministic orders (ties broken by id): see ``sort_order``."""
    field, desc = sort_order(field, direction, searching=searching)
    # (key, nullable): NULLs (products without variants have no price) go last either way; the
    # other keys are NOT NULL and are left to PostgreSQL's default so that the indexes
    # (status, -created_at, -id), (sort_name, id) and (min_price, id) serve the order.
    if field == "NAME":
        keys = [(F("sort_name"), False), (F("name"), False), (F("id"), False)]
    elif field == "PRICE":
        keys = [(F("min_price"), True), (F("id"), False)]
    elif field == "RANK":
        return qs.order_by(*_rank_order(desc))
    else:
        keys = [(F("created_at"), False), (F("id"), False)]
    return qs.order_by(*_order(keys, desc))


def _order(keys, desc: bool) -> list:
    flags = lambda nullable: {"nulls_last": True} if nullable else {}  # noqa: E731
    return [k.desc(**flags(n)) if desc else k.asc(**flags(n)) for k, n in keys]


def _rank_order(desc: bool) -> list:
    """The RANK order, of products or of search rows (annotated with ``rank`` and ``id``)."""
    return _order([(F("rank"), True), (F("created_at"), False), (F("id"), False)], desc)


def product_list(
    user, *, staff_view: bool = False, sort_field=None, sort_direction=None, columns=None, relations=None, **filters
) -> QuerySet[Product]:
    """The storefront list (public products, for everyone), or with ``staff_view`` every product."""
    base = Product.objects.all() if staff_view and is_staff(user) else storefront_products()
    qs = filter_products(base, **filters)
    qs = sort_products(qs, sort_field, sort_direction, searching=search_query(filters.get("search")) is not None)
    return with_list_relations(qs, columns=columns, relations=relations)


def search_ranking(
    user, *, staff_view: bool = False, sort_field=None, sort_direction=None, **filters
) -> QuerySet[ProductSearch] | None:
    """The matches of ``product_list``'s search (same arguments) as search rows (``ProductSearch``),
    in its order and with its sort keys (``rank``, ``created_at``, ``id``): the narrow table where
    a page ranks, and counts, every match (``shop.core.graphql.paginate(ranked=...)``), instead of
    the wide product rows. The storefront's visibility is the rows' own (``listed``); a filter on
    what only products have (category, price, stock, ...) selects the rows of the products it
    matches. None unless the list is sorted by rank."""
    query = search_query(filters.get("search"))
    if query is None:
        return None
    field, desc = sort_order(sort_field, sort_direction, searching=True)
    if field != "RANK":
        return None
    rows = ProductSearch.objects.filter(document=query)
    if not (staff_view and is_staff(user)):
        rows = rows.filter(listed=True)
    others = {name: value for name, value in filters.items() if name != "search"}
    if set(others) - {"designer_id"}:
        rows = rows.filter(pk__in=filter_products(Product.objects.all(), **others).values("pk"))
    elif others:
        rows = rows.filter(designer_id=others["designer_id"])
    rows = rows.annotate(rank=search_rank(F("title"), query), id=F("pk"))  # the products' key names
    return rows.order_by(*_rank_order(desc))


def designer_products(
    user, designer, *, sort_field=None, sort_direction=None, columns=None, relations=None, **filters
) -> QuerySet[Product]:
    """A designer's products: every status for the designer itself and staff, else the public ones."""
    base = Product.objects.all() if can_manage(user, designer.user_id) else storefront_products()
    filters["designer_id"] = designer.pk
    qs = filter_products(base, **filters)
    qs = sort_products(qs, sort_field, sort_direction, searching=search_query(filters.get("search")) is not None)
    return with_list_relations(qs, columns=columns, relations=relations)


# --- categories ----------------------------------------------------------------------------------


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
