"""``productViewRecord``: a storefront counts a product page view (designers/page_views.py)."""

from __future__ import annotations

import graphene
from django.utils.translation import gettext as _

from designers import page_views
from shop.core.errors import ServiceError
from shop.core.graphql import BaseMutation, current_user, error_type, parse_global_id


class ProductViewErrorCode(graphene.Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"


ProductViewError = error_type("ProductViewError", ProductViewErrorCode)


class ProductViewRecord(BaseMutation):
    """Count a view of a product page: at most once per visitor, product and day (marketplace time
    zone). The visitor is the signed-in user, else `anonymousId` (a random id the client keeps, e.g.
    in local storage). Views are buffered and written in bulk; if the buffer is unavailable the view
    is dropped and `recorded` is false, with no error."""

    class Arguments:
        product_id = graphene.ID(required=True)
        anonymous_id = graphene.String(description="Required when not signed in: 8-100 characters.")

    error_codes = ProductViewErrorCode
    errors = graphene.List(graphene.NonNull(ProductViewError), required=True)
    recorded = graphene.Boolean(description="True when this view was counted (the first today); null with errors.")

    @classmethod
    def perform(cls, root, info, product_id, anonymous_id=None):
        from shop.catalog.selectors import visible_products

        user = current_user(info)
        if user is None:
            anonymous_id = (anonymous_id or "").strip()
            if not anonymous_id:
                raise ServiceError("REQUIRED", _("Give an anonymous visitor id."), "anonymousId")
            if not 8 <= len(anonymous_id) <= 100:
                raise ServiceError("INVALID", _("The anonymous visitor id must be 8 to 100 characters."), "anonymousId")
        parsed = parse_global_id(product_id, "Product")
        pk = parsed[1] if parsed else None
        if pk is None or not visible_products(user).filter(pk=pk).exists():
            raise ServiceError("NOT_FOUND", _("Product not found."), "productId")
        visitor = page_views.visitor_key(user_id=user.pk if user else None, anonymous_id=anonymous_id)
        return cls(recorded=page_views.record_view(product_id=pk, visitor=visitor))


class SalesMutations(graphene.ObjectType):
    product_view_record = ProductViewRecord.Field()
