import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from shop.catalog import errors
from shop.catalog.models import Category, Product, ProductMedia, ProductType, ProductVariant
from shop.catalog.selectors.categories import category_by_id
from shop.catalog.selectors.products import media_by_id, product_by_id, variant_by_id
from shop.catalog.selectors.visibility import can_manage
from shop.core import money as money_lib
from shop.core.graphql import current_user, error_codes
from shop.core.images import image_url, thumbnail_name
from shop.core.money_type import Money, money
from shop.core.pagination import CountableConnection, SortDirection, connection_args, paginate
from shop.core.scalars import DecimalScalar


class ProductTypeEnum(graphene.Enum):
    class Meta:
        name = "ProductType"

    PHYSICAL = "PHYSICAL"
    DIGITAL = "DIGITAL"


class ProductStatusEnum(graphene.Enum):
    class Meta:
        name = "ProductStatus"

    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


CatalogErrorCode = error_codes(errors.CatalogErrorCode)


def paginate_nested(items, connection_type, **page):
    """A connection over a (usually prefetched) related list: no query of its own."""
    return paginate(list(items), connection_type, **page)


def as_money(amount, currency: str):
    if amount is None:
        return None
    return money(money_lib.quantize(amount, currency), currency)


# --- images --------------------------------------------------------------------------------------


class ImageFieldsMixin:
    """``url`` of the stored (re-encoded) image and ``thumbnail(size)``: the nearest ready WebP
    thumbnail, or the original until the thumbnail task has run."""

    url = graphene.String(required=True)
    thumbnail = graphene.String(
        required=True,
        size=graphene.Int(default_value=256, description="Wanted size of the longest side, in pixels."),
    )

    def resolve_url(root, info):
        return image_url(info.context, root.image.name)

    def resolve_thumbnail(root, info, size=256):
        return image_url(info.context, thumbnail_name(root.thumbnails, size) or root.image.name)


class ProductMediaType(ImageFieldsMixin, DjangoObjectType):
    class Meta:
        model = ProductMedia
        name = "ProductMedia"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "alt", "width", "height", "position")

    @classmethod
    def get_node(cls, info, id):
        return media_by_id(current_user(info), id)


ProductMediaConnection = ProductMediaType._meta.connection


# --- categories ----------------------------------------------------------------------------------


class CategoryType(DjangoObjectType):
    children = graphene.Field(
        graphene.NonNull(lambda: CategoryConnection), description="Direct subcategories.", **connection_args()
    )

    class Meta:
        model = Category
        name = "Category"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "name", "slug", "parent", "position")

    def resolve_children(root, info, **page):
        return paginate_nested(root.children.all(), CategoryConnection, **page)

    @classmethod
    def get_node(cls, info, id):
        return category_by_id(id)


CategoryConnection = CategoryType._meta.connection


# --- variants ------------------------------------------------------------------------------------


class VariantAttribute(graphene.ObjectType):
    name = graphene.String(required=True)
    value = graphene.String(required=True)


class DigitalFile(graphene.ObjectType):
    """The private file of a digital variant (shown to its designer and staff only; never a URL:
    buyers get it through their paid order)."""

    name = graphene.String(required=True, description="File name shown to buyers.")
    size = graphene.Int(required=True, description="Bytes.")
    content_type = graphene.String(required=True)


class ProductVariantType(DjangoObjectType):
    attributes = graphene.List(graphene.NonNull(VariantAttribute), required=True)
    price = graphene.Field(Money, required=True)
    stock_quantity = graphene.Int(description="Units in stock (physical goods); null for digital goods.")
    in_stock = graphene.Boolean(required=True)
    digital_file = graphene.Field(DigitalFile, description="Designer and staff only.")

    class Meta:
        model = ProductVariant
        name = "ProductVariant"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "sku", "name", "position", "product")

    def resolve_attributes(root, info):
        # plain dicts: VariantAttribute's fields resolve from them like from objects, for less
        return [{"name": a.get("name", ""), "value": a.get("value", "")} for a in (root.attributes or [])]

    def resolve_price(root, info):
        return as_money(root.price_amount, root.currency)

    def resolve_stock_quantity(root, info):
        return None if root.product.product_type == ProductType.DIGITAL else root.stock_quantity

    def resolve_in_stock(root, info):
        if root.product.product_type == ProductType.DIGITAL:
            return bool(root.digital_file)
        return root.stock_quantity > 0

    def resolve_digital_file(root, info):
        if not root.digital_file or not can_manage(current_user(info), root.product.designer.user_id):
            return None
        return DigitalFile(
            name=root.digital_file_name, size=root.digital_file_size or 0, content_type=root.digital_content_type
        )

    @classmethod
    def get_node(cls, info, id):
        return variant_by_id(current_user(info), id)


ProductVariantConnection = ProductVariantType._meta.connection


# --- products ------------------------------------------------------------------------------------


class ProductNode(DjangoObjectType):
    product_type = graphene.Field(ProductTypeEnum, required=True)
    status = graphene.Field(ProductStatusEnum, required=True)
    description = graphene.String(required=True, description="Sanitised HTML (safe to render).")
    tags = graphene.List(graphene.NonNull(graphene.String), required=True)
    min_price = graphene.Field(Money, description="The lowest variant price; null without variants.")
    variants = graphene.Field(graphene.NonNull(ProductVariantConnection), **connection_args())
    media = graphene.Field(graphene.NonNull(ProductMediaConnection), **connection_args())
    thumbnail = graphene.String(
        size=graphene.Int(default_value=256),
        description="The first image's nearest thumbnail (or the original); null without images.",
    )
    is_hidden = graphene.Boolean(description="Hidden by staff. Designer and staff only (null for others).")
    hidden_reason = graphene.String(description="Why staff hid it. Designer and staff only.")
    hidden_at = graphene.DateTime(description="Designer and staff only.")

    class Meta:
        model = Product
        name = "Product"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "slug", "name", "category", "designer", "created_at", "updated_at", "published_at")

    def resolve_product_type(root, info):
        return str(root.product_type)

    def resolve_status(root, info):
        return str(root.status)

    def resolve_tags(root, info):
        return list(root.tags or [])

    def resolve_min_price(root, info):
        return as_money(root.min_price, root.currency)

    def resolve_variants(root, info, **page):
        return paginate_nested(root.variants.all(), ProductVariantConnection, **page)

    def resolve_media(root, info, **page):
        return paginate_nested(root.media.all(), ProductMediaConnection, **page)

    def resolve_thumbnail(root, info, size=256):
        media = list(root.media.all())  # prefetched: index the list (``.first()`` would query again)
        if not media:
            return None
        return image_url(info.context, thumbnail_name(media[0].thumbnails, size) or media[0].image.name)

    @staticmethod
    def _private(root, info) -> bool:
        return can_manage(current_user(info), root.designer.user_id)

    def resolve_is_hidden(root, info):
        return root.hidden_at is not None if ProductNode._private(root, info) else None

    def resolve_hidden_reason(root, info):
        return (root.hidden_reason or None) if ProductNode._private(root, info) and root.hidden_at else None

    def resolve_hidden_at(root, info):
        return root.hidden_at if ProductNode._private(root, info) else None

    @classmethod
    def get_node(cls, info, id):
        return product_by_id(current_user(info), id)


ProductConnection = ProductNode._meta.connection


# --- list inputs ---------------------------------------------------------------------------------


class PriceRangeInput(graphene.InputObjectType):
    gte = DecimalScalar()
    lte = DecimalScalar()


class ProductFilterInput(graphene.InputObjectType):
    search = graphene.String(description="Full-text, accent-insensitive: `ao dai lua` finds “Áo dài lụa”.")
    designer = graphene.ID()
    category = graphene.ID(description="Includes the category's subcategories.")
    product_type = graphene.InputField(ProductTypeEnum)
    price_range = graphene.InputField(PriceRangeInput, description="On the lowest variant price.")
    in_stock = graphene.Boolean()
    tags = graphene.List(graphene.NonNull(graphene.String), description="Products with any of these tags.")
    status = graphene.List(
        graphene.NonNull(ProductStatusEnum),
        description="Staff (any product) or, on `Designer.products`, the designer itself.",
    )
    is_hidden = graphene.Boolean(description="Staff only: hidden (true) or not hidden (false) by moderation.")


class ProductSortField(graphene.Enum):
    NAME = "NAME"
    PRICE = "PRICE"
    CREATED_AT = "CREATED_AT"
    RANK = "RANK"

    @property
    def description(self):
        return {
            "NAME": "Alphabetically, ignoring accents.",
            "PRICE": "By the lowest variant price.",
            "CREATED_AT": "By creation time.",
            "RANK": "By search relevance (with `filter.search`; otherwise newest first).",
        }.get(self.name)


class ProductSortingInput(graphene.InputObjectType):
    field = graphene.InputField(ProductSortField, required=True)
    direction = graphene.InputField(SortDirection, default_value="ASC")
