import graphene
from django.utils.translation import gettext as _
from graphene import relay
from graphene_django import DjangoObjectType

from designers import errors, selectors
from designers.models import Designer, PortfolioImage, PortfolioItem
from designers.sales_types import DesignerSalesFields
from payments.types import DesignerPayoutFields
from shop.catalog.cache import designer_products
from shop.catalog.queries import list_columns, list_relations, product_filters, sort_kwargs, wants_private
from shop.catalog.selectors.listing import designer_products as catalog_designer_products
from shop.catalog.selectors.products import with_list_relations
from shop.catalog.selectors.visibility import can_manage, visible_products
from shop.catalog.types import (
    ImageFieldsMixin,
    ProductConnection,
    ProductFilterInput,
    ProductSortingInput,
    paginate_nested,
)
from shop.checkout.fields import DesignerShippingFields
from shop.core import readcache
from shop.core.graphql import current_user, error_codes, permission_denied
from shop.core.lookahead import selected_fields
from shop.core.pagination import CountableConnection, connection_args, paginate
from shop.orders.fields import DesignerOrderFields


class DesignerStatusEnum(graphene.Enum):
    class Meta:
        name = "DesignerStatus"

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


DesignerErrorCode = error_codes(errors.DesignerErrorCode)


class DesignerStatusChangeType(graphene.ObjectType):
    class Meta:
        name = "DesignerStatusChange"

    from_status = graphene.Field(DesignerStatusEnum, description="Null for the first application.")
    to_status = graphene.Field(DesignerStatusEnum, required=True)
    reason = graphene.String(required=True)
    actor_email = graphene.String(description="Who made the change (staff only see this).")
    created_at = graphene.DateTime(required=True)

    def resolve_from_status(root, info):
        return str(root.from_status) if root.from_status else None

    def resolve_to_status(root, info):
        return str(root.to_status)

    def resolve_actor_email(root, info):
        user = current_user(info)
        if user is not None and user.is_staff and root.actor_id:
            return root.actor.email
        return None


class DesignerType(
    DesignerSalesFields, DesignerPayoutFields, DesignerOrderFields, DesignerShippingFields, DjangoObjectType
):
    status = graphene.Field(DesignerStatusEnum, required=True)
    links = graphene.List(graphene.NonNull(graphene.String), required=True)
    status_history = graphene.List(
        graphene.NonNull(DesignerStatusChangeType),
        required=True,
        description="Applications and decisions, oldest first; visible to the designer itself and staff.",
    )

    class Meta:
        model = Designer
        name = "Designer"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "slug", "display_name", "bio", "city", "created_at", "accepts_cash_on_delivery")

    def resolve_status(root, info):
        return str(root.status)

    def resolve_links(root, info):
        return list(root.links or [])

    def resolve_status_history(root, info):
        return list(selectors.status_history(current_user(info), root))

    # --- catalog and portfolio ---
    products = graphene.Field(
        graphene.NonNull(ProductConnection),
        filter=ProductFilterInput(),
        sort_by=ProductSortingInput(),
        description=(
            "The designer's products: the published ones, or every status (drafts, hidden, archived) for "
            "the designer itself and staff, who may also filter by `status`."
        ),
        **connection_args(),
    )
    portfolio = graphene.Field(
        graphene.NonNull(lambda: PortfolioItemConnection),
        description="Work shown apart from what is sold.",
        **connection_args(),
    )

    def resolve_products(root, info, filter=None, sort_by=None, **page):
        user = current_user(info)
        kwargs = product_filters(filter)
        kwargs.pop("designer_id", None)
        if wants_private(kwargs) and not can_manage(user, root.user_id):
            raise permission_denied(_("Only the designer and staff can filter its products by status."))
        node = selected_fields(info, "edges", "node")
        qs = catalog_designer_products(
            user,
            root,
            columns=list_columns(node),
            relations=list_relations(node),
            **sort_kwargs(sort_by),
            **kwargs,
        )
        readcache.depends_on(info, designer_products(root.pk))
        return paginate(qs, ProductConnection, **page)

    def resolve_portfolio(root, info, **page):
        return paginate(selectors.portfolio_items(current_user(info), root), PortfolioItemConnection, **page)

    @classmethod
    def get_node(cls, info, id):
        return selectors.designer_by_id(current_user(info), id)


DesignerConnection = DesignerType._meta.connection


# --- portfolio -------------------------------------------------------------------------------------

PortfolioErrorCode = error_codes(errors.PortfolioErrorCode)


class PortfolioImageType(ImageFieldsMixin, DjangoObjectType):
    class Meta:
        model = PortfolioImage
        name = "PortfolioImage"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "alt", "width", "height", "position")

    @classmethod
    def get_node(cls, info, id):
        return selectors.portfolio_image_by_id(current_user(info), id)


PortfolioImageConnection = PortfolioImageType._meta.connection


class PortfolioItemType(DjangoObjectType):
    tags = graphene.List(graphene.NonNull(graphene.String), required=True)
    images = graphene.Field(graphene.NonNull(PortfolioImageConnection), **connection_args())
    products = graphene.Field(
        graphene.NonNull(ProductConnection),
        description="Linked products the caller can see (published ones, for the public).",
        **connection_args(),
    )

    class Meta:
        model = PortfolioItem
        name = "PortfolioItem"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id", "title", "description", "year", "role", "position", "designer", "created_at", "updated_at")

    def resolve_tags(root, info):
        return list(root.tags or [])

    def resolve_images(root, info, **page):
        return paginate_nested(root.images.all(), PortfolioImageConnection, **page)

    def resolve_products(root, info, **page):
        readcache.depends_on(info, designer_products(root.designer_id))
        if "products" in getattr(root, "_prefetched_objects_cache", {}):
            products = root.products.all()  # prefetched with the caller's visibility
        else:
            products = with_list_relations(visible_products(current_user(info)).filter(portfolio_items=root))
        return paginate_nested(products, ProductConnection, **page)

    @classmethod
    def get_node(cls, info, id):
        return selectors.portfolio_item_by_id(current_user(info), id)


PortfolioItemConnection = PortfolioItemType._meta.connection
