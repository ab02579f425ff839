import graphene

from payments.gateways import enabled_gateways
from shop.checkout import selectors
from shop.checkout.types import CheckoutType, PaymentGatewayType
from shop.core.graphql import UUIDScalar, current_user


class CheckoutQueries(graphene.ObjectType):
    checkout = graphene.Field(
        CheckoutType,
        token=UUIDScalar(required=True),
        description="A checkout by its token (a signed-in buyer's checkout only for that buyer).",
    )
    payment_gateways = graphene.List(
        graphene.NonNull(PaymentGatewayType),
        required=True,
        description="The payment gateways checkoutComplete accepts.",
    )

    def resolve_checkout(root, info, token):
        checkout = selectors.checkout_by_token(current_user(info), token)
        if checkout is not None and checkout.user_id:
            checkout = type(checkout).objects.select_related("user").get(pk=checkout.pk)
        return checkout

    def resolve_payment_gateways(root, info):
        return enabled_gateways()
