"""``productViewRecord``: a storefront counts a product page view (designers/page_views.py)."""

from __future__ import annotations

import graphene

from designers import errors, page_views
from shop.core.graphql import BaseMutation, current_user, error_codes, error_type
from shop.core.ids import decode_id

ProductViewErrorCode = error_codes(errors.ProductViewErrorCode)


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
        pk = decode_id(product_id, "Product", field="product_id", code=errors.ProductViewErrorCode.NOT_FOUND)
        recorded = page_views.record_product_view(user=current_user(info), product_id=pk, anonymous_id=anonymous_id)
        return cls(recorded=recorded)


class SalesMutations(graphene.ObjectType):
    product_view_record = ProductViewRecord.Field()
