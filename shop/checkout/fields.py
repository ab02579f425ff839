"""``Designer.shippingMethods``, mixed into the Designer type."""

import graphene

from shop.checkout import selectors
from shop.checkout.types import ShippingMethodType
from shop.core.graphql import current_user


class DesignerShippingFields:
    shipping_methods = graphene.List(
        graphene.NonNull(ShippingMethodType),
        required=True,
        description="How the designer ships: the active methods (the designer itself and staff see all).",
    )

    def resolve_shipping_methods(root, info):
        return list(selectors.shipping_methods_of(current_user(info), root))
