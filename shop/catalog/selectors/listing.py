"""The product lists: the storefront's (everyone), the staff view of every product and a
designer's products; their filters, sorting and full-text search (accent-folded, over the search
rows, ``ProductSearch``)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from shop.catalog.models import Product, ProductSearch, ProductType, ProductVariant
from shop.catalog.selectors.products import with_list_relations
from shop.catalog.selectors.visibility import can_manage, is_staff, storefront_products
from shop.core.text import fold

MAX_SEARCH_WORDS = 12
SEARCH_CONFIG = "simple"


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
