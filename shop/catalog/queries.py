import graphene
from django.utils.translation import gettext as _

from shop.catalog.selectors.categories import category_by_id, category_by_slug, category_tree
from shop.catalog.selectors.listing import product_list, search_query, search_ranking
from shop.catalog.selectors.products import product_by_id, product_by_slug
from shop.catalog.selectors.visibility import is_staff
from shop.catalog.types import (
    CategoryConnection,
    CategoryType,
    ProductConnection,
    ProductFilterInput,
    ProductNode,
    ProductSortingInput,
)
from shop.core.graphql import current_user, enum_value, permission_denied
from shop.core.ids import try_decode_id
from shop.core.lookahead import selected_fields
from shop.core.pagination import connection_args, paginate

# The model columns each GraphQL field of a product card reads (shop/catalog/types.py, designers/
# types.py): a list loads only what its query asks for. A field missing here loads everything.
_ALWAYS = {
    "id",
    "designer",
    "category",
    "product_type",
    "currency",
    "status",
    "hidden_at",
    "created_at",
    "min_price",
    "sort_name",
    "name",
}  # what resolvers, visibility and every sort order (page cursors) read
_PRODUCT = {
    "__typename": (),
    "id": (),
    "slug": ("slug",),
    "name": (),
    "description": ("description",),
    "tags": ("tags",),
    "productType": (),
    "status": (),
    "minPrice": (),
    "thumbnail": (),
    "variants": (),
    "media": (),
    "designer": (),
    "category": (),
    "createdAt": (),
    "updatedAt": ("updated_at",),
    "publishedAt": ("published_at",),
    "isHidden": (),
    "hiddenReason": ("hidden_reason",),
    "hiddenAt": (),
}
_DESIGNER_ALWAYS = {"id", "user", "status"}  # user: who may see a product's private side
_DESIGNER = {
    "__typename": (),
    "id": (),
    "slug": ("slug",),
    "displayName": ("display_name",),
    "bio": ("bio",),
    "city": ("city",),
    "links": ("links",),
    "status": (),
    "createdAt": ("created_at",),
    "statusHistory": (),
    "products": (),
    "portfolio": (),
    "orders": (),
    "shippingMethods": (),
}
_CATEGORY_ALWAYS = {"id", "parent"}
_CATEGORY = {
    "__typename": (),
    "id": (),
    "slug": ("slug",),
    "name": ("name",),
    "position": ("position",),
    "parent": (),
    "children": (),
}


def _columns(selection, known: dict, always: set[str]) -> set[str] | None:
    if selection is None or any(name not in known for name in selection):
        return None
    return always | {column for name in selection for column in known[name]}


def list_columns(selection) -> list[str] | None:
    """The columns of products, their designer and category that a list needs for ``selection``
    (``shop.core.graphql.selected_fields`` of a product node), or None: load them all. For
    ``shop.catalog.selectors.products.with_list_relations``."""
    product = _columns(selection, _PRODUCT, _ALWAYS)
    if product is None:
        return None
    if "variants" in selection:  # a variant's own ``product`` field would read the product's other columns
        node = selection["variants"].fields().get("edges")
        node = node.fields().get("node") if node else None
        if node is not None and "product" in node.fields():
            return None
    designer = _columns(selection["designer"].fields() if "designer" in selection else {}, _DESIGNER, _DESIGNER_ALWAYS)
    category = _columns(selection["category"].fields() if "category" in selection else {}, _CATEGORY, _CATEGORY_ALWAYS)
    if designer is None or category is None:
        return None
    return sorted(product) + [f"designer__{c}" for c in sorted(designer)] + [f"category__{c}" for c in sorted(category)]


def list_relations(selection) -> frozenset[str] | None:
    """The related rows a list needs for ``selection`` (as for ``list_columns``): ``variants``,
    ``media``, or ``thumbnail`` (the first medium only); None (load everything) when the selection
    has a field this module does not know."""
    if selection is None or any(name not in _PRODUCT for name in selection):
        return None
    wanted = {name for name in ("variants", "media") if name in selection}
    if "thumbnail" in selection and "media" not in wanted:
        wanted.add("thumbnail")
    return frozenset(wanted)


def product_filters(filter) -> dict:
    """Selector keyword arguments from a ``ProductFilterInput``. An unknown or malformed designer
    or category ID matches nothing (it is not an error, and says nothing about what exists)."""
    filter = filter or {}
    kwargs = {}
    if filter.get("search"):
        kwargs["search"] = filter["search"]
    if filter.get("designer") is not None:
        kwargs["designer_id"] = try_decode_id(filter["designer"], "Designer") or 0
    if filter.get("category") is not None:
        kwargs["category_id"] = try_decode_id(filter["category"], "Category") or 0
    if filter.get("product_type") is not None:
        kwargs["product_type"] = enum_value(filter["product_type"])
    price_range = filter.get("price_range") or {}
    if price_range.get("gte") is not None:
        kwargs["price_gte"] = price_range["gte"]
    if price_range.get("lte") is not None:
        kwargs["price_lte"] = price_range["lte"]
    if filter.get("in_stock") is not None:
        kwargs["in_stock"] = filter["in_stock"]
    if filter.get("tags"):
        kwargs["tags"] = filter["tags"]
    if filter.get("status"):
        kwargs["statuses"] = [enum_value(s) for s in filter["status"]]
    if filter.get("is_hidden") is not None:
        kwargs["hidden"] = filter["is_hidden"]
    return kwargs


def wants_private(kwargs: dict) -> bool:
    return "statuses" in kwargs or "hidden" in kwargs


def sort_kwargs(sort_by) -> dict:
    if not sort_by:
        return {}
    return {
        "sort_field": enum_value(sort_by.get("field")),
        "sort_direction": enum_value(sort_by.get("direction")) or "ASC",
    }


class CategoryFilterInput(graphene.InputObjectType):
    parent = graphene.ID(description="List this category's children instead of the roots.")


class CatalogQueries(graphene.ObjectType):
    products = graphene.Field(
        graphene.NonNull(ProductConnection),
        filter=ProductFilterInput(),
        sort_by=ProductSortingInput(),
        description=(
            "The storefront: published, visible products of approved designers. With `filter.status` or "
            "`filter.isHidden` (staff only) every product."
        ),
        **connection_args(),
    )
    product = graphene.Field(
        ProductNode,
        slug=graphene.String(),
        designer=graphene.String(
            description="The designer's slug: product slugs are unique per designer. Without it, `slug` finds "
            "the public product with that slug (the oldest if several designers use it)."
        ),
        id=graphene.ID(),
    )
    categories = graphene.Field(
        graphene.NonNull(CategoryConnection),
        filter=CategoryFilterInput(),
        description="The category tree: the roots (or a category's children), each with `children`.",
        **connection_args(),
    )
    category = graphene.Field(CategoryType, slug=graphene.String(), id=graphene.ID())

    def resolve_products(root, info, filter=None, sort_by=None, **page):
        user = current_user(info)
        kwargs = product_filters(filter)
        staff_view = wants_private(kwargs)
        if staff_view and not is_staff(user):
            raise permission_denied(_("Only staff can filter products by status or moderation."))
        node = selected_fields(info, "edges", "node")
        qs = product_list(
            user,
            staff_view=staff_view,
            columns=list_columns(node),
            relations=list_relations(node),
            **sort_kwargs(sort_by),
            **kwargs,
        )
        # A search ranks every match to sort them: its first page counts them on the way, in the
        # search table when it can answer the filters by itself.
        searching = search_query(kwargs.get("search")) is not None
        ranked = search_ranking(user, staff_view=staff_view, **sort_kwargs(sort_by), **kwargs) if searching else None
        return paginate(
            qs,
            ProductConnection,
            count_with_page=searching and "totalCount" in selected_fields(info),
            ranked=ranked,
            **page,
        )

    def resolve_product(root, info, slug=None, id=None, designer=None):
        if slug:
            return product_by_slug(current_user(info), slug, designer)
        pk = try_decode_id(id, "Product") if id else None
        return product_by_id(current_user(info), pk) if pk else None

    def resolve_categories(root, info, filter=None, **page):
        parent_id = None
        if filter and filter.get("parent") is not None:
            parent_id = try_decode_id(filter["parent"], "Category") or 0
        return paginate(category_tree(parent_id=parent_id), CategoryConnection, **page)

    def resolve_category(root, info, slug=None, id=None):
        if slug:
            return category_by_slug(slug)
        pk = try_decode_id(id, "Category") if id else None
        return category_by_id(pk) if pk else None
